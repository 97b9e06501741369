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

from queue_app.app import QueueService, create_app
from queue_app.settings import Settings

__all__ = ["serve"]

log = logging.getLogger("queue_app")


def serve(settings: Settings) -> None:
    asyncio.run(_serve(settings))


async def _serve(settings: Settings) -> None:
    app = create_app(settings)
    service: QueueService = app.state.queue
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        lifespan="on",
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
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
        log.info("signal %s: draining (grace %.0fs)", sig, settings.shutdown_grace_s)
        draining.append(loop.create_task(drain_then_stop()))

    # uvicorn installs `handle_exit` for SIGINT/SIGTERM while serving; ours drains first.
    server.handle_exit = on_signal  # type: ignore[method-assign]
    await server.serve()
    for task in draining:
        task.cancel()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)
