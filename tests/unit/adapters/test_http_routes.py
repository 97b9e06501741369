"""The webhook routes' edge, through the ASGI app with a stub intake: content types, a body
that stops or never ends, a trailing slash, stale batches and late reports."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import Counter
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from starlette.applications import Starlette

from queue_adapters.http import HttpEndpoints, build_app
from queue_adapters.http.forwarded import ForwardedOrigin
from queue_core.domain.facts import AmdEvent, CallStatusReport, ContactFact
from queue_core.services.tracker import TrackResult

REPORT = CallStatusReport("FN" + "1" * 32, "ce-1", "r-1")
AMD = AmdEvent("EZ1", "CA1", "+14155550100", "+15005550006", "human", at=1.0)


@dataclass
class StubIntake:
    """Accepts every signature and token; `stale` and `current` say what the checks find."""

    facts: list[ContactFact] = field(default_factory=lambda: [AMD])
    stale: bool = False
    current: bool = True
    recorded: list[ContactFact] = field(default_factory=list)
    outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)
    targets: list[tuple[str, ForwardedOrigin | None]] = field(default_factory=list)

    def event_streams_signature_ok(
        self,
        target: str,
        origin: ForwardedOrigin | None,
        headers: Mapping[str, str],
        body: bytes,
    ) -> bool:
        self.targets.append((target, origin))
        return True

    def parse_events(self, body: bytes) -> tuple[Sequence[ContactFact], Mapping[str, int]]:
        return self.facts, {}

    def drop_stale(self, facts: Sequence[ContactFact]) -> Sequence[ContactFact]:
        return [] if self.stale else facts

    def parse_callstatus(
        self, content_type: str | None, body: bytes
    ) -> tuple[CallStatusReport, str]:
        return REPORT, "1.token"

    def callstatus_token_ok(self, report: CallStatusReport, token: str) -> bool:
        return True

    async def callstatus_current(self, report: CallStatusReport, token: str) -> bool:
        return self.current

    async def record(self, facts: Sequence[ContactFact]) -> TrackResult:
        self.recorded.extend(facts)
        return TrackResult(len(facts), 0, ())

    def observe(self, route: str, outcome: str, unknown: Mapping[str, int] | None = None) -> None:
        self.outcomes[route, outcome] += 1


async def ready() -> list[str]:
    return []


def app_of(intake: StubIntake, body_read_timeout_s: float = 5.0) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield

    endpoints = HttpEndpoints(intake, ready, 65_536, body_read_timeout_s)
    return build_app(endpoints, lifespan=lifespan)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


async def call(
    app: Starlette,
    path: str,
    content_type: str | None,
    messages: Sequence[dict[str, Any]] = ({"type": "http.request", "body": b"[]"},),
    query: bytes = b"",
) -> Answer:
    """One request, its body given as ASGI messages; after the last, `receive` waits for ever
    (a client that sends nothing more)."""
    headers = [] if content_type is None else [(b"content-type", content_type.encode())]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "headers": [(b"host", b"attacker.example"), *headers],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }
    pending = list(messages)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if pending:
            return pending.pop(0)
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    return Answer(
        start["status"],
        {k.decode(): v.decode() for k, v in start["headers"]},
        b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body"),
    )


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/eventstreams", "application/json"),
        ("/eventstreams", "application/json; charset=utf-8"),
        ("/eventstreams", "application/cloudevents-batch+json"),
        ("/eventstreams", "Application/CloudEvents+JSON"),
        ("/callstatus", "application/x-www-form-urlencoded"),
        ("/callstatus", "application/json"),
    ],
)
async def test_the_documented_content_types_are_taken(path: str, content_type: str) -> None:
    intake = StubIntake()

    answer = await call(app_of(intake), path, content_type)

    assert answer.status == 200, answer.body
    assert intake.recorded


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/eventstreams", None),
        ("/eventstreams", "text/plain"),
        ("/eventstreams", "application/x-www-form-urlencoded"),
        ("/callstatus", None),
        ("/callstatus", ""),
        ("/callstatus", "text/plain"),
        ("/callstatus", "multipart/form-data; boundary=x"),
        ("/callstatus", "application/merge-patch+json"),
    ],
)
async def test_any_other_content_type_gets_415_and_reaches_nothing(
    path: str, content_type: str | None
) -> None:
    intake = StubIntake()

    answer = await call(app_of(intake), path, content_type)

    assert answer.status == 415
    assert "Content-Type must be one of" in answer.json()["error"]
    assert not intake.recorded
    assert intake.outcomes[path.strip("/"), "unsupported_media_type"] == 1


@pytest.mark.parametrize("path", ["/eventstreams", "/callstatus"])
async def test_a_client_that_hangs_up_mid_body_is_counted_and_nothing_raises(path: str) -> None:
    intake = StubIntake()
    hangs_up = [
        {"type": "http.request", "body": b"[", "more_body": True},
        {"type": "http.disconnect"},
    ]

    await call(app_of(intake), path, "application/json", hangs_up)

    assert intake.outcomes[path.strip("/"), "disconnected"] == 1
    assert not intake.recorded


@pytest.mark.parametrize("path", ["/eventstreams", "/callstatus"])
async def test_a_body_that_stops_coming_gets_408_and_the_connection_closed(path: str) -> None:
    intake = StubIntake()
    stops = [{"type": "http.request", "body": b"[", "more_body": True}]

    answer = await asyncio.wait_for(
        call(app_of(intake, body_read_timeout_s=0.05), path, "application/json", stops), 5
    )

    assert answer.status == 408
    assert answer.headers["connection"] == "close"
    assert intake.outcomes[path.strip("/"), "body_timeout"] == 1


@pytest.mark.parametrize("path", ["/eventstreams/", "/callstatus/"])
async def test_a_trailing_slash_is_not_redirected(path: str) -> None:
    answer = await call(app_of(StubIntake()), path, "application/json")

    assert answer.status == 404
    assert "location" not in answer.headers


async def test_the_signature_is_checked_on_the_raw_target_not_the_host() -> None:
    intake = StubIntake()

    await call(app_of(intake), "/eventstreams", "application/json", query=b"bodySHA256=ab%2F")

    assert intake.targets == [("/eventstreams?bodySHA256=ab%2F", None)]


async def test_a_batch_of_stale_events_is_answered_and_ignored() -> None:
    intake = StubIntake(facts=[AMD, AMD], stale=True)

    answer = await call(app_of(intake), "/eventstreams", "application/json")

    assert answer.status == 200
    assert answer.json() == {"matched": 0, "unmatched": 0, "settled": 0, "stale": 2}
    assert not intake.recorded
    assert intake.outcomes["eventstreams", "stale"] == 1


async def test_a_report_whose_launch_is_over_is_answered_and_ignored() -> None:
    intake = StubIntake(current=False)

    answer = await call(app_of(intake), "/callstatus", "application/json")

    assert answer.status == 200
    assert answer.json() == {"matched": 0, "unmatched": 1, "settled": 0, "stale": 1}
    assert not intake.recorded
    assert intake.outcomes["callstatus", "stale"] == 1
