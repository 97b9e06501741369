"""Fixtures of the emulator's tests: a running emulator, a client for it, a webhook receiver."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from twilio_emulator import EmulatorConfig, EmulatorHandle, running_emulator
from twilio_emulator.cloudevents import EVENT_TYPES
from twilio_emulator.server import serving

FLOW_SID = "FW" + "ab" * 16
FROM = "+15005550006"

# Simulated minutes run in tens of milliseconds; deliveries are prompt.
FAST = EmulatorConfig(
    time_scale=0.0005,
    account_cps=50,
    studio_executions_per_s=50,
    batch_window_s=0.005,
    delivery_retry_base_s=0.01,
    validate_openapi=True,
)


def phone(n: int) -> str:
    return f"+1415555{n:04d}"


@dataclass
class Delivery:
    """One request the receiver got: the URL as called, its headers, raw body, wall time."""

    url: str
    headers: dict[str, str]
    body: bytes
    at: float = field(default_factory=time.time)

    def events(self) -> list[dict[str, object]]:
        doc = json.loads(self.body)
        return doc if isinstance(doc, list) else [doc]

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode(), keep_blank_values=True))


@dataclass
class Receiver:
    """A tiny webhook destination: `/events` for Event Streams, `/callstatus` for the flow."""

    base_url: str = ""
    batches: list[Delivery] = field(default_factory=list)
    callstatus: list[Delivery] = field(default_factory=list)
    arrivals: list[Delivery] = field(default_factory=list)  # both kinds, in arrival order
    fail_first: int = 0  # answer 500 to this many requests first

    @property
    def events_url(self) -> str:
        return f"{self.base_url}/events"

    @property
    def callstatus_url(self) -> str:
        return f"{self.base_url}/callstatus"

    def all_events(self) -> list[dict[str, object]]:
        return [event for batch in self.batches for event in batch.events()]

    async def _record(self, request: Request) -> Response:
        if self.fail_first > 0:
            self.fail_first -= 1
            return Response(status_code=500)
        delivery = Delivery(str(request.url), dict(request.headers), await request.body())
        target = self.batches if request.url.path == "/events" else self.callstatus
        target.append(delivery)
        self.arrivals.append(delivery)
        return Response(status_code=200)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/events", self._record, methods=["POST"]),
                Route("/callstatus", self._record, methods=["POST"]),
            ]
        )


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    found = Receiver()
    async with serving(found.app()) as base_url:
        found.base_url = base_url
        yield found


@pytest.fixture
async def emulator() -> AsyncIterator[EmulatorHandle]:
    async with running_emulator(FAST) as handle:
        yield handle


@pytest.fixture
async def client(emulator: EmulatorHandle) -> AsyncIterator[httpx.AsyncClient]:
    auth = (emulator.account_sid, emulator.auth_token)
    async with httpx.AsyncClient(base_url=emulator.base_url, auth=auth) as http:
        yield http


async def create_execution(
    client: httpx.AsyncClient, to: str, parameters: Mapping[str, object] | None = None
) -> httpx.Response:
    data = {"To": to, "From": FROM, "Parameters": json.dumps(parameters or {})}
    return await client.post(f"/v2/Flows/{FLOW_SID}/Executions", data=data)


async def subscribe(
    client: httpx.AsyncClient, destination: str, types: list[str] | None = None
) -> str:
    """Create a webhook sink for `destination` subscribed to `types` (all known by default)."""
    config = {"destination": destination, "method": "POST", "batch_events": True}
    sink = await client.post(
        "/v1/Sinks",
        data={
            "Description": "test",
            "SinkType": "webhook",
            "SinkConfiguration": json.dumps(config),
        },
    )
    assert sink.status_code == 201, sink.text
    items = [json.dumps({"type": t, "schema_version": 2}) for t in types or EVENT_TYPES]
    subscription = await client.post(
        "/v1/Subscriptions",
        data={"Description": "test", "SinkSid": sink.json()["sid"], "Types": items},
    )
    assert subscription.status_code == 201, subscription.text
    return str(sink.json()["sid"])
