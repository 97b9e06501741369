"""Which sources report a failed, a busy and an answered call, and how late, per setting."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import httpx
import pytest
from twilio.request_validator import RequestValidator

from tests.emulator.conftest import FAST, Delivery, Receiver, create_execution, phone, subscribe
from twilio_emulator import EmulatorConfig, Execution, running_emulator
from twilio_emulator.cloudevents import STUDIO_ENDED, STUDIO_STARTED, STUDIO_STEP_ENDED
from twilio_emulator.cloudevents import VOICE_PREFIX as VOICE
from twilio_emulator.config import SOURCE_PRESETS, updated_config

CALLS = ("failed", "busy", "human")
# Every voice event a call of each outcome has, by the suffix of its type.
ALL_VOICE = {
    "failed": {"call.initiated", "call.completed"},
    "busy": {"call.initiated", "call.ringing", "call.completed"},
    "human": {"call.initiated", "call.ringing", "call.answered", "amd.detected", "call.completed"},
}
VOICE_CALLS = {
    "all": {"failed", "busy", "human"},
    "not_failed": {"busy", "human"},
    "answered": {"human"},
    "none": set(),
}
POSTED_CALLS = {"all": {"failed", "busy", "human"}, "failed": {"failed"}, "none": set()}


@asynccontextmanager
async def _played(
    receiver: Receiver, settings: Mapping[str, object], calls: tuple[str, ...] = CALLS
) -> AsyncIterator[dict[str, Execution]]:
    """One call of each outcome of `calls`, played to the end under `settings`; by outcome."""
    async with running_emulator(updated_config(FAST, settings)) as emulator:
        auth = (emulator.account_sid, emulator.auth_token)
        async with httpx.AsyncClient(base_url=emulator.base_url, auth=auth) as client:
            await subscribe(client, receiver.events_url)
            for n, outcome in enumerate(calls):
                weights = {"outcome_weights": {outcome: 1.0}}
                answer = await client.post("/_emulator/config", content=json.dumps(weights))
                assert answer.status_code == 200, answer.text
                await _launch(client, receiver, n)
            await emulator.wait_idle()
        assert emulator.violations() == []
        yield {e.outcome: e for e in emulator.executions()}


async def _launch(client: httpx.AsyncClient, receiver: Receiver, n: int) -> None:
    parameters = {
        "campaign_execution_id": "ce-1",
        "record_id": f"r-{n}",
        "callstatus_url": receiver.callstatus_url,
        "callstatus_token": f"token-{n}",
        "attributes": {},
    }
    answer = await create_execution(client, phone(n), parameters)
    assert answer.status_code == 201, answer.text


def _concerns(event: Mapping[str, Any], execution: Execution) -> bool:
    data = event["data"]
    if str(event["type"]).startswith(VOICE):
        return bool(data["request"]["parameters"]["To"] == execution.to)
    return bool(data["execution_sid"] == execution.sid)


def _voice(receiver: Receiver, execution: Execution) -> set[str]:
    return {
        str(event["type"]).removeprefix(VOICE)
        for event in receiver.all_events()
        if str(event["type"]).startswith(VOICE) and _concerns(event, execution)
    }


def _studio(receiver: Receiver, execution: Execution) -> Counter[str]:
    return Counter(
        str(event["type"])
        for event in receiver.all_events()
        if not str(event["type"]).startswith(VOICE) and _concerns(event, execution)
    )


def _posts(receiver: Receiver, execution: Execution) -> list[dict[str, str]]:
    forms = [post.form() for post in receiver.callstatus]
    return [form for form in forms if form["execution_sid"] == execution.sid]


def _first(receiver: Receiver, execution: Execution, wanted: str) -> int:
    """Index in arrival order of the first delivery with `wanted` (an event type or a post)."""
    for index, delivery in enumerate(receiver.arrivals):
        if wanted == "callstatus" and delivery in receiver.callstatus:
            if delivery.form()["execution_sid"] == execution.sid:
                return index
        elif delivery in receiver.batches and _carries(delivery, execution, wanted):
            return index
    raise AssertionError(f"no {wanted} arrived for {execution.outcome}")


def _carries(delivery: Delivery, execution: Execution, prefix: str) -> bool:
    events = delivery.events()
    return any(str(e["type"]).startswith(prefix) and _concerns(e, execution) for e in events)


def _carries_type(delivery: Delivery, prefix: str) -> bool:
    return any(str(e["type"]).startswith(prefix) for e in delivery.events())


def _lateness(delivery: Delivery, prefix: str) -> list[float]:
    """Seconds from the `time` of each event of type `prefix...` to the arrival of its batch."""
    events = [e for e in delivery.events() if str(e["type"]).startswith(prefix)]
    return [delivery.at - datetime.fromisoformat(str(e["time"])).timestamp() for e in events]


@pytest.mark.parametrize("completed_event", [True, False])
@pytest.mark.parametrize("rule", sorted(VOICE_CALLS))
async def test_voice_events_reach_the_sink_for_the_calls_the_rule_names(
    receiver: Receiver, rule: str, completed_event: bool
) -> None:
    settings = {"voice_events_on": rule, "voice_completed_event": completed_event}
    async with _played(receiver, settings) as calls:
        for outcome, execution in calls.items():
            expected = ALL_VOICE[outcome] if outcome in VOICE_CALLS[rule] else set()
            if not completed_event:
                expected = expected - {"call.completed"}
            assert _voice(receiver, execution) == expected, outcome
            studio = {STUDIO_STARTED: 1, STUDIO_STEP_ENDED: 1, STUDIO_ENDED: 1}
            assert _studio(receiver, execution) == studio, outcome
            assert len(_posts(receiver, execution)) == 1, outcome


@pytest.mark.parametrize("rule", sorted(POSTED_CALLS))
async def test_the_flow_posts_for_the_calls_the_rule_names(receiver: Receiver, rule: str) -> None:
    async with _played(receiver, {"callstatus_on": rule}) as calls:
        for outcome, execution in calls.items():
            posts = _posts(receiver, execution)
            if outcome not in POSTED_CALLS[rule]:
                assert posts == [], outcome
                continue
            [post] = posts
            assert post["call_status"] == ("completed" if outcome == "human" else outcome)
            assert post["call_sid"] == execution.call_sid
            assert post["error_code"] == ("13224" if outcome == "failed" else "")


@pytest.mark.parametrize("call_sid", ["sent", "empty", "omitted"])
async def test_the_post_carries_the_call_sid_as_set(receiver: Receiver, call_sid: str) -> None:
    async with _played(receiver, {"callstatus_call_sid": call_sid}, ("failed",)) as calls:
        [post] = _posts(receiver, calls["failed"])
        expected = {"sent": calls["failed"].call_sid, "empty": "", "omitted": None}[call_sid]
        assert post.get("call_sid") == expected
        assert call_sid != "sent" or str(expected).startswith("CA")
    [delivery] = receiver.callstatus
    signature = delivery.headers["x-twilio-signature"]
    assert RequestValidator(FAST.auth_token).validate(delivery.url, delivery.form(), signature)


def test_the_defaults_are_the_description_preset() -> None:
    defaults = EmulatorConfig()
    assert {name: getattr(defaults, name) for name in SOURCE_PRESETS["description"]} == dict(
        SOURCE_PRESETS["description"]
    )


@pytest.mark.parametrize("settings", [{}, {"sources": "description"}])
async def test_the_description_preset_plays_the_failed_call_path(
    receiver: Receiver, settings: dict[str, object]
) -> None:
    async with _played(receiver, settings) as calls:
        failed = calls["failed"]
        assert _voice(receiver, failed) == set()
        [post] = _posts(receiver, failed)
        assert (post["call_status"], post["error_code"]) == ("failed", "13224")
        assert post["call_sid"] == failed.call_sid
        assert post["call_sid"].startswith("CA")
        assert _voice(receiver, calls["busy"]) == ALL_VOICE["busy"]
        assert _voice(receiver, calls["human"]) == ALL_VOICE["human"]


async def test_step_events_can_be_left_out(receiver: Receiver) -> None:
    async with _played(receiver, {"step_events": False}) as calls:
        for outcome, execution in calls.items():
            assert _studio(receiver, execution) == {STUDIO_STARTED: 1, STUDIO_ENDED: 1}, outcome
            assert len(_posts(receiver, execution)) == 1, outcome


async def test_voice_events_can_arrive_after_execution_ended(receiver: Receiver) -> None:
    settings = {"voice_events_on": "all", "voice_delay_s": 0.3}
    async with _played(receiver, settings) as calls:
        for outcome, execution in calls.items():
            ended = _first(receiver, execution, STUDIO_ENDED)
            assert ended < _first(receiver, execution, VOICE), outcome
    voice = [b for b in receiver.batches if _carries_type(b, VOICE)]
    assert voice
    assert all(min(_lateness(batch, VOICE)) >= 0.3 - 0.002 for batch in voice)


@pytest.mark.parametrize("setting", ["studio_started_delay_s", "studio_delay_s"])
async def test_the_post_can_arrive_before_execution_started(
    receiver: Receiver, setting: str
) -> None:
    async with _played(receiver, {setting: 0.5}) as calls:
        for outcome, execution in calls.items():
            posted = _first(receiver, execution, "callstatus")
            assert posted < _first(receiver, execution, STUDIO_STARTED), outcome
            if setting == "studio_delay_s":
                assert posted < _first(receiver, execution, STUDIO_STEP_ENDED), outcome
    started = [b for b in receiver.batches if _carries_type(b, STUDIO_STARTED)]
    assert started
    assert all(min(_lateness(batch, STUDIO_STARTED)) >= 0.5 - 0.002 for batch in started)


async def test_posts_and_events_can_be_repeated_under_any_rule(receiver: Receiver) -> None:
    settings = {
        "voice_events_on": "not_failed",
        "callstatus_duplicate_probability": 1.0,
        "duplicate_probability": 1.0,
        "shuffle_within_batch": True,
        "batch_window_s": 0.2,
    }
    async with _played(receiver, settings) as calls:
        for outcome, execution in calls.items():
            first, second = _posts(receiver, execution)
            assert first == second, outcome
        assert _voice(receiver, calls["failed"]) == set()
    ids = Counter(event["id"] for event in receiver.all_events())
    assert set(ids.values()) == {2}
