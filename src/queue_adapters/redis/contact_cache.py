"""`ContactCache` on Redis: claims, returns and settles records of `campaign_cache:{<id>}`.

Each method is one Lua script in the execution's slot, except `settle`, a step of a contact
(`_contact_steps`): on one server one script, which publishes and lets the indexes go too
(ADR 0009); on a cluster it then publishes through the `DispositionOutbox` (ADR 0004) and lets
the indexes go. A settle that asks for a retry, and a claim taken from the waiting set that is
given back, move the record into the waiting set (`RedisWaitingRecords`) in the same script.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from queue_adapters.redis._batches import batched
from queue_adapters.redis._contact_steps import RetryWait, contact_steps
from queue_adapters.redis._errors import unavailable
from queue_adapters.redis._scripts import Scripts
from queue_adapters.redis._wire import claimed_record, text
from queue_adapters.redis.connection import RedisClient
from queue_adapters.redis.disposition_outbox import DispositionOutbox
from queue_adapters.redis.keys import RedisKeys
from queue_adapters.redis.options import RedisOptions
from queue_core.domain.contacts import ClaimedRecord, ContactAttempt
from queue_core.domain.disposition import Disposition

__all__ = ["RedisContactCache"]

_OUTBOXES_PER_REQUEST = 500  # outboxes looked at in one request by `with_outbox`


def _records(flat: list[str | bytes]) -> list[ClaimedRecord]:
    pairs = zip(flat[::2], flat[1::2], strict=True)
    return [ClaimedRecord(claim_id=text(cid), raw=text(raw)) for cid, raw in pairs]


def _retry(disposition: Disposition) -> RetryWait | None:
    """The wait a disposition that is not final asks for."""
    if disposition.final:
        return None
    if disposition.retry_at is None:
        raise ValueError("a disposition that is not final needs its retry_at")
    return RetryWait(disposition.retry_at, disposition.attempt + 1, disposition.status.value)


class RedisContactCache:
    """The `ContactCache` port; also `relay_outbox` for dispositions left by a crash.

    `settle` removes the contact's execution SID from `active_calls:{<id>}` (SREM), deletes its
    facts hash, increments `dispositions` in the execution's state hash and XADDs the
    disposition to `call_dispositions` (through the outbox on a cluster); for a retry it adds
    the record to `queue:waiting:{<id>}`."""

    def __init__(
        self,
        client: RedisClient,
        *,
        keys: RedisKeys | None = None,
        options: RedisOptions | None = None,
    ) -> None:
        options = options or RedisOptions()
        self._client = client
        self._keys = keys or RedisKeys()
        self._scripts = Scripts(client)
        self._outbox = DispositionOutbox(client, self._keys, options)
        self._steps = contact_steps(client, self._keys, options)

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
                "return_to_head",
                [k.cache, *k.claim_keys, *k.waiting_keys],
                [r.claim_id for r in records],
            )
        return int(back)

    async def settle(
        self,
        campaign_execution_id: str,
        claim_id: str,
        disposition: Disposition,
        release: ContactAttempt | None = None,
    ) -> bool:
        """See the port. One server: one script, atomic (no outbox entry). A cluster: the claim
        is settled (True) once the first script ran; a failure to publish afterwards is not
        raised (the entry waits in the outbox for `relay_outbox`), a failure to let the indexes
        go is (the claim stays settled: a retry returns False and lets them go)."""
        fields, retry = disposition.to_fields(), _retry(disposition)
        with unavailable():
            return await self._steps.settle(campaign_execution_id, claim_id, fields, release, retry)

    async def relay_outbox(self, campaign_execution_id: str) -> int:
        """Publish the execution's dispositions that were settled but not published (a crash or
        an outage between the two steps). Exactly once: a disposition already published is only
        removed from the outbox. Returns how many were published now. Safe to run any time,
        from any instance, concurrently with `settle`."""
        return await self._outbox.relay(campaign_execution_id)

    async def with_outbox(self, campaign_execution_ids: Sequence[str]) -> list[str]:
        """The executions among these whose outbox holds anything: `relay_outbox` has work only
        for them. A pipeline of XLEN per `_OUTBOXES_PER_REQUEST` executions (split by node on
        a cluster), so a long history of executions never makes one huge request."""
        found: list[str] = []
        for part in batched(list(campaign_execution_ids), _OUTBOXES_PER_REQUEST):
            with unavailable():
                pipe = self._client.pipeline(transaction=False)
                for execution_id in part:
                    pipe.xlen(self._keys.execution(execution_id).outbox)
                counts = await pipe.execute()
            found += [e for e, n in zip(part, counts, strict=True) if int(n)]
        return found

    async def oldest_unpublished(self, campaign_execution_ids: Sequence[str]) -> float | None:
        """When (unix seconds, Redis's clock) the oldest disposition left in the outboxes of
        these executions was settled; None when they hold none. `with_outbox`, then the
        first entry id (milliseconds) of each outbox that holds any."""
        oldest: float | None = None
        for execution_id in await self.with_outbox(campaign_execution_ids):
            with unavailable():
                first: Any = await self._client.xrange(
                    self._keys.execution(execution_id).outbox, count=1
                )
            if first:
                settled_at = int(text(first[0][0]).split("-")[0]) / 1000
                oldest = settled_at if oldest is None else min(oldest, settled_at)
        return oldest

    async def remaining(self, campaign_execution_id: str) -> int:
        with unavailable():
            return int(await self._client.llen(self._keys.campaign_cache(campaign_execution_id)))

    async def claimed(self, campaign_execution_id: str) -> list[ClaimedRecord]:
        k = self._keys.execution(campaign_execution_id)
        with unavailable():
            flat = await self._scripts.run("claimed", [k.claims, k.attempts, k.waited], [])
        triples = zip(flat[::3], flat[1::3], flat[2::3], strict=True)
        records = [claimed_record(text(c), text(raw), text(mark)) for c, raw, mark in triples]
        return sorted(records, key=lambda r: int(r.claim_id))

    async def recover(self, campaign_execution_id: str, dead_owner: str) -> int:
        k = self._keys.execution(campaign_execution_id)
        with unavailable():
            back = await self._scripts.run(
                "recover", [k.cache, *k.claim_keys, *k.waiting_keys], [dead_owner]
            )
        return int(back)
