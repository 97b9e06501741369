"""`WaitingRecords` on Redis: an execution's waiting set, `queue:waiting:{<id>}`.

A sorted set of waiting ids by due time, a hash of their entries and a hash of the counts per
reason, all in the execution's slot with its claims: `defer` and `take_due` are one script each
there. `finish` reads the head of the set, has the core build each final disposition, then
takes the records out and publishes in one step of a contact (`_contact_steps`): one script on
one server; on a cluster, one script onto the execution's outbox, then the outbox's publish.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from queue_adapters.redis._contact_steps import contact_steps
from queue_adapters.redis._errors import unavailable
from queue_adapters.redis._scripts import Scripts
from queue_adapters.redis._wire import last_status, text, waiting_record
from queue_adapters.redis.connection import RedisClient
from queue_adapters.redis.keys import RedisKeys
from queue_adapters.redis.options import RedisOptions
from queue_core.domain.contacts import ClaimedRecord
from queue_core.domain.disposition import Disposition
from queue_core.domain.waiting import WaitingRecord, WaitReason

__all__ = ["RedisWaitingRecords"]


class RedisWaitingRecords:
    """The `WaitingRecords` port: `defer.lua`, `take_due.lua`, `waiting_head.lua` then
    `finish_waiting.lua`; `counts` is one HMGET, `next_due` one ZRANGE."""

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
        self._steps = contact_steps(client, self._keys, options or RedisOptions())

    async def defer(
        self, campaign_execution_id: str, deferred: Sequence[tuple[ClaimedRecord, float]]
    ) -> int:
        if not deferred:
            return 0
        k = self._keys.execution(campaign_execution_id)
        args: list[str | int | float] = []
        for record, due_at in deferred:
            args += [record.claim_id, due_at]
        with unavailable():
            return int(await self._scripts.run("defer", [*k.claim_keys, *k.waiting_keys], args))

    async def take_due(
        self, campaign_execution_id: str, owner: str, now: float, limit: int
    ) -> list[ClaimedRecord]:
        if limit <= 0:
            return []
        k = self._keys.execution(campaign_execution_id)
        keys = [k.seq, k.claims, k.owners, k.claimed_at, *k.waiting_keys]
        with unavailable():
            flat = await self._scripts.run("take_due", keys, [now, limit, owner])
        quads = zip(flat[::4], flat[1::4], flat[2::4], flat[3::4], strict=True)
        return [
            ClaimedRecord(text(c), text(raw), int(n), last_status(text(status)))
            for c, raw, n, status in quads
        ]

    async def counts(self, campaign_execution_id: str) -> tuple[int, int]:
        counts = self._keys.execution(campaign_execution_id).waiting_counts
        with unavailable():
            window, retry = await self._client.hmget(counts, [WaitReason.WINDOW, WaitReason.RETRY])
        return int(text(window or "0")), int(text(retry or "0"))

    async def next_due(self, campaign_execution_id: str) -> float | None:
        waiting = self._keys.execution(campaign_execution_id).waiting
        with unavailable():
            head = await self._client.zrange(waiting, 0, 0, withscores=True)
        return float(head[0][1]) if head else None

    async def finish(
        self,
        campaign_execution_id: str,
        limit: int,
        final: Callable[[WaitingRecord], Disposition],
    ) -> int:
        if limit <= 0:
            return 0
        k = self._keys.execution(campaign_execution_id)
        with unavailable():
            flat = await self._scripts.run("waiting_head", [k.waiting, k.waiting_records], [limit])
        triples = zip(flat[::3], flat[1::3], flat[2::3], strict=True)
        records = [waiting_record(text(w), text(due), text(e)) for w, due, e in triples if e]
        finals = []
        for record in records:
            disposition = final(record)
            if disposition.human_answered:
                raise ValueError("the final disposition of a waiting record ends no call")
            finals.append((record.waiting_id, disposition.to_fields()))
        if not finals:
            return 0
        with unavailable():
            return await self._steps.finish_waiting(campaign_execution_id, finals)
