"""`QueueClient`: what another campaign service uses to drive the queue service over Redis.

It writes valid control entries (the same `ControlCommand` the service parses) and reads the
stored state, counts and events. The command line is built on it.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from queue_adapters.redis import (
    RedisActiveCallRegistry,
    RedisClient,
    RedisContactCache,
    RedisExecutionLeases,
    RedisKeys,
    RedisQueueStateStore,
    connect,
)
from queue_core.domain.bounds import cut
from queue_core.domain.commands import Action, ControlCommand
from queue_core.domain.queue_events import QueueEvent
from queue_core.domain.state import QueueState
from queue_core.ports import PacingReport

__all__ = ["ExecutionReport", "QueueClient"]


@dataclass(frozen=True, slots=True)
class ExecutionReport:
    """One execution as the store has it now."""

    campaign_execution_id: str
    state: QueueState
    launched: int
    dispositions: int
    active: int
    remaining: int
    claimed: int
    reason: str
    updated_at: float
    pacing: PacingReport | None = None
    owner: str = ""  # the instance driving it now (its lease holder), "" when none
    human_answered: int = 0  # this run's person-answered calls settled so far
    abandoned: int = 0  # and among them, those abandoned (ADR 0025)


class QueueClient:
    """Commands, states and queue events of the queue service, over its Redis."""

    def __init__(self, redis: RedisClient, keys: RedisKeys | None = None) -> None:
        self._redis = redis
        self._keys = keys or RedisKeys()
        self._states = RedisQueueStateStore(redis, keys=self._keys)
        self._cache = RedisContactCache(redis, keys=self._keys)
        self._calls = RedisActiveCallRegistry(redis, keys=self._keys)
        self._leases = RedisExecutionLeases(redis, keys=self._keys)

    @property
    def redis(self) -> RedisClient:
        """The client's Redis connection, for what the contract lets you do yourself."""
        return self._redis

    @classmethod
    @contextlib.asynccontextmanager
    async def connect(cls, url: str, keys: RedisKeys | None = None) -> AsyncIterator[QueueClient]:
        """A client on its own connection, closed on exit."""
        redis = await connect(url)
        try:
            yield cls(redis, keys)
        finally:
            await redis.aclose()

    async def send(self, command: ControlCommand) -> str:
        """XADD the command to the control stream; returns the entry id."""
        fields: dict[Any, Any] = dict(command.to_fields())
        entry_id = await self._redis.xadd(self._keys.queue_control_stream, fields)
        return str(entry_id)

    async def start(
        self, execution_id: str, *, request_id: str | None = None, reason: str | None = None
    ) -> str:
        return await self.send(ControlCommand(Action.START, execution_id, request_id, reason))

    async def stop(
        self, execution_id: str, *, request_id: str | None = None, reason: str | None = None
    ) -> str:
        return await self.send(ControlCommand(Action.STOP, execution_id, request_id, reason))

    async def pause(
        self, execution_id: str, *, request_id: str | None = None, reason: str | None = None
    ) -> str:
        return await self.send(ControlCommand(Action.PAUSE, execution_id, request_id, reason))

    async def resume(
        self, execution_id: str, *, request_id: str | None = None, reason: str | None = None
    ) -> str:
        return await self.send(ControlCommand(Action.RESUME, execution_id, request_id, reason))

    async def status(self, execution_id: str) -> ExecutionReport | None:
        """The execution's state and counts, or None when it was never started."""
        stored = await self._states.load(execution_id)
        if stored is None:
            return None
        return ExecutionReport(
            campaign_execution_id=execution_id,
            state=stored.state,
            launched=stored.launched,
            dispositions=stored.dispositions,
            active=await self._calls.count(execution_id),
            remaining=await self._cache.remaining(execution_id),
            claimed=len(await self._cache.claimed(execution_id)),
            reason=cut(stored.reason),  # stored before reasons were cut, or by another writer
            updated_at=stored.updated_at,
            pacing=stored.pacing,
            owner=await self._leases.holder(execution_id) or "",
            human_answered=stored.human_answered,
            abandoned=stored.abandoned,
        )

    async def statuses(self) -> list[ExecutionReport]:
        reports = [await self.status(e) for e in await self._states.executions()]
        return [r for r in reports if r is not None]

    async def watch_events(
        self, execution_id: str | None = None, *, after: str = "$", block_ms: int = 1000
    ) -> AsyncIterator[tuple[str, QueueEvent]]:
        """Queue events from `after` on (`$`: only new ones; `0`: from the start), optionally of
        one execution, forever; each with its stream entry id."""
        last = after
        while True:
            answer: Any = await self._redis.xread(
                {self._keys.queue_event_stream: last}, count=100, block=block_ms
            )
            for _stream, entries in answer or []:
                for entry_id, fields in entries:
                    last = entry_id
                    event = QueueEvent.from_fields(fields)
                    if execution_id is None or event.campaign_execution_id == execution_id:
                        yield entry_id, event
