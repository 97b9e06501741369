"""`ActiveCallRegistry` on Redis: `active_calls:{<id>}`, launch records and the global indexes.

The (To, From) and execution SID indexes live in their own slots, so they are kept right by
order, never by one script with the execution's keys: the pair index is written before the
launch is marked, the SID index after the launch is recorded, and both are removed (only while
they still point at this contact) after the disposition is published. A reservation fenced by a
lease token that is no longer current lets its pair go again and raises `LeaseLost`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from functools import lru_cache

from redis.asyncio import RedisCluster

from queue_adapters.redis._errors import unavailable
from queue_adapters.redis._scripts import Scripts
from queue_adapters.redis._wire import decode_ref, encode_ref, text
from queue_adapters.redis.connection import RedisClient
from queue_adapters.redis.keys import RedisKeys
from queue_adapters.redis.options import RedisOptions
from queue_core.contacts import ContactAttempt, ContactRef
from queue_core.errors import LeaseLost
from queue_core.facts import ContactFact
from queue_core.facts import decode as decode_fact
from queue_core.facts import encode as encode_fact

__all__ = ["RedisActiveCallRegistry"]

# What mark_launching.lua answers when the lease token given is not the current one.
_LEASE_LOST = 2
_LEASE_LOST_AFTER_LAUNCHING = 3


@lru_cache(maxsize=4096)
def _decode_ref(value: str | None) -> ContactRef | None:
    """An index value names one contact for as long as it is in flight: parse each once."""
    return decode_ref(value)


class RedisActiveCallRegistry:
    """The `ActiveCallRegistry` port on one Redis server or cluster."""

    def __init__(
        self,
        client: RedisClient,
        *,
        keys: RedisKeys | None = None,
        options: RedisOptions | None = None,
    ) -> None:
        self._client = client
        self._keys = keys or RedisKeys()
        self._ttl_ms = (options or RedisOptions()).contact_ttl_s * 1000
        self._scripts = Scripts(client)

    async def reserve(
        self, ref: ContactRef, to: str, from_: str, now: float, lease_token: int | None = None
    ) -> bool:
        k = self._keys.execution(ref.campaign_execution_id)
        pair = self._keys.pair(to, from_)
        token = "" if lease_token is None else lease_token
        with unavailable():
            if not await self._hold(pair, ref):
                return False
            marked = await self._scripts.run(
                "mark_launching",
                [k.claims, k.launching, k.attempts, k.lease],
                [ref.claim_id, now, token],
            )
            if marked == _LEASE_LOST:
                # The pair must not stay held for a contact this instance will never launch.
                await self._scripts.run("compare_delete", [pair], [encode_ref(ref)])
        if marked in (_LEASE_LOST, _LEASE_LOST_AFTER_LAUNCHING):
            raise LeaseLost(
                f"{k.lease}: token {lease_token} is no longer the current lease of "
                f"{ref.campaign_execution_id!r}"
            )
        return True

    async def record_launch(self, attempt: ContactAttempt) -> list[ContactFact]:
        ref = attempt.ref
        k = self._keys.execution(ref.campaign_execution_id)
        with unavailable():
            recorded = await self._scripts.run(
                "record_launch",
                [k.claims, k.launching, k.attempts, k.active_calls, k.state, k.facts(ref.claim_id)],
                [ref.claim_id, attempt.to_json(), attempt.execution_sid],
            )
            if not recorded[0]:
                return []
            sid = attempt.execution_sid
            answer = await self._scripts.run(
                "index_sid",
                [self._keys.execution_sid(sid), self._keys.parked(sid)],
                [encode_ref(ref), self._ttl_ms],
            )
        early = [*recorded[1:], *answer[1:]]
        return [decode_fact(text(raw)) for raw in early]

    async def park(self, execution_sid: str, facts: Sequence[ContactFact]) -> ContactRef | None:
        args: list[str | int | float] = [self._ttl_ms]
        for fact in facts:
            args += [fact.key, encode_fact(fact)]
        with unavailable():
            holder = await self._scripts.run(
                "park",
                [self._keys.execution_sid(execution_sid), self._keys.parked(execution_sid)],
                args,
            )
        return decode_ref(holder) if holder else None

    async def _hold(self, index_key: str, ref: ContactRef) -> bool:
        """Point a global index at `ref` unless another contact holds it."""
        held = await self._scripts.run("hold_index", [index_key], [encode_ref(ref), self._ttl_ms])
        return bool(held)

    async def attempt(self, ref: ContactRef) -> ContactAttempt | None:
        k = self._keys.execution(ref.campaign_execution_id)
        with unavailable():
            stored = await self._client.hget(k.attempts, ref.claim_id)
        return None if stored is None else ContactAttempt.from_json(text(stored))

    async def by_pair(self, to: str, from_: str) -> ContactRef | None:
        with unavailable():
            return decode_ref(await self._client.get(self._keys.pair(to, from_)))

    async def by_execution_sid(self, execution_sid: str) -> ContactRef | None:
        with unavailable():
            return decode_ref(await self._client.get(self._keys.execution_sid(execution_sid)))

    async def holders(
        self, pairs: Sequence[tuple[str, str]], execution_sids: Sequence[str]
    ) -> tuple[list[ContactRef | None], list[ContactRef | None]]:
        index_keys = [self._keys.pair(to, from_) for to, from_ in pairs]
        index_keys += [self._keys.execution_sid(sid) for sid in execution_sids]
        if not index_keys:
            return [], []
        with unavailable():
            if isinstance(self._client, RedisCluster):
                # Every index key has a slot of its own: one pipeline per node.
                values = await self._client.mget_nonatomic(index_keys)
            else:
                values = await self._client.mget(index_keys)
        refs = [_decode_ref(value) for value in values]
        return refs[: len(pairs)], refs[len(pairs) :]

    async def release(self, ref: ContactRef, to: str, from_: str, execution_sid: str) -> None:
        index_keys = [self._keys.pair(to, from_)]
        if execution_sid:
            index_keys.append(self._keys.execution_sid(execution_sid))
        value = encode_ref(ref)
        with unavailable():
            if not isinstance(self._client, RedisCluster):
                # One server: both keys in one script, whatever their slots.
                await self._scripts.run("compare_delete", index_keys, [value])
                return
            # Two slots, no order needed between them: one round trip, in parallel.
            await asyncio.gather(
                *(self._scripts.run("compare_delete", [key], [value]) for key in index_keys)
            )

    async def count(self, campaign_execution_id: str) -> int:
        with unavailable():
            return int(await self._client.scard(self._keys.active_calls(campaign_execution_id)))

    async def mark_answered(self, ref: ContactRef, execution_sid: str) -> None:
        k = self._keys.execution(ref.campaign_execution_id)
        with unavailable():
            await self._scripts.run("mark_answered", [k.active_calls, k.answered], [execution_sid])

    async def answered(self, campaign_execution_id: str) -> int:
        k = self._keys.execution(campaign_execution_id)
        with unavailable():
            return int(await self._client.scard(k.answered))

    async def launching(self, campaign_execution_id: str) -> list[tuple[ContactRef, float]]:
        k = self._keys.execution(campaign_execution_id)
        with unavailable():
            reserved = await self._client.hgetall(k.launching)
        refs = [
            (ContactRef(campaign_execution_id, text(cid)), float(at))
            for cid, at in reserved.items()
        ]
        return sorted(refs, key=lambda pair: int(pair[0].claim_id))

    async def in_flight(self, campaign_execution_id: str) -> list[ContactAttempt]:
        k = self._keys.execution(campaign_execution_id)
        with unavailable():
            stored = await self._client.hvals(k.attempts)
        attempts = [ContactAttempt.from_json(text(value)) for value in stored]
        return sorted(attempts, key=lambda a: int(a.ref.claim_id))
