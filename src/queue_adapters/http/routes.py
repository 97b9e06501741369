"""The contract's routes as Starlette endpoints, translating HTTP to the application's calls.

The webhook routes do only what must happen before answering: check the content type, bound
the body (in size and in time), check the signature or token, parse, drop what is too old to
act on, and store the facts durably through `WebhookIntake.record`. They answer 503 when the
store cannot be reached, so that Twilio delivers again (facts are deduplicated, so a
redelivery counts once). A client that hangs up before its body is read gets no answer and
no traceback: it is counted (`disconnected`) and logged on one line at DEBUG.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Scope

from queue_adapters.http.forwarded import ORIGIN_SCOPE_KEY, ForwardedOrigin, TrustedProxyHeaders
from queue_adapters.http.openapi import (
    CALLSTATUS_MEDIA_TYPES,
    EVENTSTREAMS_MEDIA_TYPES,
    OPENAPI_DOCUMENT,
)
from queue_core.domain.errors import InvalidWebhook, StoreUnavailable
from queue_core.domain.facts import CallStatusReport, ContactFact
from queue_core.services.tracker import TrackResult

__all__ = ["HttpEndpoints", "WebhookIntake", "build_app", "build_routes"]

log = logging.getLogger("queue_adapters.http")


class BodyTooLarge(Exception):
    pass


class WebhookIntake(Protocol):
    """What the routes need from the application, wired by the composition root."""

    def event_streams_signature_ok(
        self,
        target: str,
        origin: ForwardedOrigin | None,
        headers: Mapping[str, str],
        body: bytes,
    ) -> bool:
        """Whether the signature covers the body and the URL of `target` (the raw path and
        query) under the public base URL, or under a trusted proxy's `origin` when given."""
        ...

    def parse_events(self, body: bytes) -> tuple[Sequence[ContactFact], Mapping[str, int]]:
        """Facts and the count of each unknown event type; raises `InvalidWebhook`."""
        ...

    def drop_stale(self, facts: Sequence[ContactFact]) -> Sequence[ContactFact]:
        """The facts young enough to act on (a replayed batch's are not); counts the others."""
        ...

    def parse_callstatus(
        self, content_type: str | None, body: bytes
    ) -> tuple[CallStatusReport, str]:
        """The report and its token; raises `InvalidWebhook`."""
        ...

    def callstatus_token_ok(self, report: CallStatusReport, token: str) -> bool: ...

    async def callstatus_current(self, report: CallStatusReport, token: str) -> bool:
        """Whether the launch the token was issued for is still under way or in flight, as the
        report's execution; False: the report comes too late to change anything (counted).
        Raises `StoreUnavailable`."""
        ...

    async def record(self, facts: Sequence[ContactFact]) -> TrackResult: ...

    def observe(self, route: str, outcome: str, unknown: Mapping[str, int] | None = None) -> None:
        """Count one request's outcome (for metrics)."""
        ...


@dataclass(frozen=True, slots=True)
class HttpEndpoints:
    intake: WebhookIntake
    readiness: Callable[[], Awaitable[list[str]]]
    max_body_bytes: int
    body_read_timeout_s: float = 10.0

    async def _body(self, request: Request) -> bytes:
        """The whole body, read within `body_read_timeout_s` (raises `TimeoutError`)."""
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            raise BodyTooLarge
        chunks, size = [], 0
        async with asyncio.timeout(self.body_read_timeout_s):
            async for chunk in request.stream():
                size += len(chunk)
                if size > self.max_body_bytes:
                    raise BodyTooLarge
                chunks.append(chunk)
        return b"".join(chunks)

    async def eventstreams(self, request: Request) -> Response:
        return await self._webhook(
            request, "eventstreams", EVENTSTREAMS_MEDIA_TYPES, self._eventstreams
        )

    async def callstatus(self, request: Request) -> Response:
        return await self._webhook(request, "callstatus", CALLSTATUS_MEDIA_TYPES, self._callstatus)

    async def _webhook(
        self,
        request: Request,
        route: str,
        media_types: tuple[str, ...],
        handle: Callable[[Request, bytes], Awaitable[Response]],
    ) -> Response:
        media = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
        if media not in media_types:
            self.intake.observe(route, "unsupported_media_type")
            return _error(415, f"Content-Type must be one of {', '.join(media_types)}")
        try:
            body = await self._body(request)
        except BodyTooLarge:
            self.intake.observe(route, "too_large")
            return _error(413, f"body larger than {self.max_body_bytes} bytes")
        except TimeoutError:
            self.intake.observe(route, "body_timeout")
            message = f"body not received within {self.body_read_timeout_s:g} s"
            return _error(408, message, headers={"Connection": "close"})
        except ClientDisconnect:
            # The client is gone: nothing can be answered, and it said nothing worth a trace.
            self.intake.observe(route, "disconnected")
            log.debug("%s: the client hung up before its body was read", route)
            return Response(status_code=400)
        try:
            return await handle(request, body)
        except InvalidWebhook as exc:
            self.intake.observe(route, "invalid")
            return _error(400, str(exc))
        except StoreUnavailable:
            self.intake.observe(route, "unavailable")
            return _error(503, "store unavailable, deliver again later")

    async def _eventstreams(self, request: Request, body: bytes) -> Response:
        origin = request.scope.get(ORIGIN_SCOPE_KEY)
        target = _request_target(request.scope)
        if not self.intake.event_streams_signature_ok(target, origin, request.headers, body):
            self.intake.observe("eventstreams", "forbidden")
            return _error(403, "bad or missing X-Twilio-Signature")
        facts, unknown = self.intake.parse_events(body)
        fresh = self.intake.drop_stale(facts)
        stale = len(facts) - len(fresh)
        if stale and not fresh:
            # A replay of a batch older than Twilio retries: answered, so it is not sent again.
            self.intake.observe("eventstreams", "stale", unknown)
            return _answer(TrackResult(0, 0, ()), stale)
        result = await self.intake.record(fresh)
        self.intake.observe("eventstreams", "accepted", unknown)
        return _answer(result, stale)

    async def _callstatus(self, request: Request, body: bytes) -> Response:
        report, token = self.intake.parse_callstatus(request.headers.get("content-type"), body)
        if not self.intake.callstatus_token_ok(report, token):
            self.intake.observe("callstatus", "forbidden")
            return _error(403, "bad callstatus_token")
        if not await self.intake.callstatus_current(report, token):
            self.intake.observe("callstatus", "stale")
            return _answer(TrackResult(0, 1, ()), 1)
        result = await self.intake.record([report])
        self.intake.observe("callstatus", "accepted")
        return _answer(result, 0)

    async def healthz(self, request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(self, request: Request) -> Response:
        reasons = await self.readiness()
        if reasons:
            return JSONResponse({"status": "not ready", "reasons": reasons}, status_code=503)
        return JSONResponse({"status": "ready"})

    async def openapi(self, request: Request) -> Response:
        return JSONResponse(OPENAPI_DOCUMENT)


def _answer(result: TrackResult, stale: int) -> Response:
    """200: what the facts did, and how many were too old (or too late) to act on."""
    return JSONResponse(
        {
            "matched": result.matched,
            "unmatched": result.unmatched,
            "settled": len(result.settled),
            "stale": stale,
        }
    )


def _error(status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    payload: dict[str, Any] = {"error": message}
    return JSONResponse(payload, status_code=status, headers=headers)


def _request_target(scope: Scope) -> str:
    """The request target as the client sent it: the raw path, and `?` and the raw query."""
    raw = scope.get("raw_path") or scope["path"].encode()
    path = raw.decode("latin-1")
    query = scope.get("query_string", b"").decode("latin-1")
    return f"{path}?{query}" if query else path


def build_app(
    endpoints: HttpEndpoints,
    *,
    lifespan: Callable[[Starlette], AbstractAsyncContextManager[None]],
    trusted_proxies: Sequence[str] = (),
) -> Starlette:
    """The Starlette app of the routes. `X-Forwarded-*` headers count only from
    `trusted_proxies` (see `forwarded.py`). A path with a trailing slash is not redirected
    (Starlette's redirect would name whatever `Host` the request carried): it is a 404."""
    middleware = (
        [Middleware(TrustedProxyHeaders, trusted=trusted_proxies)] if trusted_proxies else []
    )
    app = Starlette(routes=build_routes(endpoints), middleware=middleware, lifespan=lifespan)
    app.router.redirect_slashes = False
    return app


def build_routes(endpoints: HttpEndpoints) -> list[Route]:
    """The contract's public routes, for `Starlette(routes=...)`; `/metrics` is the admin
    listener's (`queue_adapters.http.admin`)."""
    return [
        Route("/eventstreams", endpoints.eventstreams, methods=["POST"]),
        Route("/callstatus", endpoints.callstatus, methods=["POST"]),
        Route("/healthz", endpoints.healthz, methods=["GET"]),
        Route("/readyz", endpoints.readyz, methods=["GET"]),
        Route("/openapi.json", endpoints.openapi, methods=["GET"]),
    ]
