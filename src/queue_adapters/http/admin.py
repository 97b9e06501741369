"""The admin listener's routes: `/metrics`, the live page under `/ui/` with its server-sent
events, and the page's control actions (ADR 0029).

    GET  /metrics                              Prometheus text exposition
    GET  /ui/                                  the live page (every execution, paged)
    GET  /ui/executions/<id>                   one execution's page
    GET  /ui/events?q=&state=&offset=&size=    SSE: one `page` event now and after each tick
    GET  /ui/executions/<id>/events            SSE: one `execution` event now and after each tick
    POST /ui/api/executions/<id>/<action>      pause, resume or stop (JSON body)

A control action is refused, with no effect, unless it passes, in this order: the
cross-site rule (403: the `X-Queue-UI` header present, `Sec-Fetch-Site` same-origin or
absent, `Origin` this listener's own or absent, `Content-Type: application/json`), a token
configured (403, saying so), the `X-Queue-Admin-Token` header equal to it (401), a known
action (404) and a known execution (404, saying why). The page's files are package data.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from importlib import resources
from typing import Any, Protocol

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from queue_core.domain.errors import StoreUnavailable

__all__ = ["CONTROL_ACTIONS", "AdminDesk", "build_admin_app"]

CONTROL_ACTIONS = ("pause", "resume", "stop")
_FILES = {
    "index.html": "text/html; charset=utf-8",
    "execution.html": "text/html; charset=utf-8",
    "live.js": "text/javascript; charset=utf-8",
    "live.css": "text/css; charset=utf-8",
}
_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
_SAME_SITE = {"same-origin", "none"}


class AdminDesk(Protocol):
    """What the admin routes need from the application, wired by the composition root."""

    token: str  # the control actions' token; "" when none is configured

    def metrics(self) -> tuple[bytes, str]:
        """The exposition and its content type."""
        ...

    def page(self, params: Mapping[str, str]) -> dict[str, Any]:
        """The page of executions the query parameters select, as last refreshed."""
        ...

    def ticks(self) -> AsyncIterator[None]:
        """One item now and one after each refresh; ends when the service stops."""
        ...

    async def detail(self, execution_id: str) -> dict[str, Any] | None:
        """One execution's page; None when it was never started. Raises `StoreUnavailable`."""
        ...

    async def control(self, action: str, execution_id: str, reason: str) -> str | None:
        """Write the control entry; its id, or None (nothing written) when the execution was
        never started. Raises `StoreUnavailable`."""
        ...


def _file(name: str) -> bytes:
    return (resources.files("queue_adapters.http") / "ui" / name).read_bytes()


def _error(status: int, message: str) -> Response:
    return JSONResponse({"error": message}, status_code=status)


def _cross_site(request: Request) -> str | None:
    """Why the request may come from another site's page, or None when it cannot."""
    if request.headers.get("x-queue-ui") is None:
        return "the X-Queue-UI header is missing"
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in _SAME_SITE:
        return f"Sec-Fetch-Site is {fetch_site[:32]}"
    origin = request.headers.get("origin")
    own = f"{request.url.scheme}://{request.headers.get('host', '')}"
    if origin is not None and origin != own:
        return "Origin is not this listener's"
    media = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if media != "application/json":
        return "Content-Type must be application/json"
    return None


def _reason(body: bytes) -> str | None:
    """The body's `reason` ("from the live page" when none); None when the body is not a
    JSON object with an optional string `reason` of at most 512 characters."""
    try:
        document = json.loads(body or b"{}")
    except ValueError:
        return None
    reason = document.get("reason", "from the live page") if isinstance(document, dict) else 0
    if not isinstance(reason, str) or len(reason) > 512:
        return None
    return reason


class _AdminRoutes:
    def __init__(self, desk: AdminDesk) -> None:
        self.desk = desk
        self.files = {name: _file(name) for name in _FILES}

    def static(self, name: str) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            return Response(self.files[name], media_type=_FILES[name], headers=_HEADERS)

        return endpoint

    async def metrics(self, request: Request) -> Response:
        body, content_type = self.desk.metrics()
        return Response(body, media_type=content_type)

    async def page_events(self, request: Request) -> Response:
        params = dict(request.query_params)

        async def events() -> AsyncIterator[str]:
            async for _ in self.desk.ticks():
                yield _event("page", {**self.desk.page(params), "control": bool(self.desk.token)})

        return _stream(events())

    async def execution_events(self, request: Request) -> Response:
        execution_id = request.path_params["execution_id"]

        async def events() -> AsyncIterator[str]:
            async for _ in self.desk.ticks():
                try:
                    detail = await self.desk.detail(execution_id)
                except StoreUnavailable as exc:
                    detail = {"problem": f"store unavailable: {exc}"}
                detail = detail or {"missing": execution_id}
                yield _event("execution", {**detail, "control": bool(self.desk.token)})

        return _stream(events())

    async def control(self, request: Request) -> Response:
        refused = _cross_site(request)
        if refused is not None:
            return _error(403, f"cross-site request refused: {refused}")
        if not self.desk.token:
            return _error(403, "control actions are refused: QUEUE_ADMIN_TOKEN is not set")
        given = request.headers.get("x-queue-admin-token", "")
        if not hmac.compare_digest(given.encode(), self.desk.token.encode()):
            return _error(401, "wrong or missing X-Queue-Admin-Token")
        action, execution_id = request.path_params["action"], request.path_params["execution_id"]
        if action not in CONTROL_ACTIONS:
            return _error(404, f"no action {action[:32]!r}: pause, resume or stop")
        reason = _reason(await request.body())
        if reason is None:
            return _error(400, "the body must be a JSON object; reason: text up to 512")
        try:
            entry = await self.desk.control(action, execution_id, reason)
        except StoreUnavailable:
            return _error(503, "store unavailable, try again")
        if entry is None:
            return _error(404, f"no execution {execution_id[:128]!r}: it was never started")
        answer = {"action": action, "campaign_execution_id": execution_id, "entry_id": entry}
        return JSONResponse(answer, status_code=202)


async def _to_the_page(request: Request) -> Response:
    return RedirectResponse("/ui/")


def _event(name: str, data: object) -> str:
    return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


def _stream(events: AsyncIterator[str]) -> Response:
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(events, media_type="text/event-stream", headers=headers)


def build_admin_app(desk: AdminDesk) -> Starlette:
    """The admin listener's app: no lifespan of its own (the service's app runs it)."""
    routes = _AdminRoutes(desk)
    app = Starlette(
        routes=[
            Route("/metrics", routes.metrics, methods=["GET"]),
            Route("/ui", _to_the_page, methods=["GET"]),
            Route("/ui/", routes.static("index.html"), methods=["GET"]),
            *[
                Route(f"/ui/{name}", routes.static(name), methods=["GET"])
                for name in ("live.js", "live.css")
            ],
            Route("/ui/events", routes.page_events, methods=["GET"]),
            Route("/ui/executions/{execution_id}", routes.static("execution.html")),
            Route("/ui/executions/{execution_id}/events", routes.execution_events),
            Route("/ui/api/executions/{execution_id}/{action}", routes.control, methods=["POST"]),
        ]
    )
    app.router.redirect_slashes = False
    return app
