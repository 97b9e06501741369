"""`DispositionReader`: what the disposition consumer uses to read `call_dispositions`.

It reads as a member of its own consumer group, so several services (or several instances of
one) each get every disposition, and instances of one service share the work. Delivery is at
least once: an entry is acked only after the caller's loop body has finished with it, so a
consumer that dies mid-way gets it again (from its own pending entries on restart, or taken
over by another consumer of the group after `claim_idle_ms`). Make the handling idempotent on
(`campaign_execution_id`, `record_id`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from redis.exceptions import ResponseError

from queue_adapters.redis import RedisClient, RedisKeys
from queue_core.domain.disposition import Disposition

__all__ = ["DispositionReader"]


class DispositionReader:
    """Typed dispositions from `call_dispositions`, for one consumer of one group.

    `async for disposition in reader.read(): ...` yields each disposition once per group;
    the entry is acked when the loop asks for the next one. An entry that is not a valid
    disposition (schema_version 2, or 1 read with the later fields' defaults) raises
    `ContractViolation` (its id in the message) and stays unacked: nothing is skipped
    silently.
    """

    def __init__(
        self,
        redis: RedisClient,
        group: str,
        consumer: str,
        *,
        keys: RedisKeys | None = None,
        block_ms: int = 1000,
        batch: int = 100,
        claim_idle_ms: int = 60_000,
    ) -> None:
        self._redis = redis
        self._group = group
        self._consumer = consumer
        self._stream = (keys or RedisKeys()).call_dispositions
        self._block_ms = block_ms
        self._batch = batch
        self._claim_idle_ms = claim_idle_ms

    async def ensure_group(self, start: str = "0") -> None:
        """Create the group (and the stream) if missing. `start="0"`: the group reads every
        disposition still in the stream; `"$"`: only those published from now on."""
        try:
            await self._redis.xgroup_create(self._stream, self._group, id=start, mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def read(self, *, forever: bool = True) -> AsyncIterator[Disposition]:
        """Dispositions of this consumer: its own pending ones first (a restart), then ones a
        dead consumer left, then new ones. With `forever=False` it stops once nothing new
        arrives within `block_ms`."""
        await self.ensure_group()
        async for entry_id, fields in self._entries(forever):
            yield Disposition.from_fields(fields, entry_id=entry_id)
            await self._redis.xack(self._stream, self._group, entry_id)

    async def _entries(self, forever: bool) -> AsyncIterator[tuple[str, dict[str, str]]]:
        cursor = "0"  # this consumer's own pending entries first
        while True:
            pending = await self._read(cursor, block=False)
            if not pending:
                break
            for entry_id, fields in pending:
                cursor = entry_id
                yield entry_id, fields
        while True:
            for entry_id, fields in await self._take_over():
                yield entry_id, fields
            fresh = await self._read(">", block=True)
            for entry_id, fields in fresh:
                yield entry_id, fields
            if not fresh and not forever:
                return

    async def _read(self, cursor: str, *, block: bool) -> list[tuple[str, dict[str, str]]]:
        answer: Any = await self._redis.xreadgroup(
            self._group,
            self._consumer,
            {self._stream: cursor},
            count=self._batch,
            block=self._block_ms if block else None,
        )
        return [(str(i), dict(f)) for _, entries in answer or [] for i, f in entries if f]

    async def _take_over(self) -> list[tuple[str, dict[str, str]]]:
        answer: Any = await self._redis.xautoclaim(
            self._stream,
            self._group,
            self._consumer,
            min_idle_time=self._claim_idle_ms,
            start_id="0-0",
            count=self._batch,
        )
        return [(str(i), dict(f)) for i, f in answer[1] if f]
