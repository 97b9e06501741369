"""`ContactCache` on Redis: claims, returns and settles records of `campaign_cache:{<id>}`.

Each method is one Lua script in the execution's slot; `settle` then publishes through the
`DispositionOutbox` (see ADR 0004).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from queue_adapters.redis._errors import unavailable
from queue_adapters.redis._scripts import Scripts
from queue_adapters.redis._wire import text
from queue_adapters.redis.connection import RedisClient
from queue_adapters.redis.disposition_outbox import DispositionOutbox
from queue_adapters.redis.keys import RedisKeys
from queue_adapters.redis.options import RedisOptions
from queue_core.contacts import ClaimedRecord
from queue_core.disposition import Disposition
from queue_core.errors import StoreUnavailable

__all__ = ["RedisContactCache"]

_log = logging.getLogger(__name__)


def _records(flat: list[str | bytes]) -> list[ClaimedRecord]:
    pairs = zip(flat[::2], flat[1::2], strict=True)
    return [ClaimedRecord(claim_id=text(cid), raw=text(raw)) for cid, raw in pairs]


class RedisContactCache:
    """The `ContactCache` port; also `relay_outbox` for dispositions left by a crash."""

    def __init__(
        self,
        client: RedisClient,
        *,
        keys: RedisKeys | None = None,
        options: RedisOptions | None = None,
    ) -> None:
        self._client = client
        self._keys = keys or RedisKeys()
        self._scripts = Scripts(client)
        self._outbox = DispositionOutbox(client, self._keys, options or RedisOptions())

    async def claim(
        self, campaign_execution_id: str, owner: str, count: int, now: float
    ) -> list[ClaimedRecord]:
        if count <= 0:
            return []
        k = self._keys.execution(campaign_execution_id)
        with unavailable():
            flat = await self._scripts.run(
                "claim", [k.cache, k.seq, k.claims, k.owners, k.claimed_at], [count, owner, now]
            )
        return _records(flat)

    async def return_to_head(
        self, campaign_execution_id: str, records: Sequence[ClaimedRecord]
    ) -> int:
        if not records:
            return 0
        k = self._keys.execution(campaign_execution_id)
        with unavailable():
            back = await self._scripts.run(
                "return_to_head", [k.cache, *k.claim_keys], [r.claim_id for r in records]
            )
        return int(back)

    async def settle(
        self, campaign_execution_id: str, claim_id: str, disposition: Disposition
    ) -> bool:
        """See the port. The claim is settled (True) once the first script ran; a failure to
        publish afterwards is not raised: the entry waits in the outbox for `relay_outbox`."""
        k = self._keys.execution(campaign_execution_id)
        fields = disposition.to_fields()
        args: list[str | int | float] = [claim_id]
        for name, value in fields.items():
            args += [name, value]
        keys = [*k.claim_keys, k.answered, k.active_calls, k.state, k.outbox, k.facts(claim_id)]
        with unavailable():
            entry_id = await self._scripts.run("settle", keys, args)
        if entry_id is None:
            return False
        try:
            await self._outbox.publish(campaign_execution_id, text(entry_id), fields)
        except StoreUnavailable as exc:
            # Settled and durable in the outbox: relay_outbox publishes it later.
            _log.warning("disposition of claim %s left in the outbox: %s", claim_id, exc)
        return True

    async def relay_outbox(self, campaign_execution_id: str) -> int:
        """Publish the execution's dispositions that were settled but not published (a crash or
        an outage between the two steps). Exactly once: a disposition already published is only
        removed from the outbox. Returns how many were published now. Safe to run any time,
        from any instance, concurrently with `settle`."""
        return await self._outbox.relay(campaign_execution_id)

    async def remaining(self, campaign_execution_id: str) -> int:
        with unavailable():
            return int(await self._client.llen(self._keys.campaign_cache(campaign_execution_id)))

    async def claimed(self, campaign_execution_id: str) -> list[ClaimedRecord]:
        k = self._keys.execution(campaign_execution_id)
        with unavailable():
            flat = await self._scripts.run("claimed", [k.claims, k.attempts], [])
        return sorted(_records(flat), key=lambda r: int(r.claim_id))

    async def recover(self, campaign_execution_id: str, dead_owner: str) -> int:
        k = self._keys.execution(campaign_execution_id)
        with unavailable():
            back = await self._scripts.run("recover", [k.cache, *k.claim_keys], [dead_owner])
        return int(back)
