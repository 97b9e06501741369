"""`StreamTail`: the entries of one Redis stream, oldest first: what it holds now, and then,
when followed, each new one as it arrives. The command line's `events`, `dispositions` and
`dead-letters` read the service's streams with it.

It reads with XRANGE / XREVRANGE and XREAD, never as a consumer group: it acks nothing and
takes nothing from the group that consumes the stream.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

from queue_adapters.redis import RedisClient

__all__ = ["Entry", "StreamTail"]

Entry = tuple[str, dict[str, str]]
"""A stream entry: its id and its fields."""

Match = Callable[[Mapping[str, str]], bool]


def _everything(_: Mapping[str, str]) -> bool:
    return True


class StreamTail:
    """The entries of `stream` for which `match(fields)` holds."""

    def __init__(
        self,
        redis: RedisClient,
        stream: str,
        *,
        match: Match = _everything,
        page: int = 500,
        block_ms: int = 1000,
    ) -> None:
        self._redis = redis
        self._stream = stream
        self._match = match
        self._page = page
        self._block_ms = block_ms

    async def held(self, last: int | None = None) -> tuple[list[Entry], str]:
        """The matching entries the stream holds now, oldest first (only the `last` of them
        when given), and the id of the newest entry read ("0-0" when the stream is empty):
        `follow` from it misses nothing and repeats nothing."""
        if last is not None:
            return await self._newest(last)
        entries: list[Entry] = []
        cursor, newest = "-", "0-0"
        while True:
            page = _entries(await self._redis.xrange(self._stream, cursor, "+", count=self._page))
            if not page:
                return entries, newest
            newest = page[-1][0]
            entries += [e for e in page if self._match(e[1])]
            cursor = "(" + newest

    async def _newest(self, last: int) -> tuple[list[Entry], str]:
        found: list[Entry] = []
        cursor, newest = "+", ""
        while len(found) < last:
            page = _entries(
                await self._redis.xrevrange(self._stream, cursor, "-", count=self._page)
            )
            if not page:
                break
            newest = newest or page[0][0]
            found += [e for e in page if self._match(e[1])]
            cursor = "(" + page[-1][0]
        return list(reversed(found[:last])), newest or "0-0"

    async def follow(self, after: str) -> AsyncIterator[Entry]:
        """Matching entries added after the entry id `after`, as they arrive, forever."""
        last = after
        while True:
            answer: Any = await self._redis.xread(
                {self._stream: last}, count=self._page, block=self._block_ms
            )
            for _stream, raw in answer or []:
                for entry_id, fields in _entries(raw):
                    last = entry_id
                    if self._match(fields):
                        yield entry_id, fields


def _entries(raw: Any) -> list[Entry]:
    # A deleted entry still pending somewhere reads with no fields (None): nothing to show.
    return [(str(entry_id), dict(fields)) for entry_id, fields in raw or [] if fields]
