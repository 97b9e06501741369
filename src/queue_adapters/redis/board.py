"""What the live page reads of many executions at once (ADR 0027).

`RedisExecutionBoard.read` gives each execution's stored status with its cache, calls in
flight and claims, 200 executions per pipelined request (one round trip each, split by node
on a cluster); `recent_dispositions` gives an execution's newest dispositions from the
newest entries of `call_dispositions`. Reads only: nothing here changes the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from queue_adapters.redis._errors import unavailable
from queue_adapters.redis._wire import text
from queue_adapters.redis.connection import RedisClient
from queue_adapters.redis.keys import RedisKeys
from queue_adapters.redis.queue_state import status_from_hash
from queue_core.ports import ExecutionStatus

__all__ = ["EXECUTIONS_PER_REQUEST", "ExecutionCounts", "RedisExecutionBoard"]

# Larger pipelines would hold the event loop for milliseconds (writing and parsing them).
EXECUTIONS_PER_REQUEST = 200


@dataclass(frozen=True, slots=True)
class ExecutionCounts:
    """One execution as the store has it: its status, the records left in its cache, its
    calls in flight (`active_calls:{id}`) and its records claimed but not yet settled."""

    status: ExecutionStatus
    remaining: int
    active: int
    claimed: int


class RedisExecutionBoard:
    """Reads of the stored executions for the live page."""

    def __init__(self, client: RedisClient, *, keys: RedisKeys | None = None) -> None:
        self._client = client
        self._keys = keys or RedisKeys()

    async def executions(self) -> list[str]:
        """Every execution with a stored state, sorted. Raises `StoreUnavailable`."""
        with unavailable():
            members = await self._client.smembers(self._keys.executions)
        return sorted(text(member) for member in members)

    async def read(self, execution_ids: Sequence[str]) -> list[ExecutionCounts]:
        """The executions asked, in their order, less those never started. Not atomic: each
        count is its value at some moment of the request. Raises `StoreUnavailable`."""
        found: list[ExecutionCounts] = []
        for first in range(0, len(execution_ids), EXECUTIONS_PER_REQUEST):
            part = execution_ids[first : first + EXECUTIONS_PER_REQUEST]
            with unavailable():
                pipe = self._client.pipeline(transaction=False)
                for execution_id in part:
                    k = self._keys.execution(execution_id)
                    pipe.hgetall(k.state)
                    pipe.llen(k.cache)
                    pipe.scard(k.active_calls)
                    pipe.hlen(k.claims)
                answers: list[Any] = await pipe.execute()
            for index, execution_id in enumerate(part):
                raw, remaining, active, claimed = answers[4 * index : 4 * index + 4]
                status = status_from_hash(execution_id, raw)
                if status is not None:
                    found.append(ExecutionCounts(status, remaining, active, claimed))
        return found

    async def recent_dispositions(
        self, execution_id: str, *, scan: int = 5000
    ) -> list[dict[str, str]]:
        """The execution's dispositions among the newest `scan` entries of the stream, newest
        first, each as its fields with its entry id as `id`. Raises `StoreUnavailable`."""
        with unavailable():
            entries: Any = await self._client.xrevrange(self._keys.call_dispositions, count=scan)
        found: list[dict[str, str]] = []
        for entry_id, raw in entries:
            fields = {text(name): text(value) for name, value in raw.items()}
            if fields.get("campaign_execution_id") == execution_id:
                found.append({"id": text(entry_id), **fields})
        return found
