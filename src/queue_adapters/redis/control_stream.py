"""`ControlStream` on Redis: `queue_control_stream` read as a member of `queue_control_group`.

Entries a dead consumer read but never acked are taken over with XAUTOCLAIM once idle for
`control_min_idle_ms`, and returned before new ones. The group is created on first use, from
the start of the stream (MKSTREAM), so commands written before the first instance ran are
processed, not skipped.
"""

from __future__ import annotations

from typing import Any

from redis.exceptions import ResponseError

from queue_adapters.redis._errors import unavailable
from queue_adapters.redis._wire import stream_fields, text
from queue_adapters.redis.connection import RedisClient
from queue_adapters.redis.keys import RedisKeys
from queue_adapters.redis.options import RedisOptions
from queue_core.ports import ControlEntry

__all__ = ["RedisControlStream"]


def _entries(raw: list[Any]) -> list[ControlEntry]:
    return [
        ControlEntry(text(entry_id), {text(k): text(v) for k, v in fields.items()})
        for entry_id, fields in raw
        if fields is not None  # deleted from the stream while pending (Redis 6.2 XAUTOCLAIM)
    ]


class RedisControlStream:
    """The `ControlStream` port. `consumer` names this process in the group: one per process,
    stable across restarts when possible (its own pending entries are then taken back)."""

    def __init__(
        self,
        client: RedisClient,
        consumer: str,
        *,
        keys: RedisKeys | None = None,
        options: RedisOptions | None = None,
    ) -> None:
        self._client = client
        self._consumer = consumer
        keys = keys or RedisKeys()
        self._stream = keys.queue_control_stream
        self._group = keys.queue_control_group
        self._dead_letter = keys.queue_control_dead_letter
        self._min_idle_ms = (options or RedisOptions()).control_min_idle_ms
        self._group_ready = False

    async def read(self, count: int, block_ms: int) -> list[ControlEntry]:
        with unavailable():
            try:
                return await self._read(count, block_ms)
            except ResponseError as exc:
                if not str(exc).startswith("NOGROUP"):
                    raise
                # The stream (and its group) was deleted: make them again, read once more.
                self._group_ready = False
                return await self._read(count, block_ms)

    async def _read(self, count: int, block_ms: int) -> list[ControlEntry]:
        await self._ensure_group()
        claimed: list[Any] = await self._client.xautoclaim(
            self._stream, self._group, self._consumer, self._min_idle_ms, "0-0", count=count
        )
        taken = _entries(claimed[1])
        if taken:
            return taken
        # BLOCK 0 would wait forever; the port says "at most block_ms", so 0 means no wait.
        replies: Any = await self._client.xreadgroup(
            self._group,
            self._consumer,
            {self._stream: ">"},
            count=count,
            block=block_ms if block_ms > 0 else None,
        )
        return [entry for _, raw in replies or [] for entry in _entries(raw)]

    async def _ensure_group(self) -> None:
        if self._group_ready:
            return
        try:
            await self._client.xgroup_create(self._stream, self._group, id="0", mkstream=True)
        except ResponseError as exc:
            if not str(exc).startswith("BUSYGROUP"):
                raise
        self._group_ready = True

    async def ack(self, entry_id: str) -> None:
        with unavailable():
            await self._client.xack(self._stream, self._group, entry_id)

    async def dead_letter(self, entry: ControlEntry, error: str) -> None:
        """Copy first, ack second (two slots, so not one script): a crash between them leaves
        the entry pending, so it is dead-lettered again: a duplicate, never a loss."""
        fields = stream_fields(entry.dead_letter_fields(error))
        with unavailable():
            await self._client.xadd(self._dead_letter, fields)
            await self._client.xack(self._stream, self._group, entry.entry_id)

    async def dead_letter_count(self) -> int:
        """Entries in the dead letter stream (`queue_control_dead_letter`): XLEN."""
        with unavailable():
            return int(await self._client.xlen(self._dead_letter))
