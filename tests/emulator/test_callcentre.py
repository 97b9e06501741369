"""The call centre: a person's call gets a task and an agent, or its caller gives up waiting;
TaskRouter's events in order, in both layouts, only to sinks subscribed to them."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import datetime
from typing import Any

import pytest

from tests.emulator.callcentre_support import (
    Event,
    by_call,
    call_sid_of,
    centre_config,
    fields,
    kinds,
    played,
    stats_of,
    subscribe_latest,
    voice,
)
from tests.emulator.conftest import FLOW_SID, Receiver, create_execution, phone
from twilio_emulator.cloudevents import TASK_CREATED, TASKROUTER_PREFIX, VOICE_PREFIX
from twilio_emulator.server import serving

QUEUE = "WQ" + "5a" * 16
MILLIS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
ENVELOPE = {"specversion", "type", "source", "id", "dataschema", "datacontenttype", "time", "data"}
# The fields of the two layouts in the shared sample of TaskRouter events.
NESTED_DATA = {"name", "account_sid", "timestamp", "product_name", "payload"}
ACCEPTED_FIELDS = {
    "eventtype", "account_sid", "workspace_sid", "task_sid", "task_attributes",
    "task_queue_sid", "task_assignment_status", "worker_sid", "reservation_sid", "timestamp",
}  # fmt: skip
CANCELED_FIELDS = {
    "eventtype", "account_sid", "workspace_sid", "task_sid", "task_attributes",
    "task_queue_sid", "task_assignment_status", "task_canceled_reason", "task_age", "timestamp",
}  # fmt: skip
ANSWERED = ["call.initiated", "call.ringing", "call.answered", "amd.detected", "task.created"]


def _check_layout(event: Event, payload: str, call_sid: str) -> dict[str, Any]:
    """The event's envelope and layout are Twilio's; its fields, wherever they are."""
    assert set(event) == ENVELOPE
    assert event["dataschema"] == "https://events-schemas.twilio.com/TaskRouter.WDSEvent/4"
    assert event["source"].startswith("AB")
    assert event["id"].startswith("NO")
    assert MILLIS.match(event["time"])
    found = fields(event)
    if payload == "nested":
        assert set(event["data"]) >= NESTED_DATA
        assert event["data"]["product_name"] == "TaskRouter"
        assert MILLIS.match(event["data"]["timestamp"])
    else:
        assert "payload" not in event["data"]
    assert found["eventtype"] == event["type"].removeprefix(TASKROUTER_PREFIX)
    assert MILLIS.match(found["timestamp"])
    assert json.loads(found["task_attributes"])["call_sid"] == call_sid
    assert found["task_queue_sid"] == QUEUE
    assert found["task_sid"].startswith("WT")
    return found


@pytest.mark.parametrize("completed_at", ["wrapup_end", "hangup"])
@pytest.mark.parametrize("payload", ["nested", "flat"])
async def test_a_person_answered_call_gets_a_task_and_a_free_agent(
    receiver: Receiver, payload: str, completed_at: str
) -> None:
    settings = {
        "task_payload": payload,
        "task_completed_at": completed_at,
        "task_queue_sid_by_flow": {FLOW_SID: QUEUE},
    }
    async with played(centre_config(settings), receiver) as run:
        await run.launch(1)
        await run.emulator.wait_idle()
        [(call_sid, events)] = by_call(receiver).items()
        entry = stats_of(run.emulator, call_sid)
        assert run.emulator.violations() == []
    talked = ["reservation.accepted", "call.completed", "task.completed"]
    if completed_at == "hangup":
        talked = ["reservation.accepted", "task.completed", "call.completed"]
    assert kinds(events) == ANSWERED + talked
    tasks = [e for e in events if e["type"].startswith(TASKROUTER_PREFIX)]
    created, accepted, completed = (_check_layout(e, payload, call_sid) for e in tasks)
    assert created["task_sid"] == accepted["task_sid"] == completed["task_sid"]
    assert set(accepted) >= ACCEPTED_FIELDS
    assert accepted["worker_sid"].startswith("WK")
    assert accepted["reservation_sid"].startswith("WR")
    statuses = [f["task_assignment_status"] for f in (created, accepted, completed)]
    assert statuses == ["pending", "assigned", "completed"]
    assert entry["handed_to_agent"] is True
    assert entry["abandoned"] is False
    assert (entry["task_sid"], entry["worker_sid"]) == (created["task_sid"], accepted["worker_sid"])
    assert entry["agent_talk_s"] == 60.0
    # The call lasts from the answer to the end of the agent's talk.
    duration = int(voice(events, "call.completed")["CallDuration"])
    assert duration == round(entry["answer_to_agent_s"] + entry["agent_talk_s"])


@pytest.mark.parametrize("payload", ["nested", "flat"])
async def test_a_caller_with_no_free_agent_gives_up_and_the_call_completes_then(
    receiver: Receiver, payload: str
) -> None:
    # One agent talks for 300 s to whoever is answered first; the other caller waits 5 s on
    # average before hanging up.
    settings = {"task_payload": payload, "talk_mean_s": 300.0, "patience_mean_s": 5.0}
    async with played(centre_config(settings, time_scale=0.002), receiver) as run:
        await run.launch(2)
        await run.emulator.wait_idle()
        calls = by_call(receiver)
        entries = {sid: stats_of(run.emulator, sid) for sid in calls}
        centre = run.emulator.stats()["callcentre"]
    [gave_up] = [sid for sid, entry in entries.items() if entry["abandoned"]]
    events, entry = calls[gave_up], entries[gave_up]
    assert kinds(events) == [*ANSWERED, "task.canceled", "call.completed"]
    created, canceled = (fields(e) for e in events if e["type"].startswith(TASKROUTER_PREFIX))
    assert created["task_sid"] == canceled["task_sid"] == entry["task_sid"]
    assert set(canceled) >= CANCELED_FIELDS
    assert canceled["task_canceled_reason"] == "hangup"
    assert canceled["task_assignment_status"] == "canceled"
    assert canceled["task_age"] == round(entry["agent_wait_s"])
    assert "worker_sid" not in canceled
    assert entry["worker_sid"] is None
    assert entry["answer_to_agent_s"] is None
    completed = voice(events, "call.completed")
    assert completed["CallStatus"] == "completed"
    held = entry["answer_to_task_s"] + entry["agent_wait_s"]
    assert int(completed["CallDuration"]) == round(held)
    ends = [e["time"] for e in events if e["type"].endswith(("task.canceled", "call.completed"))]
    assert ends[0] <= ends[1]
    counts = [centre[f"tasks_{name}"] for name in ("created", "accepted", "canceled")]
    assert counts == [2, 1, 1]
    assert (centre["calls_handed_to_agents"], centre["calls_abandoned"]) == (2, 1)


async def test_taskrouter_events_go_only_to_sinks_subscribed_to_them(receiver: Receiver) -> None:
    voice_only = Receiver()
    async with serving(voice_only.app()) as base_url:
        voice_only.base_url = base_url
        async with played(centre_config(), receiver) as run:
            types = [VOICE_PREFIX + "call.answered", VOICE_PREFIX + "call.completed"]
            await subscribe_latest(run.client, voice_only.events_url, types)
            await run.launch(2)
            await run.emulator.wait_idle()
            counters = run.emulator.stats()["counters"]
    assert {e["type"] for e in voice_only.all_events()} == set(types)
    delivered = [e for e in receiver.all_events() if e["type"].startswith(TASKROUTER_PREFIX)]
    assert len(delivered) == 6
    assert counters[f"emitted:{TASKROUTER_PREFIX}task.created"] == 2


async def test_taskrouter_events_can_be_delivered_late(receiver: Receiver) -> None:
    async with played(centre_config({"taskrouter_delay_s": 0.3}), receiver) as run:
        await run.launch(2)
        await run.emulator.wait_idle()
    late = [
        delivery.at - datetime.fromisoformat(event["time"]).timestamp()
        for delivery in receiver.batches
        for event in delivery.events()
        if str(event["type"]).startswith(TASKROUTER_PREFIX)
    ]
    assert len(late) == 6
    assert min(late) >= 0.3 - 0.002
    # Each call's end arrives before its task was announced.
    arrived = [(call_sid_of(e), e["type"]) for b in receiver.batches for e in b.events()]
    for call_sid in by_call(receiver):
        ended = arrived.index((call_sid, VOICE_PREFIX + "call.completed"))
        assert ended < arrived.index((call_sid, TASK_CREATED))


@pytest.mark.parametrize("amd", [True, False])
async def test_with_amd_off_a_machine_is_handed_over_and_lasts_its_message(
    receiver: Receiver, amd: bool
) -> None:
    config = centre_config(outcome_weights={"machine": 1.0}, amd=amd, talk_machine_s=(30, 30))
    async with played(config, receiver) as run:
        await run.launch(1)
        await run.emulator.wait_idle()
        [(call_sid, events)] = by_call(receiver).items()
        entry = stats_of(run.emulator, call_sid)
    duration = int(voice(events, "call.completed")["CallDuration"])
    assert duration == 30
    if amd:  # AMD tells a machine: no agent
        assert entry["handed_to_agent"] is False
        assert not [e for e in events if e["type"].startswith(TASKROUTER_PREFIX)]
    else:  # the agent talks for what is left of the message
        assert entry["handed_to_agent"] is True
        assert entry["agent_wait_s"] + entry["agent_talk_s"] == pytest.approx(30)


async def test_a_change_of_the_answer_mix_applies_to_the_calls_dialed_after_it(
    receiver: Receiver,
) -> None:
    async with played(centre_config({"agents": 3}), receiver) as run:
        await run.launch(3)
        run.emulator.configure(outcome_weights={"busy": 1.0})
        await run.launch(3, first=3)
        await run.emulator.wait_idle()
        by_to = {e.to: e.outcome for e in run.emulator.executions()}
        handed = [e["handed_to_agent"] for e in run.emulator.stats()["executions"]]
    assert [by_to[phone(n)] for n in range(6)] == ["human"] * 3 + ["busy"] * 3
    assert sorted(handed) == [False] * 3 + [True] * 3


async def test_ending_the_execution_ends_the_agents_talk(receiver: Receiver) -> None:
    config = centre_config({"talk_mean_s": 1e6}, time_scale=0.002)
    async with played(config, receiver) as run:
        execution_sid = (await create_execution(run.client, phone(1))).json()["sid"]
        while not run.emulator.stats()["callcentre"]["tasks_accepted"]:  # noqa: ASYNC110
            await asyncio.sleep(0.005)
        path = f"/v2/Flows/{FLOW_SID}/Executions/{execution_sid}"
        ended = await run.client.post(path, data={"Status": "ended"})
        assert ended.status_code == 200
        await run.emulator.wait_idle()
        [(call_sid, events)] = by_call(receiver).items()
        entry = stats_of(run.emulator, call_sid)
    assert kinds(events)[-3:] == ["reservation.accepted", "call.completed", "task.completed"]
    assert voice(events, "call.completed")["CallStatus"] == "completed"
    assert 0 < entry["agent_talk_s"] < 1e6
