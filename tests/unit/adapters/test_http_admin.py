"""The admin listener's routes against a stub desk: the cross-site rule, the token, unknown
actions and executions, the page's files and its server-sent events (no I/O)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from queue_adapters.http import build_admin_app

TOKEN = "s3cret-token"
PAGE = {"Content-Type": "application/json", "X-Queue-UI": "1", "X-Queue-Admin-Token": TOKEN}
URL = "/ui/api/executions/ce-1/pause"


@dataclass
class StubDesk:
    token: str = TOKEN
    known: set[str] = field(default_factory=lambda: {"ce-1"})
    sent: list[tuple[str, str, str]] = field(default_factory=list)
    ticks_given: int = 2

    def metrics(self) -> tuple[bytes, str]:
        return b"queue_launches_total 0\n", "text/plain; version=0.0.4"

    def page(self, params: Mapping[str, str]) -> dict[str, Any]:
        return {"rows": [], "asked": dict(params)}

    async def ticks(self) -> AsyncIterator[None]:
        for _ in range(self.ticks_given):
            yield None

    async def detail(self, execution_id: str) -> dict[str, Any] | None:
        return {"execution": {"id": execution_id}} if execution_id in self.known else None

    async def control(self, action: str, execution_id: str, reason: str) -> str | None:
        if execution_id not in self.known:
            return None
        self.sent.append((action, execution_id, reason))
        return "1-0"


async def post(
    desk: StubDesk, headers: Mapping[str, str], url: str = URL, body: bytes = b"{}"
) -> httpx.Response:
    transport = httpx.ASGITransport(app=build_admin_app(desk))
    async with httpx.AsyncClient(transport=transport, base_url="http://admin.test") as client:
        return await client.post(url, content=body, headers=dict(headers))


async def test_a_page_request_with_the_token_is_carried_out() -> None:
    desk = StubDesk()

    answer = await post(desk, PAGE, body=b'{"reason": "lunch"}')

    assert answer.status_code == 202
    assert answer.json() == {"action": "pause", "campaign_execution_id": "ce-1", "entry_id": "1-0"}
    assert desk.sent == [("pause", "ce-1", "lunch")]


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"X-Queue-UI": None}, "X-Queue-UI"),
        ({"Sec-Fetch-Site": "cross-site"}, "Sec-Fetch-Site"),
        ({"Sec-Fetch-Site": "same-site"}, "Sec-Fetch-Site"),
        ({"Origin": "https://evil.example"}, "Origin"),
        ({"Origin": "null"}, "Origin"),
        ({"Content-Type": "application/x-www-form-urlencoded"}, "Content-Type"),
        ({"Content-Type": "text/plain"}, "Content-Type"),
    ],
)
async def test_a_cross_site_request_is_refused_with_no_effect(
    change: dict[str, str | None], why: str
) -> None:
    desk = StubDesk()
    headers = {k: v for k, v in {**PAGE, **change}.items() if v is not None}

    answer = await post(desk, headers)

    assert answer.status_code == 403
    assert "cross-site request refused" in answer.json()["error"]
    assert why in answer.json()["error"]
    assert desk.sent == []


async def test_the_listeners_own_origin_and_same_origin_fetches_pass() -> None:
    desk = StubDesk()
    headers = {**PAGE, "Origin": "http://admin.test", "Sec-Fetch-Site": "same-origin"}

    assert (await post(desk, headers)).status_code == 202


@pytest.mark.parametrize("token", ["wrong", "", TOKEN[:-1], TOKEN + " "])
async def test_a_wrong_or_missing_token_gets_401_with_no_effect(token: str) -> None:
    desk = StubDesk()
    headers = {**PAGE, "X-Queue-Admin-Token": token}
    if not token:
        del headers["X-Queue-Admin-Token"]

    answer = await post(desk, headers)

    assert answer.status_code == 401
    assert desk.sent == []


async def test_with_no_token_configured_every_action_is_refused_saying_so() -> None:
    desk = StubDesk(token="")

    answer = await post(desk, {**PAGE, "X-Queue-Admin-Token": ""})

    assert answer.status_code == 403
    assert "QUEUE_ADMIN_TOKEN is not set" in answer.json()["error"]
    assert desk.sent == []


async def test_unknown_executions_and_actions_get_404_with_the_reason() -> None:
    desk = StubDesk()

    unknown = await post(desk, PAGE, url="/ui/api/executions/ce-404/stop")
    start = await post(desk, PAGE, url="/ui/api/executions/ce-1/start")

    assert (unknown.status_code, start.status_code) == (404, 404)
    assert unknown.json()["error"] == "no execution 'ce-404': it was never started"
    assert "pause, resume or stop" in start.json()["error"]
    assert desk.sent == []


@pytest.mark.parametrize(
    "body", [b"not json", b"[1]", b'{"reason": 7}', b'{"reason": "' + b"x" * 513 + b'"}']
)
async def test_a_body_that_is_not_a_json_object_with_a_short_reason_gets_400(body: bytes) -> None:
    desk = StubDesk()

    answer = await post(desk, PAGE, body=body)

    assert answer.status_code == 400
    assert desk.sent == []


async def test_the_page_and_its_files_are_served_with_a_strict_policy() -> None:
    transport = httpx.ASGITransport(app=build_admin_app(StubDesk()))
    async with httpx.AsyncClient(transport=transport, base_url="http://admin.test") as client:
        page = await client.get("/ui/")
        script = await client.get("/ui/live.js")
        execution = await client.get("/ui/executions/ce-1")
        metrics = await client.get("/metrics")
        bare = await client.get("/ui")

    assert page.headers["content-type"].startswith("text/html")
    assert "EventSource" not in page.text
    assert '<script src="/ui/live.js">' in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert "new EventSource" in script.text
    assert "setInterval" not in script.text
    assert 'id="dispositions"' in execution.text
    assert metrics.text == "queue_launches_total 0\n"
    assert (bare.status_code, bare.headers["location"]) == (307, "/ui/")


async def test_the_event_streams_send_one_event_per_tick() -> None:
    transport = httpx.ASGITransport(app=build_admin_app(StubDesk(ticks_given=3)))
    async with httpx.AsyncClient(transport=transport, base_url="http://admin.test") as client:
        page = await client.get("/ui/events?q=ce&size=10")
        detail = await client.get("/ui/executions/ce-9/events")

    assert page.headers["content-type"].startswith("text/event-stream")
    assert page.text.count("event: page\ndata: ") == 3
    assert '"asked":{"q":"ce","size":"10"}' in page.text
    assert '"control":true' in page.text
    assert detail.text.count('event: execution\ndata: {"missing":"ce-9","control":true}') == 3
