"""twilio-python, pointed at the emulator by a URL-rewriting HTTP client, works against it."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from tests.emulator.conftest import FLOW_SID, FROM, phone
from twilio_emulator import EmulatorHandle


def _rewrite(url: str, base_url: str) -> str:
    parts = urlsplit(url)
    if not parts.hostname or not parts.hostname.endswith(".twilio.com"):
        return url
    return base_url + parts.path + (f"?{parts.query}" if parts.query else "")


class EmulatorAsyncHttpClient(AsyncTwilioHttpClient):  # type: ignore[misc]
    """Rewrites Twilio URLs to the emulator. It sends Basic auth as a header itself:
    aiohttp 3.14 deprecates the `BasicAuth` object twilio-python would build (a warning,
    an error under this suite's settings).
    """

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url

    async def request(
        self,
        method: str,
        url: str,
        params: Any = None,
        data: Any = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        **kwargs: Any,
    ) -> Response:
        headers = dict(headers or {})
        if auth is not None:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        url = _rewrite(url, self.base_url)
        return await super().request(method, url, params, data, headers, None, **kwargs)


class EmulatorHttpClient(TwilioHttpClient):  # type: ignore[misc]
    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        return super().request(method, _rewrite(url, self.base_url), *args, **kwargs)


@pytest.fixture
async def async_client(emulator: EmulatorHandle) -> AsyncIterator[Client]:
    http = EmulatorAsyncHttpClient(emulator.base_url)
    try:
        yield Client(emulator.account_sid, emulator.auth_token, http_client=http)
    finally:
        await http.close()


async def test_async_client_creates_lists_and_ends_executions(
    async_client: Client, emulator: EmulatorHandle
) -> None:
    executions = async_client.studio.v2.flows(FLOW_SID).executions
    created = [
        await executions.create_async(to=phone(n), from_=FROM, parameters={"record_id": f"r-{n}"})
        for n in range(5)
    ]
    assert all(e.status == "active" and e.sid.startswith("FN") for e in created)
    # A page size of 2 makes the client follow next_page_url twice.
    listed = await executions.list_async(page_size=2)
    assert {e.sid for e in listed} == {e.sid for e in created}
    assert {e.contact_channel_address for e in listed} == {phone(n) for n in range(5)}
    ended = await executions(created[0].sid).update_async(status="ended")
    assert ended.status == "ended"
    assert emulator.violations() == []


async def test_async_client_provisions_a_sink_and_subscription(
    async_client: Client, emulator: EmulatorHandle
) -> None:
    events = async_client.events.v1
    sink = await events.sinks.create_async(
        description="queue service",
        sink_configuration={
            "destination": "http://127.0.0.1:9/eventstreams",
            "method": "POST",
            "batch_events": True,
        },
        sink_type="webhook",
    )
    assert sink.status == "active"
    types = [
        {"type": "com.twilio.studio.flow.execution.started", "schema_version": 2},
        {"type": "com.twilio.studio.flow.execution.ended", "schema_version": 2},
    ]
    subscription = await events.subscriptions.create_async(
        description="queue service", sink_sid=sink.sid, types=types
    )
    listed = await events.subscriptions.list_async(sink_sid=sink.sid)
    assert [s.sid for s in listed] == [subscription.sid]
    subscribed = await events.subscriptions(subscription.sid).subscribed_events.list_async()
    assert {(t.type, t.schema_version) for t in subscribed} == {
        (t["type"], t["schema_version"]) for t in types
    }
    sinks = await events.sinks.list_async()
    assert [s.sink_configuration["destination"] for s in sinks] == [
        "http://127.0.0.1:9/eventstreams"
    ]
    assert emulator.violations() == []


async def test_sync_client_pages_through_executions(emulator: EmulatorHandle) -> None:
    def exercise() -> tuple[set[str], set[str]]:
        client = Client(
            emulator.account_sid,
            emulator.auth_token,
            http_client=EmulatorHttpClient(emulator.base_url),
        )
        executions = client.studio.v2.flows(FLOW_SID).executions
        made = {executions.create(to=phone(n), from_=FROM).sid for n in range(3)}
        seen = {e.sid for e in executions.stream(page_size=1)}
        return made, seen

    made, seen = await asyncio.to_thread(exercise)
    assert made == seen
    assert emulator.violations() == []
