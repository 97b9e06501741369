"""Agents log in and out (on a schedule, by hand), and their occupancy adds up."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime

import httpx
import pytest

from tests.emulator.callcentre_support import by_call, centre_config, fields, kinds, played
from tests.emulator.conftest import Receiver
from twilio_emulator import EmulatorConfig, EmulatorHandle
from twilio_emulator.__main__ import parse_args
from twilio_emulator.cloudevents import RESERVATION_ACCEPTED
from twilio_emulator.config import config_as_dict, updated_config


async def _until(emulator: EmulatorHandle, counter: str, value: int) -> None:
    # The count is a plain attribute the emulator's loop sets: poll it.
    async with asyncio.timeout(10):
        while emulator.stats()["callcentre"][counter] < value:  # noqa: ASYNC110
            await asyncio.sleep(0.005)


async def test_agents_logged_in_by_the_schedule_take_the_waiting_task(receiver: Receiver) -> None:
    scale = 0.004
    config = centre_config({"agents": 0, "schedule": [[100, 2], [300, -1]]}, time_scale=scale)
    before = time.time()
    async with played(config, receiver) as run:
        await run.launch(1)
        early = run.emulator.stats()["callcentre"]["logged_in"]
        assert early == 0 or time.time() >= before + 100 * scale
        await run.emulator.wait_idle()
        async with asyncio.timeout(10):  # until the schedule logs one out
            while run.emulator.stats()["callcentre"]["logged_in"] != 1:  # noqa: ASYNC110
                await asyncio.sleep(0.005)
        assert time.time() >= before + 300 * scale
        centre = run.emulator.stats()["callcentre"]
    [events] = by_call(receiver).values()
    [accepted] = [e for e in events if e["type"] == RESERVATION_ACCEPTED]
    # Nobody was logged in before 100 simulated seconds.
    assert datetime.fromisoformat(accepted["time"]).timestamp() >= before + 100 * scale
    assert centre["logged_in"] == 1
    assert centre["by_state"] == {"available": 1, "offline": 1}
    assert fields(accepted)["worker_sid"] in {a["sid"] for a in centre["agents"]}


async def test_agents_log_in_and_out_by_hand(receiver: Receiver) -> None:
    config = centre_config({"talk_mean_s": 100.0}, time_scale=0.002)
    async with played(config, receiver) as run:
        agents = f"{run.emulator.base_url}/_emulator/agents"
        await run.launch(1)
        await _until(run.emulator, "tasks_accepted", 1)
        # The agent talking logs out: it leaves once its task is done.
        left = (await run.client.post(agents, content=json.dumps({"change": -1}))).json()
        assert left["logged_in"] == 0
        assert [(a["state"], a["leaving"]) for a in left["agents"]] == [("talking", True)]
        await run.emulator.wait_idle()
        gone = (await run.client.get(agents)).json()
        assert [(a["state"], a["calls"]) for a in gone["agents"]] == [("offline", 1)]
        # Nobody to take the next call: its caller gives up.
        run.emulator.configure(callcentre={"patience_mean_s": 1.0})
        await run.launch(1, first=1)
        await run.emulator.wait_idle()
        back = (await run.client.post(agents, content=json.dumps({"logged_in": 3}))).json()
        assert (back["logged_in"], back["by_state"]) == (3, {"available": 3})
        refused = [
            await run.client.post(agents, content=body)
            for body in (b"[]", b'{"change": 1.5}', b'{"logged_in": -1}', b'{"x": 1}', b"{")
        ]
        centre = run.emulator.stats()["callcentre"]
    assert {answer.status_code for answer in refused} == {400}
    assert (centre["tasks_completed"], centre["tasks_canceled"]) == (1, 1)
    first, second = by_call(receiver).values()
    assert kinds(first)[-1] == "task.completed"
    assert kinds(second)[-2:] == ["task.canceled", "call.completed"]


async def test_the_agents_route_refuses_while_the_call_centre_is_off(
    client: httpx.AsyncClient,
) -> None:
    refused = await client.post("/_emulator/agents", content=json.dumps({"change": 1}))
    assert refused.status_code == 400
    assert "enabled" in refused.json()["error"]


async def test_occupancy_adds_up(receiver: Receiver) -> None:
    scale = 0.005
    settings = {"agents": 2, "talk_mean_s": 100.0, "accept_s": [1.0, 1.0], "wrapup_s": [20, 20]}
    before = time.monotonic()
    async with played(centre_config(settings, time_scale=scale), receiver) as run:
        await run.launch(4)
        await run.emulator.wait_idle()
        centre = run.emulator.stats()["callcentre"]
        calls = [e for e in run.emulator.stats()["executions"] if e["handed_to_agent"]]
    elapsed = (time.monotonic() - before) / scale
    seconds = centre["seconds_by_state"]
    assert len(calls) == centre["tasks_completed"] == 4
    assert sum(a["calls"] for a in centre["agents"]) == 4
    assert sum(c["agent_talk_s"] for c in calls) == 400.0
    # Each step runs at the time it was due, however late the loop: the spans are exact.
    assert seconds["talking"] == pytest.approx(400.0)
    assert seconds["wrapping"] == pytest.approx(80.0)
    assert seconds["reserved"] == pytest.approx(4.0)
    assert centre["staffed_s"] == pytest.approx(sum(seconds.values()))
    assert centre["staffed_s"] <= 2 * elapsed
    assert centre["talk_s"] == seconds["talking"]
    assert centre["occupancy"] == pytest.approx(seconds["talking"] / centre["staffed_s"])
    busy = seconds["talking"] + seconds["wrapping"]
    assert centre["occupancy_with_wrapup"] == pytest.approx(busy / centre["staffed_s"])
    assert 0 < centre["occupancy"] < centre["occupancy_with_wrapup"] < 1


@pytest.mark.parametrize(
    "changes",
    [
        {"callcentre": "on"},
        {"callcentre": {"bogus": 1}},
        {"callcentre": {"agents": -1}},
        {"callcentre": {"schedule": [[10]]}},
        {"callcentre": {"schedule": [[-1, 2]]}},
        {"callcentre": {"task_queue_sid": "WQ1"}},
        {"callcentre": {"task_queue_sid_by_flow": {"FW1": "WS" + "0" * 32}}},
        {"callcentre": {"wrapup_s": [40, 20]}},
        {"callcentre": {"task_payload": "deep"}},
        {"callcentre": {"stats_redis_url": "http://127.0.0.1:1"}},
        {"callcentre": {"stats_every_s": 0}},
    ],
)
def test_bad_call_centre_settings_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="callcentre"):
        updated_config(EmulatorConfig(), changes)


def test_a_call_centre_change_names_only_what_it_changes() -> None:
    config = updated_config(EmulatorConfig(), {"callcentre": {"schedule": [[10, 2], [20, -1]]}})
    config = updated_config(config, {"callcentre": {"agents": 4}})
    assert config.callcentre.schedule == ((10.0, 2), (20.0, -1))
    assert config.callcentre.agents == 4
    assert config_as_dict(config)["callcentre"]["schedule"] == [[10.0, 2], [20.0, -1]]
    assert config_as_dict(config)["callcentre"]["enabled"] is False
    _, started = parse_args(["--settings", '{"callcentre": {"enabled": true, "agents": 3}}'])
    assert (started.callcentre.enabled, started.callcentre.agents) == (True, 3)
