"""Running the emulator in-process, on a free loopback port, for tests, benchmarks and the demo.

async with running_emulator(EmulatorConfig(time_scale=0.01)) as emulator:
    ...  # point the Twilio client at emulator.base_url
    await emulator.wait_idle()
    assert emulator.stats()["max_launches_in_1s"] <= 1
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Generator
from dataclasses import dataclass
from typing import Any

import uvicorn
from starlette.types import ASGIApp

from twilio_emulator._admin import apply_settings, stats
from twilio_emulator._answers import quiet_lost_answers
from twilio_emulator._callcentre_admin import callcentre_view
from twilio_emulator.app import create_app, emulator_state
from twilio_emulator.config import EmulatorConfig
from twilio_emulator.resources import Execution
from twilio_emulator.state import EmulatorState

__all__ = ["EmulatorHandle", "running_emulator", "serving"]


@dataclass(frozen=True, slots=True)
class EmulatorHandle:
    """A running emulator: where it listens, and its state for direct inspection."""

    base_url: str
    state: EmulatorState

    @property
    def config(self) -> EmulatorConfig:
        return self.state.config

    @property
    def account_sid(self) -> str:
        return self.state.config.account_sid

    @property
    def auth_token(self) -> str:
        return self.state.config.auth_token

    def stats(self) -> dict[str, Any]:
        """What `GET /_emulator/stats` answers."""
        return stats(self.state)

    def callcentre_stats(self) -> dict[str, Any]:
        """The call centre's part of the stats alone (`stats()["callcentre"]`), without the
        log of every execution."""
        return callcentre_view(self.state)

    def violations(self) -> list[str]:
        """What `GET /_emulator/violations` answers (it runs the pending OpenAPI checks)."""
        return self.state.checked_violations()

    def executions(self) -> list[Execution]:
        return list(self.state.executions.values())

    def configure(self, **changes: Any) -> None:
        """What `POST /_emulator/config` does; raises `ValueError` for a bad setting."""
        apply_settings(self.state, changes)

    async def wait_idle(self, limit_s: float = 30.0) -> None:
        """Wait until no call plays out and no webhook waits; `TimeoutError` after `limit_s`."""
        async with asyncio.timeout(limit_s):
            await self.state.wait_idle()


def server_config(app: ASGIApp) -> uvicorn.Config:
    """How the emulator is served. The loop is asyncio's own: `Arrivals` notes arrivals
    where its transports read (uvloop reads without Python's sockets)."""
    return uvicorn.Config(
        app, loop="asyncio", log_level="warning", lifespan="on", timeout_graceful_shutdown=2
    )


def family(host: str) -> socket.AddressFamily:
    """The address family of a numeric `host` ("127.0.0.1", "::1")."""
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def bound_socket(host: str, port: int, listener: socket.socket | None = None) -> socket.socket:
    """`listener` (default: a new TCP socket of `host`'s family) bound to `host`:`port`. A
    listener already bound is returned as it is: whoever bound it knows its port already."""
    if listener is not None and listener.getsockname()[1] != 0:
        return listener
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on accepted sockets that name it,
    # and without it an answer written in two parts waits for the peer's delayed ACK.
    sock = listener or socket.socket(family(host), socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


class _EmbeddedServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        # Embedded in a host process: its signals belong to the host, not to this server.
        yield


@contextlib.asynccontextmanager
async def serving(
    app: ASGIApp,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    listener: socket.socket | None = None,
) -> AsyncIterator[str]:
    """Serve any ASGI `app` with uvicorn in a task of the running loop, lifespan on; yields
    its base URL. Port 0 picks a free one. The server stops when the block exits.

    `listener`, a new TCP socket of the host's family, is the socket to serve on (an
    `Arrivals.listening_socket`, say); by default a plain one. Bound already, it is served on
    as it is: a caller that must know its URL before the app exists binds it first.
    """
    sock = bound_socket(host, port, listener)
    server = _EmbeddedServer(server_config(app))
    task = asyncio.get_running_loop().create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("the server stopped while starting")
            await asyncio.sleep(0.01)
        shown = f"[{host}]" if family(host) == socket.AF_INET6 else host
        yield f"http://{shown}:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        sock.close()


@contextlib.asynccontextmanager
async def running_emulator(
    config: EmulatorConfig | None = None, *, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[EmulatorHandle]:
    """Serve a new emulator in-process (see `serving`) and yield its handle.

    On exit the server stops, the calls still playing out are cancelled and webhooks not yet
    delivered are dropped (call `wait_idle` first to let them finish).
    """
    app = create_app(config)
    state = emulator_state(app)
    quiet_lost_answers()
    listener = state.arrivals.listening_socket(family(host))
    async with serving(app, host=host, port=port, listener=listener) as base_url:
        yield EmulatorHandle(base_url, state)
