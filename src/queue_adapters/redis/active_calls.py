"""`ActiveCallRegistry` on Redis: `active_calls:{<id>}`, launch records and the global indexes.

The (To, From), execution SID and call SID indexes live in their own slots. Reserving,
recording a launch and letting the indexes go are steps of a contact (`_contact_steps`): one
script each on one server, one script per slot, in order, on a cluster (ADR 0004, 0009, 0019).
A reservation fenced by a lease token that is no longer current lets its pair go again and
raises `LeaseLost`.
"""

from __future__ import annotations

from collections.abc import Sequence

from queue_adapters.redis import _indexes
from queue_adapters.redis._contact_steps import Reserved, contact_steps
from queue_adapters.redis._errors import unavailable
from queue_adapters.redis._scripts import Scripts
from queue_adapters.redis._wire import decode_ref, encode_ref, text
from queue_adapters.redis.connection import RedisClient
from queue_adapters.redis.keys import RedisKeys
from queue_adapters.redis.options import RedisOptions
from queue_core.domain.contacts import ContactAttempt, ContactRef
from queue_core.domain.errors import LeaseLost
from queue_core.domain.facts import ContactFact
from queue_core.domain.facts import decode as decode_fact
from queue_core.domain.facts import encode as encode_fact

__all__ = ["RedisActiveCallRegistry"]

_LEASE_LOST = (Reserved.LEASE_LOST, Reserved.LEASE_LOST_AFTER_LAUNCHING)


class RedisActiveCallRegistry:
    """The `ActiveCallRegistry` port on one Redis server or cluster.

    The contacts in flight of an execution are the set `active_calls:{<id>}` of their
    execution SIDs: `record_launch` adds the SID (SADD) in the script that stores the attempt
    and counts the launch, `count` is its SCARD, and the settle script removes it. `holders`
    is one pipeline of GETs on one server, one per node of a cluster (`_indexes.lookup`).
    """

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
        self._ttl_ms = options.contact_ttl_s * 1000
        self._scripts = Scripts(client)
        self._steps = contact_steps(client, self._keys, options)

    async def reserve(
        self, ref: ContactRef, to: str, from_: str, now: float, lease_token: int | None = None
    ) -> bool:
        with unavailable():
            reserved = await self._steps.reserve(ref, self._keys.pair(to, from_), now, lease_token)
        if reserved is Reserved.HELD_ELSEWHERE:
            return False
        if reserved in _LEASE_LOST:
            lease = self._keys.execution(ref.campaign_execution_id).lease
            raise LeaseLost(
                f"{lease}: token {lease_token} is no longer the current lease of "
                f"{ref.campaign_execution_id!r}"
            )
        return True

    async def record_launch(self, attempt: ContactAttempt) -> list[ContactFact]:
        with unavailable():
            early = await self._steps.record_launch(attempt)
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
        with unavailable():
            refs = await _indexes.lookup(
                self._client, _indexes.index_keys(self._keys, pairs, execution_sids)
            )
        return refs[: len(pairs)], refs[len(pairs) :]

    async def index_call(self, ref: ContactRef, call_sid: str) -> bool:
        with unavailable():
            held = await self._scripts.run(
                "hold_index", [self._keys.call(call_sid)], [encode_ref(ref), self._ttl_ms]
            )
        return bool(held)

    async def release(
        self, ref: ContactRef, to: str, from_: str, execution_sid: str, call_sid: str = ""
    ) -> None:
        index_keys = _indexes.index_keys(
            self._keys,
            [(to, from_)],
            [execution_sid] if execution_sid else [],
            [call_sid] if call_sid else [],
        )
        with unavailable():
            await self._steps.release(ref, index_keys)

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

    async def start_grace(self, ref: ContactRef, due_at: float) -> None:
        with unavailable():
            await self._client.zadd(self._keys.graces, {encode_ref(ref): due_at}, nx=True)

    async def graces_due(self, now: float, limit: int) -> list[ContactRef]:
        with unavailable():
            due = await self._client.zrangebyscore(self._keys.graces, "-inf", now, 0, limit)
        refs = [decode_ref(member) for member in due if isinstance(member, str | bytes)]
        return [ref for ref in refs if ref is not None]

    async def end_graces(self, refs: Sequence[ContactRef]) -> None:
        if refs:
            with unavailable():
                await self._client.zrem(self._keys.graces, *map(encode_ref, refs))
