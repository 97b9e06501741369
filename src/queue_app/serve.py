"""`queue-service serve`: the app under uvicorn, the admin listener beside it.

The app's lifespan (`queue_app.lifecycle`) does what `uvicorn --factory` does too: the logs,
the admin listener, and the signals. The first SIGTERM or SIGINT drains: no new launch,
claimed records back to their cache, webhooks still answered while calls in flight finish,
up to `QUEUE_SHUTDOWN_GRACE_S`; then the server stops and the process exits 0. A second
signal stops at once. Either way nothing is lost: the executions stay stored as running, and
the next instance carries on.
"""

from __future__ import annotations

import asyncio
import signal
from types import FrameType

import uvicorn
from starlette.applications import Starlette

from queue_app.app import create_app
from queue_app.settings import Settings

__all__ = ["serve", "server_config"]


def serve(settings: Settings) -> None:
    asyncio.run(_serve(settings))


def server_config(app: Starlette, settings: Settings) -> uvicorn.Config:
    """uvicorn's settings for the app. Its own proxy handling is off: uvicorn would apply
    `X-Forwarded-Proto`/`-For` from 127.0.0.1 (and `FORWARDED_ALLOW_IPS`) even with
    `QUEUE_TRUST_PROXY` off, and with it on the app must see the peer uvicorn saw to decide
    which `X-Forwarded-Host` to believe. The app applies the same handling itself, only for
    `QUEUE_TRUSTED_PROXIES` and only with trust on (`queue_adapters.http.forwarded`)."""
    return uvicorn.Config(
        app,
        host=settings.http.host,
        port=settings.http.port,
        lifespan="on",
        http="httptools",  # compiled (ADR 0030); uvicorn's fallback, h11, is pure Python
        log_config=None,
        access_log=False,
        proxy_headers=False,
        timeout_graceful_shutdown=5,
    )


def _handled(sig: int, frame: FrameType | None) -> None:
    """The signal was the lifespan's to act on, and it did."""


async def _serve(settings: Settings) -> None:
    app = create_app(settings)
    server = uvicorn.Server(server_config(app, settings))
    # uvicorn raises the signals it was handed again once it has stopped, under the handlers
    # it found: these, so that a drained service exits 0.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _handled)
    try:
        await server.serve()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_DFL)
