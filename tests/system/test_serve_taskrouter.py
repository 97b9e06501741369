"""`queue-service serve` expecting TaskRouter's events (ADR 0025), the emulator's calls and
TaskRouter events this test posts itself (signed, as Event Streams would): an agent's accept
connects a person's call, a call whose task never says a word settles by the grace as
abandoned, task events the service cannot use or of calls it never saw change nothing (and are
never a 5xx), and the queue events and dispositions carry the counts."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import redis

from tests.reliability.signed_events import signed_batch, task_event
from tests.support.metrics_text import metric_total
from tests.system.campaign import Campaign
from tests.system.processes import EmulatorProcess, ServiceProcess
from twilio_emulator import DEFAULT_AUTH_TOKEN

pytestmark = pytest.mark.slow

CONTACTS = 40
GRACE_S = 2.0
OUTCOMES = {"human": 0.6, "machine": 0.2, "busy": 0.2}
_ids = itertools.count(1)


def post(service: ServiceProcess, events: list[dict[str, Any]]) -> httpx.Response:
    url, body, headers = signed_batch(f"{service.url}/eventstreams", events, DEFAULT_AUTH_TOKEN)
    return httpx.post(url, content=body, headers=headers, timeout=10.0)


def task(kind: str, task_sid: str, call_sid: str, **fields: Any) -> dict[str, Any]:
    attributes = json.dumps({"call_sid": call_sid, "direction": "outbound"})
    return task_event(f"NO{next(_ids):032d}", kind, task_sid, attributes, **fields)


def test_an_agents_accept_connects_a_call_and_taskrouters_silence_abandons_it(
    launch_service: Callable[..., ServiceProcess],
    emulator: EmulatorProcess,
    store: redis.Redis,
    serve_env: dict[str, str],
) -> None:
    emulator.configure(outcome_weights=OUTCOMES)
    env = {"QUEUE_EXPECT_TASK_EVENTS": "true", "QUEUE_SETTLE_GRACE_S": str(GRACE_S)}
    service = launch_service({**serve_env, **env})
    post_what_changes_nothing(service)

    campaign = Campaign(store, "ce-tasks", CONTACTS)
    campaign.write({"mode": "progressive", "max_concurrent_calls": 20}, campaign_id="c-tasks")
    campaign.write_agents(20)
    campaign.start()
    connected = accept_every_other_person_call(service, emulator, campaign)

    assert campaign.disposed_once() == set(campaign.record_ids)
    by_call = {d["call_sid"]: d for d in campaign.dispositions()}
    people = {e["call_sid"] for e in emulator.stats()["executions"] if e["outcome"] == "human"}
    assert connected  # both paths were taken
    assert people - set(connected)
    for call_sid, disposition in by_call.items():
        assert_told(disposition, person=call_sid in people, task_sid=connected.get(call_sid))
    measured = sorted(float(by_call[c]["agent_connected_s"]) for c in connected)
    print(f"person-answered {len(people)}, accepted {len(connected)}: agent_connected_s {measured}")
    completed = campaign.wait_event("completed")
    abandoned = sum(d["abandoned"] == "true" for d in by_call.values())
    assert (completed["human_answered"], completed["abandoned"]) == (
        str(len(people)),
        str(abandoned),
    )
    assert float(completed["campaign_abandon_rate_30d"]) == round(abandoned / len(people), 4)
    assert_ignored_were_counted(service)


def assert_ignored_were_counted(service: ServiceProcess) -> None:
    exposition = service.admin_get("/metrics").text
    for ignored in (
        "com.twilio.taskrouter.task.created:bad_attributes",
        "com.twilio.taskrouter.task.canceled:no_task_sid",
        "com.twilio.taskrouter.task.created:no_call_sid",
    ):
        found = metric_total(
            exposition, "dialer_queue_webhook_events_total", type=f"ignored:{ignored}"
        )
        assert found == 1.0, ignored


def post_what_changes_nothing(service: ServiceProcess) -> None:
    """Tasks of a call no contact holds, in both shapes, and task events the service cannot
    use: 200, nothing matched, the strangers counted as unmatched."""
    stranger = "CA" + "f" * 32
    junk = [
        task("task.created", "WT" + "1" * 32, stranger),
        task("reservation.accepted", "WT" + "1" * 32, stranger, nested=False),
        task_event("NO-bad-1", "task.created", "WT" + "2" * 32, "{not json"),
        task_event("NO-bad-2", "task.canceled", "", json.dumps({"call_sid": stranger})),
        task_event("NO-bad-3", "task.created", "WT" + "3" * 32, json.dumps({"caller": "+1"})),
    ]
    answer = post(service, junk)
    assert answer.status_code == 200, answer.text
    assert (answer.json()["matched"], answer.json()["unmatched"]) == (0, 2)


def assert_told(disposition: dict[str, str], *, person: bool, task_sid: str | None) -> None:
    """An accepted call was connected (abandoned only when the agent took more than 2 s);
    any other person's call was abandoned; no one else's was."""
    assert (disposition["schema_version"], disposition["campaign_id"]) == ("2", "c-tasks")
    assert disposition["human_answered"] == ("true" if person else "false")
    if task_sid is not None:
        assert disposition["task_sid"] == task_sid
        late = float(disposition["agent_connected_s"]) > 2
        assert disposition["abandoned"] == ("true" if late else "false")
    else:
        assert disposition["agent_connected_s"] == ""
        assert disposition["abandoned"] == ("true" if person else "false")


def accept_every_other_person_call(
    service: ServiceProcess, emulator: EmulatorProcess, campaign: Campaign
) -> dict[str, str]:
    """Until the campaign completes: as soon as a person's call is answered, every other one
    gets its task created and an agent's accept; the others get nothing from TaskRouter.
    Returns the call SIDs accepted, with their task's SID."""
    seen: set[str] = set()
    accepted: dict[str, str] = {}
    deadline = time.monotonic() + 90.0
    while not any(e["event"] == "completed" for e in campaign.events()):
        assert time.monotonic() < deadline, "the campaign did not complete"
        for execution in emulator.stats()["executions"]:
            call_sid = execution["call_sid"]
            answered = execution["call_status"] == "in-progress"
            if execution["outcome"] != "human" or not answered or call_sid in seen:
                continue
            seen.add(call_sid)
            if len(seen) % 2:
                task_sid = f"WT{len(seen):032x}"
                events = [task("task.created", task_sid, call_sid)]
                events.append(task("reservation.accepted", task_sid, call_sid, worker_sid="WK1"))
                assert post(service, events).status_code == 200
                accepted[call_sid] = task_sid
        time.sleep(0.05)
    return accepted
