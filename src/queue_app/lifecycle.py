"""The lifespan of the service's app: one behaviour under `queue-service serve` and under
`uvicorn --factory queue_app.app:create_app` (ADR 0029).

Start: the service (`QueueService.start`), the live board, and the admin listener on
`QUEUE_ADMIN_PORT` (the logs, as `QUEUE_LOG_JSON` and `QUEUE_LOG_LEVEL` say, are set up by
`create_app` itself, before uvicorn's first line). Then, when the app owns its process and
runs on its main thread, the process's SIGTERM and SIGINT: the first drains
(`QueueService.drain`, up to `QUEUE_SHUTDOWN_GRACE_S`, webhooks still answered meanwhile)
and then hands the signal to whoever held it before (the server: uvicorn stops accepting,
finishes its requests and ends the lifespan); a second one, while draining, hands it over
at once as a forced exit (uvicorn skips the lifespan's end). End: the admin listener, the
board, the service.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
from collections.abc import AsyncIterator, Callable
from types import FrameType
from typing import Any

from starlette.applications import Starlette

from queue_app.admin import AdminServer, create_admin_app, service_desk
from queue_app.service import QueueService

__all__ = ["SignalDrain", "service_lifespan"]

log = logging.getLogger("queue_app")

_SIGNALS = (signal.SIGTERM, signal.SIGINT)
Handler = Callable[[int, FrameType | None], Any] | int | None


class SignalDrain:
    """Holds SIGTERM and SIGINT while installed: the first drains, then hands the signal
    over; a second hands it over at once, forced."""

    def __init__(self, drain: Callable[[], Any], grace_s: float) -> None:
        self._drain = drain
        self._grace_s = grace_s
        self._previous: dict[int, Handler] = {}
        self.task: asyncio.Task[None] | None = None

    def install(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._previous = {sig: signal.getsignal(sig) for sig in _SIGNALS}
        for sig in _SIGNALS:
            signal.signal(sig, self._on_signal)

    def uninstall(self) -> None:
        """Give the signals back to whoever held them before `install`."""
        for sig, handler in self._previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
        self._previous = {}

    def _on_signal(self, sig: int, frame: FrameType | None) -> None:
        if self.task is not None:
            log.warning("second signal: stopping now")
            previous = self._previous.get(sig)
            self.uninstall()
            # uvicorn forces its exit on a second SIGINT.
            self._hand_over(previous, signal.SIGINT)
            self._hand_over(previous, signal.SIGINT)
            return
        log.info("signal %s: draining (grace %.0fs)", sig, self._grace_s)
        self.task = self._loop.create_task(self._drain_then_hand_over(sig))

    async def _drain_then_hand_over(self, sig: int) -> None:
        try:
            await self._drain()
        finally:
            previous = self._previous.get(sig)
            self.uninstall()
            self._hand_over(previous, sig)

    @staticmethod
    def _hand_over(previous: Handler, sig: int) -> None:
        if callable(previous):
            previous(sig, None)
        elif previous != signal.SIG_IGN:
            signal.raise_signal(sig)


def _owns_signals(owns_process: bool) -> bool:
    return owns_process and threading.current_thread() is threading.main_thread()


def service_lifespan(
    service: QueueService, *, owns_process: bool
) -> Callable[[Starlette], contextlib.AbstractAsyncContextManager[None]]:
    """The public app's lifespan (module docstring)."""
    settings = service.settings

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        signals = SignalDrain(service.drain, settings.instance.shutdown_grace_s)
        await service.start()
        board: asyncio.Task[bool] | None = None
        admin: AdminServer | None = None
        try:
            desk = await service_desk(service)
            board = asyncio.create_task(
                service.supervision.run("live board", lambda: desk.board.run(service.stop)),
                name="live board",
            )
            app.state.admin = create_admin_app(desk)
            admin = AdminServer(app.state.admin, settings.http.host, settings.admin.port)
            await admin.start()
            app.state.admin_port = admin.port
            if _owns_signals(owns_process):
                signals.install()
            yield
        finally:
            signals.uninstall()
            if signals.task is not None:
                signals.task.cancel()
            service.stop.set()
            if board is not None:
                await asyncio.gather(board, return_exceptions=True)
            if admin is not None:
                await admin.stop()
            await service.close()

    return lifespan
