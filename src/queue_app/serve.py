"""`queue-service serve`: the app under uvicorn, with the service's own signal handling.

The first SIGTERM or SIGINT drains: no new launch, claimed records back to their cache,
webhooks still answered while calls in flight finish, up to `QUEUE_SHUTDOWN_GRACE_S`; then the
server stops and the process exits 0. A second signal stops at once. Either way nothing is
lost: the executions stay stored as running, and the next instance carries on.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from types import FrameType

import uvicorn
from starlette.applications import Starlette

from queue_app.app import QueueService, create_app
from queue_app.settings import Settings

__all__ = ["serve", "server_config"]

log = logging.getLogger("queue_app")


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
        log_config=None,
        access_log=False,
        proxy_headers=False,
        timeout_graceful_shutdown=5,
    )


async def _serve(settings: Settings) -> None:
    app = create_app(settings)
    service: QueueService = app.state.queue
    server = uvicorn.Server(server_config(app, settings))
    loop = asyncio.get_running_loop()
    draining: list[asyncio.Task[None]] = []

    async def drain_then_stop() -> None:
        try:
            await service.drain()
        finally:
            server.should_exit = True

    def on_signal(sig: int, frame: FrameType | None) -> None:
        if draining:
            log.warning("second signal: stopping now")
            server.force_exit = True
            server.should_exit = True
            return
        log.info("signal %s: draining (grace %.0fs)", sig, settings.instance.shutdown_grace_s)
        draining.append(loop.create_task(drain_then_stop()))

    # uvicorn installs `handle_exit` for SIGINT/SIGTERM while serving; ours drains first.
    server.handle_exit = on_signal  # type: ignore[method-assign]
    await server.serve()
    for task in draining:
        task.cancel()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)
