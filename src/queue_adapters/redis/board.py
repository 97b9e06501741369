"""What the live page reads of many executions at once (ADR 0029).

`RedisExecutionBoard.read` gives each execution's stored status with its cache, calls in
flight and claims, 200 executions per pipelined request (one round trip each, split by node
on a cluster). On one server each execution is one script (`board_row.lua`) whose answer is
one JSON string: parsing thousands of small replies, not Redis, is what a read of many
executions costs this process. A cluster's pipeline takes no scripts: there each execution
is four commands. `recent_dispositions` gives an execution's newest dispositions from the
newest entries of `call_dispositions`. Reads only: nothing here changes the store.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from redis.asyncio.cluster import RedisCluster

from queue_adapters.redis._errors import unavailable
from queue_adapters.redis._scripts import Scripts
from queue_adapters.redis._wire import text
from queue_adapters.redis.connection import RedisClient
from queue_adapters.redis.keys import RedisKeys
from queue_adapters.redis.queue_state import status_from_hash
from queue_core.ports import ExecutionStatus

__all__ = ["EXECUTIONS_PER_REQUEST", "ExecutionCounts", "RedisExecutionBoard"]

# Larger pipelines would hold the event loop for milliseconds (writing and parsing them).
EXECUTIONS_PER_REQUEST = 200
# The fields of `queue:state:{<id>}` a row shows (`status_from_hash` reads them).
_STATE_FIELDS = (
    "state", "launched", "dispositions", "owner", "updated_at", "reason", "request_id",
    "launch_rate", "launch_budget", "dial_ratio", "pacing_reason", "pacing_at",
    "human_answered", "abandoned", "campaign_id",
)  # fmt: skip
_Row = tuple[dict[str, str], int, int, int, int]  # state, cache, in flight, claims, waiting


@dataclass(frozen=True, slots=True)
class ExecutionCounts:
    """One execution as the store has it: its status, the records left in its cache, its
    calls in flight (`active_calls:{id}`), its records claimed but not yet settled, and its
    records waiting for their calling window or a retry (ADR 0027)."""

    status: ExecutionStatus
    remaining: int
    active: int
    claimed: int
    waiting: int = 0


class RedisExecutionBoard:
    """Reads of the stored executions for the live page."""

    def __init__(self, client: RedisClient, *, keys: RedisKeys | None = None) -> None:
        self._client = client
        self._keys = keys or RedisKeys()
        self._scripts = Scripts(client)

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
                if isinstance(self._client, RedisCluster):
                    rows = await self._commands(part)
                else:
                    rows = await self._scripted(part)
            for execution_id, (stored, *counts) in zip(part, rows, strict=True):
                status = status_from_hash(execution_id, stored)
                if status is not None:
                    found.append(ExecutionCounts(status, *counts))
        return found

    def _keys_of(self, execution_id: str) -> list[str]:
        k = self._keys.execution(execution_id)
        return [k.state, k.cache, k.active_calls, k.claims, k.waiting_counts]

    async def _scripted(self, execution_ids: Sequence[str]) -> list[_Row]:
        script = self._scripts.script("board_row")
        pipe = self._client.pipeline(transaction=False)
        for execution_id in execution_ids:
            # A pipeline is a client to the script (redis-py's stubs say otherwise).
            await script(keys=self._keys_of(execution_id), client=pipe)  # type: ignore[arg-type]
        rows = []
        for answer in await pipe.execute():
            stored, remaining, active, claimed, waiting = json.loads(answer)
            stored = stored if isinstance(stored, dict) else {}
            rows.append((stored, remaining, active, claimed, waiting))
        return rows

    async def _commands(self, execution_ids: Sequence[str]) -> list[_Row]:
        pipe = self._client.pipeline(transaction=False)
        for execution_id in execution_ids:
            state, cache, active_calls, claims, waiting = self._keys_of(execution_id)
            pipe.hmget(state, list(_STATE_FIELDS))
            pipe.llen(cache)
            pipe.scard(active_calls)
            pipe.hlen(claims)
            pipe.hmget(waiting, ["window", "retry"])
        answers: list[Any] = await pipe.execute()
        rows = []
        for index in range(len(execution_ids)):
            values, remaining, active, claimed, waits = answers[5 * index : 5 * index + 5]
            stored = {
                f: text(v) for f, v in zip(_STATE_FIELDS, values, strict=True) if v is not None
            }
            waiting_now = sum(int(n) for n in waits if n is not None)
            rows.append((stored, remaining, active, claimed, waiting_now))
        return rows

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
