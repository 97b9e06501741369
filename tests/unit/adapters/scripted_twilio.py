"""A loopback HTTP server whose answers each test scripts, standing in for Twilio.

The Twilio HTTP client runs on aiohttp, which has no in-memory transport, so its tests talk
to this server on 127.0.0.1 (one per test, in the test's own loop). A script receives each
request as a `Seen` and returns an `Answer` (or any aiohttp response); it may sleep first, or
raise `Hangup` to drop the connection, optionally after writing some raw bytes. A script that
fails is reported when the server stops: aiohttp would only have answered 500.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from aiohttp import web

__all__ = ["Answer", "Hangup", "Script", "ScriptedTwilio", "Seen", "refused_url", "scripted_twilio"]


@dataclass(frozen=True)
class Seen:
    """One request as the server read it. `target` is the request line's target."""

    method: str
    target: str
    path: str
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]
    body: bytes

    def form(self) -> dict[str, list[str]]:
        """The urlencoded body, each key with all its values."""
        return parse_qs(self.body.decode(), keep_blank_values=True)


@dataclass(frozen=True)
class Answer:
    """An answer to script: a dict or list goes as JSON, a str as text, bytes as they are."""

    status: int
    body: object = b""
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def content(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body).encode()

    def response(self) -> web.Response:
        response = web.Response(status=self.status, body=self.content, headers=self.headers)
        if "Content-Type" in response.headers:
            pass
        elif isinstance(self.body, str):
            response.content_type = "text/plain"
        elif not isinstance(self.body, bytes):
            response.content_type = "application/json"
        return response


class Hangup(Exception):
    """Raised by a script: write `written` (raw bytes, maybe none), then drop the connection."""

    def __init__(self, written: bytes = b"") -> None:
        super().__init__("hang up")
        self.written = written


Script = Callable[[Seen], Answer | web.StreamResponse | Awaitable[Answer | web.StreamResponse]]


@dataclass
class ScriptedTwilio:
    """A running server: its base URL and every request it read, in order."""

    url: str
    seen: list[Seen] = field(default_factory=list)
    failures: list[BaseException] = field(default_factory=list)


def refused_url() -> str:
    """A loopback URL nothing listens on: connections to it are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


@asynccontextmanager
async def scripted_twilio(script: Script) -> AsyncIterator[ScriptedTwilio]:
    """Serve `script` on a free loopback port until the block ends."""
    scripted = ScriptedTwilio("")

    async def handle(request: web.BaseRequest) -> web.StreamResponse:
        seen = Seen(
            request.method,
            request.raw_path,
            request.path,
            {key: request.query.getall(key) for key in request.query},
            request.headers,
            await request.read(),
        )
        scripted.seen.append(seen)
        try:
            answer = script(seen)
            if inspect.isawaitable(answer):
                answer = await answer
        except Hangup as hangup:
            assert request.transport is not None
            request.transport.write(hangup.written)
            request.transport.close()
            return web.Response()
        except Exception as exc:
            scripted.failures.append(exc)
            raise
        return answer.response() if isinstance(answer, Answer) else answer

    # handler_cancellation: a script still sleeping when the client gives up is cancelled
    server = web.Server(handle, handler_cancellation=True)
    listener = await asyncio.get_running_loop().create_server(server, "127.0.0.1", 0)
    scripted.url = f"http://127.0.0.1:{listener.sockets[0].getsockname()[1]}"
    try:
        yield scripted
    finally:
        await server.shutdown(1.0)
        listener.close()
        await listener.wait_closed()
    if scripted.failures:
        raise scripted.failures[0]
