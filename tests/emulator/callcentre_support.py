"""Helpers of the call centre's tests: settings, a played campaign, its events by call."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from tests.emulator.conftest import FAST, Receiver, create_execution, phone
from twilio_emulator import EmulatorConfig, EmulatorHandle, running_emulator
from twilio_emulator.cloudevents import EVENT_TYPES, TASKROUTER_PREFIX, VOICE_PREFIX
from twilio_emulator.config import updated_config

Event = dict[str, Any]

# Fixed timings (no spread), long patience: a test changes what it is about.
STEADY = {
    "enabled": True,
    "agents": 1,
    "accept_s": [0.5, 0.5],
    "talk_mean_s": 60.0,
    "talk_log_sd": 0.0,
    "wrapup_s": [10.0, 10.0],
    "patience_mean_s": 1e9,
}


def centre_config(
    callcentre: Mapping[str, object] | None = None, **settings: object
) -> EmulatorConfig:
    """FAST with every answered call a person's, and the call centre on with `STEADY`."""
    changes: dict[str, object] = {"outcome_weights": {"human": 1.0}, **settings}
    changes["callcentre"] = {**STEADY, **(callcentre or {})}
    return updated_config(FAST, changes)


async def subscribe_latest(
    client: httpx.AsyncClient, destination: str, types: list[str] | None = None
) -> None:
    """A webhook sink for `destination` subscribed to `types` (default all) at their latest
    schema versions."""
    config = {"destination": destination, "method": "POST", "batch_events": True}
    sink = await client.post(
        "/v1/Sinks",
        data={"Description": "t", "SinkType": "webhook", "SinkConfiguration": json.dumps(config)},
    )
    assert sink.status_code == 201, sink.text
    items = [json.dumps({"type": t}) for t in types or EVENT_TYPES]
    data = {"Description": "t", "SinkSid": sink.json()["sid"], "Types": items}
    subscription = await client.post("/v1/Subscriptions", data=data)
    assert subscription.status_code == 201, subscription.text


@dataclass
class Played:
    emulator: EmulatorHandle
    client: httpx.AsyncClient

    async def launch(self, count: int, first: int = 0) -> None:
        for n in range(first, first + count):
            answer = await create_execution(self.client, phone(n))
            assert answer.status_code == 201, answer.text


@asynccontextmanager
async def played(config: EmulatorConfig, receiver: Receiver) -> AsyncIterator[Played]:
    """An emulator under `config` whose every event type goes to `receiver`."""
    async with running_emulator(config) as emulator:
        auth = (emulator.account_sid, emulator.auth_token)
        async with httpx.AsyncClient(base_url=emulator.base_url, auth=auth) as client:
            await subscribe_latest(client, receiver.events_url)
            yield Played(emulator, client)


def fields(event: Event) -> dict[str, Any]:
    """A TaskRouter event's fields, wherever its layout puts them."""
    data: dict[str, Any] = event["data"]
    return data.get("payload", data)


def call_sid_of(event: Event) -> str:
    """The call an event is about: its `CallSid`, or the `call_sid` of its task."""
    if event["type"].startswith(VOICE_PREFIX):
        return str(event["data"]["request"]["parameters"]["CallSid"])
    if event["type"].startswith(TASKROUTER_PREFIX):
        return str(json.loads(fields(event)["task_attributes"])["call_sid"])
    return ""


def by_call(receiver: Receiver) -> dict[str, list[Event]]:
    """Voice and TaskRouter events by call SID, in the order they happened (`time`, then
    arrival: events of one millisecond leave in one batch, in order)."""
    found: dict[str, list[Event]] = {}
    for event in sorted(receiver.all_events(), key=lambda e: str(e["time"])):
        sid = call_sid_of(event)
        if sid:
            found.setdefault(sid, []).append(event)
    return found


def kinds(events: list[Event]) -> list[str]:
    """`call.answered`, `task.created`...: each event's type without its product prefix."""
    return [e["type"].removeprefix(VOICE_PREFIX).removeprefix(TASKROUTER_PREFIX) for e in events]


def voice(events: list[Event], kind: str) -> dict[str, str]:
    """The status-callback parameters of the voice event `kind` in `events`."""
    [event] = [e for e in events if e["type"] == VOICE_PREFIX + kind]
    return dict(event["data"]["request"]["parameters"])


def stats_of(emulator: EmulatorHandle, call_sid: str) -> dict[str, Any]:
    """The stats' entry of the execution whose call is `call_sid`."""
    [entry] = [e for e in emulator.stats()["executions"] if e["call_sid"] == call_sid]
    return dict(entry)
