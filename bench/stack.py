"""One benchmark's processes: a private Redis, the emulator, and service instances on them."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.campaign import EmulatorAdmin
from bench.processes import Proc, RedisServerProcess, emulator, free_port, service
from queue_adapters.redis import RedisClient, connect

__all__ = ["Stack", "running_stack"]


@dataclass
class Stack:
    workdir: Path
    redis_server: RedisServerProcess
    redis: RedisClient
    emulator: Proc
    admin: EmulatorAdmin
    services: list[Proc] = field(default_factory=list)

    @property
    def redis_url(self) -> str:
        return self.redis_server.url

    async def start_service(
        self, env: Mapping[str, str], *, uncapped: bool = False, provisioned: bool = True
    ) -> tuple[Proc, str]:
        """A service instance, ready (and its Event Streams sink made, when `provisioned`);
        returns it and its base URL."""
        port = free_port()
        if not provisioned:
            env = {**env, "QUEUE_EVENT_STREAMS_AUTOPROVISION": "false"}
        proc = service(
            self.workdir, port, self.redis_url, self.admin.base_url, env, uncapped=uncapped
        )
        self.services.append(proc)
        url = f"http://127.0.0.1:{port}"
        await proc.wait_http(f"{url}/readyz")
        deadline = time.monotonic() + 20
        while provisioned and await self.admin.subscriptions() == 0:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the service made no subscription:\n{proc.tail()}")
            await asyncio.sleep(0.1)
        return proc, url

    async def stop_service(self, proc: Proc) -> None:
        """Stop an instance, and forget the emulator's executions and sinks (the next instance
        provisions its own)."""
        await asyncio.to_thread(proc.stop)
        self.services.remove(proc)
        await self.admin.reset(sinks=True)


@contextlib.asynccontextmanager
async def running_stack(workdir: Path, **emulator_settings: Any) -> AsyncIterator[Stack]:
    """Redis and the emulator (with `emulator_settings`); every process stopped on exit."""
    await asyncio.to_thread(workdir.mkdir, parents=True, exist_ok=True)
    redis_server = RedisServerProcess().start()
    emu: Proc | None = None
    redis: RedisClient | None = None
    stack: Stack | None = None
    try:
        redis = await connect(redis_server.url, cluster=False)
        port = free_port()
        emu = emulator(workdir, port, **emulator_settings)
        base = f"http://127.0.0.1:{port}"
        await emu.wait_http(f"{base}/_emulator/stats")
        stack = Stack(workdir, redis_server, redis, emu, EmulatorAdmin(base))
        yield stack
    finally:
        if stack is not None:
            for proc in list(stack.services):
                proc.stop()
            await stack.admin.aclose()
        if emu is not None:
            emu.stop()
        if redis is not None:
            await redis.aclose()
        redis_server.stop()
