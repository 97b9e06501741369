"""The admin listener: its app (`create_admin_app`), what its routes read and write
(`ServiceDesk`), and its server, which the service's lifespan runs beside the public one on
`QUEUE_ADMIN_PORT` (ADR 0029).

The control actions write the same control entries as `queue-service pause|resume|stop`
(`QueueClient`): the service's control consumer carries them out, whichever instance runs
the execution.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Mapping
from typing import Any

import uvicorn
from starlette.applications import Starlette

from queue_adapters.http.admin import build_admin_app
from queue_adapters.redis import RedisClient, RedisKeys
from queue_app.board import LiveBoard
from queue_app.board_rows import PageQuery
from queue_app.client import QueueClient
from queue_app.service import QueueService, resolve

__all__ = ["AdminServer", "ServiceDesk", "create_admin_app", "service_desk"]

log = logging.getLogger("queue_app")


class ServiceDesk:
    """The `AdminDesk` of one service instance: its metrics, its board, its control client."""

    def __init__(
        self,
        token: str,
        metrics: Callable[[], tuple[bytes, str]],
        board: LiveBoard,
        redis: Callable[[], Awaitable[RedisClient]],
        keys: RedisKeys,
    ) -> None:
        self.token = token
        self._metrics = metrics
        self.board = board
        self._redis = redis
        self._keys = keys

    def metrics(self) -> tuple[bytes, str]:
        return self._metrics()

    def page(self, params: Mapping[str, str]) -> dict[str, Any]:
        return self.board.page(PageQuery.parse(params))

    def ticks(self) -> AsyncIterator[None]:
        return self.board.ticks()

    async def detail(self, execution_id: str) -> dict[str, Any] | None:
        return await self.board.detail(execution_id)

    async def control(self, action: str, execution_id: str, reason: str) -> str | None:
        client = QueueClient(await self._redis(), self._keys)
        if await client.status(execution_id) is None:
            return None
        entry: str = await getattr(client, action)(execution_id, reason=reason)
        log.info("live page: %s %s (entry %s)", action, execution_id, entry)
        return entry


async def service_desk(service: QueueService) -> ServiceDesk:
    """The admin routes' view of a started `service`: its metrics, a live board of the
    store's executions, and a control client on its Redis."""
    container, settings = service.container, service.settings
    board = LiveBoard(
        await resolve(container.board_reads),
        await resolve(container.abandonment),
        container.clock(),
    )
    return ServiceDesk(
        settings.admin.token.get_secret_value(),
        service.metrics.exposition,
        board,
        lambda: resolve(container.redis),
        settings.redis_keys,
    )


def create_admin_app(desk: ServiceDesk) -> Starlette:
    """The admin app of one service instance (the service's lifespan serves it)."""
    return build_admin_app(desk)


class _SignalFreeServer(uvicorn.Server):
    """A uvicorn server that leaves the process's signals alone: the public app's lifespan
    holds them and stops this server itself (`AdminServer.stop`)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


class AdminServer:
    """The admin app under uvicorn on `host:port`, as a task of the running loop."""

    def __init__(self, app: Starlette, host: str, port: int) -> None:
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            lifespan="off",
            http="httptools",  # as the public listener's (ADR 0030)
            log_config=None,
            access_log=False,
            proxy_headers=False,
            timeout_graceful_shutdown=2,
        )
        self.server = _SignalFreeServer(config)
        self.task: asyncio.Task[None] | None = None
        self.port = port

    async def start(self) -> None:
        """Bind the port (raises `OSError` when it cannot be), then serve in a task."""
        config = self.server.config
        family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((config.host, config.port))
        except OSError as exc:
            sock.close()
            raise OSError(f"QUEUE_ADMIN_PORT {config.port}: cannot listen: {exc}") from exc
        self.port = int(sock.getsockname()[1])
        self.task = asyncio.create_task(self.server.serve([sock]), name="admin listener")
        while not self.server.started:
            if self.task.done():
                self.task.result()  # what stopped it, if it raised
                raise OSError("the admin listener stopped while starting")
            await asyncio.sleep(0.01)
        log.info("admin listener: http://%s:%d/ui/ and /metrics", config.host, self.port)

    async def stop(self) -> None:
        """Stop serving: open event streams end with the board, the rest within 2 s."""
        if self.task is None:
            return
        self.server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await self.task
