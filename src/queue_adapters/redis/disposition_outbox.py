"""Exactly-once publishing of settled dispositions: outbox entry -> `call_dispositions`.

`settle` appends the disposition to the execution's outbox in the same script that drops the
claim (execution slot). Publishing is a second script in the slot of `call_dispositions`: XADD
plus a `published` marker, skipped when the marker exists, and the count of a person-answered
disposition in its campaign's day (ADR 0025). Then the outbox entry is deleted.
A crash between the steps leaves the entry in the outbox; `relay` publishes it later, and the
marker makes a relay that races the original publisher harmless.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from queue_adapters.redis._abandonment import counting
from queue_adapters.redis._errors import unavailable
from queue_adapters.redis._scripts import Scripts
from queue_adapters.redis._wire import text
from queue_adapters.redis.connection import RedisClient
from queue_adapters.redis.keys import RedisKeys
from queue_adapters.redis.options import RedisOptions

__all__ = ["DispositionOutbox"]

_RELAY_BATCH = 100


class DispositionOutbox:
    """Publishes outbox entries of `queue:outbox:{<id>}` once each on `call_dispositions`."""

    def __init__(self, client: RedisClient, keys: RedisKeys, options: RedisOptions) -> None:
        self._client = client
        self._keys = keys
        self._options = options
        self._scripts = Scripts(client)

    async def publish(self, execution_id: str, entry_id: str, fields: Mapping[str, str]) -> bool:
        """Publish one outbox entry (its fields without `claim_id`) unless already published,
        counting it in its campaign's day as it is published; then delete it from the outbox.
        True when this call added it to the stream."""
        counts = counting(self._keys, fields)
        keys = [self._keys.call_dispositions, self._keys.published(execution_id, entry_id)]
        keys += [counts.day_key] if counts.day_key else []
        args: list[str | int | float] = [
            self._options.published_marker_ttl_s,
            self._options.stream_maxlen or 0,
            counts.abandoned,
            counts.expires_at,
        ]
        for name, value in fields.items():
            if name != "claim_id":
                args += [name, value]
        with unavailable():
            added = await self._scripts.run("publish_disposition", keys, args)
            await self._client.xdel(self._keys.execution(execution_id).outbox, entry_id)
        return bool(added)

    async def relay(self, execution_id: str) -> int:
        """Publish every entry left in the execution's outbox (by a crash between settle and
        publish, or a publish that failed). Returns how many were newly published."""
        outbox = self._keys.execution(execution_id).outbox
        published = 0
        start = "-"
        while True:
            with unavailable():
                entries: list[Any] = (
                    await self._client.xrange(outbox, min=start, count=_RELAY_BATCH) or []
                )
            for entry_id, fields in entries:
                entry = text(entry_id)
                decoded = {text(k): text(v) for k, v in fields.items()}
                published += await self.publish(execution_id, entry, decoded)
            if len(entries) < _RELAY_BATCH:
                return published
            start = "(" + text(entries[-1][0])
