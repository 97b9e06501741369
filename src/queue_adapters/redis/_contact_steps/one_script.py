"""Each step of a contact as one script across slots: one server that allows it (ADR 0009).

One script is atomic: a crash or a lost reply leaves a step done or not done, never half done,
and each step is safe to retry. No outbox entry is kept: a disposition is published in the
script that drops its claim.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from queue_adapters.redis import _indexes
from queue_adapters.redis._abandonment import counting
from queue_adapters.redis._assembly_adds import (
    AssemblyAdds,
    add_facts,
    correlation,
    json_array,
    merged,
    snapshot,
)
from queue_adapters.redis._contact_steps.protocol import FinalOfWaiting, Reserved, RetryWait
from queue_adapters.redis._scripts import Scripts
from queue_adapters.redis._wire import encode_ref
from queue_adapters.redis.connection import RedisClient
from queue_adapters.redis.keys import RedisKeys
from queue_adapters.redis.options import RedisOptions
from queue_core.domain.contacts import ContactAttempt, ContactRef
from queue_core.ports import (
    AssemblySnapshot,
    Correlation,
    FactsByCall,
    FactsByContact,
    FactsByPair,
    FactsBySid,
)

__all__ = ["OneScriptSteps"]

# The keys correlate_add.lua makes for a contact it looks up, in its ARGV order.
_TEMPLATED = ("attempts", "launching", "answered", "facts_prefix")


class OneScriptSteps:
    """`ContactSteps` with one script per step: `reserve.lua`, `record_and_index.lua`,
    `settle_publish.lua`, `compare_delete.lua` on every index key, `correlate_add.lua`,
    `finish_waiting.lua` onto the stream."""

    def __init__(self, client: RedisClient, keys: RedisKeys, options: RedisOptions) -> None:
        self._keys = keys
        self._scripts = Scripts(client)
        self._ttl_s = options.contact_ttl_s
        self._ttl_ms = options.contact_ttl_s * 1000
        self._maxlen = options.stream_maxlen or 0
        self._templates = [part for name in _TEMPLATED for part in keys.around_execution_id(name)]

    async def reserve(
        self, ref: ContactRef, pair: str, now: float, lease_token: int | None
    ) -> Reserved:
        k = self._keys.execution(ref.campaign_execution_id)
        token = "" if lease_token is None else lease_token
        reserved = await self._scripts.run(
            "reserve",
            [pair, k.claims, k.launching, k.attempts, k.lease],
            [encode_ref(ref), self._ttl_ms, ref.claim_id, now, token],
        )
        return Reserved(reserved)

    async def record_launch(self, attempt: ContactAttempt) -> list[str | bytes]:
        ref = attempt.ref
        k = self._keys.execution(ref.campaign_execution_id)
        sid = attempt.execution_sid
        keys = [k.claims, k.launching, k.attempts, k.active_calls, k.state, k.facts(ref.claim_id)]
        keys += [self._keys.execution_sid(sid), self._keys.parked(sid)]
        args: list[str | int | float] = [ref.claim_id, attempt.to_json(), sid, encode_ref(ref)]
        args.append(self._ttl_ms)
        recorded: list[str | bytes] = await self._scripts.run("record_and_index", keys, args)
        return recorded[1:]

    async def settle(
        self,
        execution_id: str,
        claim_id: str,
        fields: Mapping[str, str],
        release: ContactAttempt | None,
        retry: RetryWait | None = None,
    ) -> bool:
        k = self._keys.execution(execution_id)
        keys = [*k.claim_keys, k.answered, k.active_calls, k.state, k.facts(claim_id)]
        keys += [*k.waiting_keys, self._keys.call_dispositions]
        counts = counting(self._keys, fields)
        keys += [counts.day_key] if counts.day_key else []
        ref = "" if release is None else encode_ref(release.ref)
        args: list[str | int | float] = [claim_id, self._maxlen, ref, counts.human]
        args += [counts.abandoned, counts.expires_at, *RetryWait.args(retry)]
        if release is not None:
            keys += _indexes.of_attempt(self._keys, release, fields.get("call_sid", ""))
        for name, value in fields.items():
            args += [name, value]
        return await self._scripts.run("settle_publish", keys, args) is not None

    async def finish_waiting(self, execution_id: str, finals: Sequence[FinalOfWaiting]) -> int:
        k = self._keys.execution(execution_id)
        keys = [k.waiting, k.waiting_records, k.waiting_counts, k.state]
        keys.append(self._keys.call_dispositions)
        args: list[str | int | float] = [self._maxlen, 0]
        for waiting_id, fields in finals:
            args += [waiting_id, len(fields)]
            for name, value in fields.items():
                args += [name, value]
        entries = await self._scripts.run("finish_waiting", keys, args)
        return sum(1 for entry in entries if entry)

    async def release(self, ref: ContactRef, index_keys: list[str]) -> None:
        await self._scripts.run("compare_delete", index_keys, [encode_ref(ref)])

    async def correlate_and_add(
        self,
        adds: AssemblyAdds,
        known: FactsByContact,
        by_pair: FactsByPair,
        by_sid: FactsBySid,
        by_call: FactsByCall = (),
    ) -> Correlation:
        index_keys = _indexes.index_keys(
            self._keys,
            [pair for pair, _ in by_pair],
            [sid for sid, _ in by_sid],
            [sid for sid, _ in by_call],
        )
        found = [facts for _, facts in [*by_pair, *by_sid, *by_call]]
        sending = [(ref, adds.unstored(ref, facts)) for ref, facts in known]
        args: list[str | int | float] = [self._ttl_s, *self._templates, len(sending)]
        for ref, unstored in sending:
            args += [ref.campaign_execution_id, ref.claim_id]
            add_facts(args, unstored)
        for facts in found:
            add_facts(args, facts)
        reply = await self._scripts.run("correlate_add", index_keys, args)
        holders, replies = (json_array(part) for part in json.loads(reply))
        refs = [_indexes.holder(value) if value else None for value in holders]
        sent = merged(sending, zip(refs, found, strict=True))
        out: dict[ContactRef, AssemblySnapshot | None] = {}
        for execution_id, claim_id, one in replies:
            ref = ContactRef(execution_id, claim_id)
            out[ref] = taken = snapshot(sent[ref], one)
            adds.remember(ref, taken)
        return correlation(len(by_pair), len(by_sid), refs, out)
