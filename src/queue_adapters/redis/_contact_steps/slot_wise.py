"""Each step of a contact as one script per slot, kept right by their order (ADR 0004): a
Redis Cluster, or one server with `cross_slot_scripts=False`.

The pair index is held before the claim is marked launching, the SID index after the launch is
recorded, and both are let go (only while they still name the contact) after it is settled. A
disposition is published through the execution's outbox: a crash between the settle and the
publish leaves it there for `relay_outbox`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence

from queue_adapters.redis import _indexes
from queue_adapters.redis._abandonment import counting
from queue_adapters.redis._assembly_adds import AssemblyAdds, correlation, merged
from queue_adapters.redis._contact_steps.protocol import FinalOfWaiting, Reserved, RetryWait
from queue_adapters.redis._scripts import Scripts
from queue_adapters.redis._wire import encode_ref, text
from queue_adapters.redis.connection import RedisClient
from queue_adapters.redis.disposition_outbox import DispositionOutbox
from queue_adapters.redis.keys import RedisKeys
from queue_adapters.redis.options import RedisOptions
from queue_core.domain.contacts import ContactAttempt, ContactRef
from queue_core.domain.errors import StoreUnavailable
from queue_core.ports import Correlation, FactsByCall, FactsByContact, FactsByPair, FactsBySid

__all__ = ["SlotWiseSteps"]

# Logged as the contact cache, whose `settle` this is.
_log = logging.getLogger("queue_adapters.redis.contact_cache")


class SlotWiseSteps:
    """`ContactSteps` with every script in one slot: `hold_index.lua` then `mark_launching.lua`,
    `record_launch.lua` then `index_sid.lua`, `settle.lua` then the outbox's publish, one
    `compare_delete.lua` per index key, an MGET then `assembly_add.lua` per execution,
    `finish_waiting.lua` onto the outbox then the outbox's publish of each entry."""

    def __init__(self, client: RedisClient, keys: RedisKeys, options: RedisOptions) -> None:
        self._client = client
        self._keys = keys
        self._scripts = Scripts(client)
        self._outbox = DispositionOutbox(client, keys, options)
        self._ttl_ms = options.contact_ttl_s * 1000

    async def reserve(
        self, ref: ContactRef, pair: str, now: float, lease_token: int | None
    ) -> Reserved:
        k = self._keys.execution(ref.campaign_execution_id)
        held = await self._scripts.run("hold_index", [pair], [encode_ref(ref), self._ttl_ms])
        if not held:
            return Reserved.HELD_ELSEWHERE
        token = "" if lease_token is None else lease_token
        claim = [k.claims, k.launching, k.attempts, k.lease]
        marked = Reserved(
            await self._scripts.run("mark_launching", claim, [ref.claim_id, now, token])
        )
        if marked is Reserved.LEASE_LOST:
            # The pair must not stay held for a contact this instance will never launch.
            await self._scripts.run("compare_delete", [pair], [encode_ref(ref)])
        return marked

    async def record_launch(self, attempt: ContactAttempt) -> list[str | bytes]:
        ref = attempt.ref
        k = self._keys.execution(ref.campaign_execution_id)
        sid = attempt.execution_sid
        claim = [k.claims, k.launching, k.attempts, k.active_calls, k.state, k.facts(ref.claim_id)]
        recorded = await self._scripts.run(
            "record_launch", claim, [ref.claim_id, attempt.to_json(), sid]
        )
        if not recorded[0]:
            return []
        index = [self._keys.execution_sid(sid), self._keys.parked(sid)]
        indexed = await self._scripts.run("index_sid", index, [encode_ref(ref), self._ttl_ms])
        return [*recorded[1:], *indexed[1:]]

    async def settle(
        self,
        execution_id: str,
        claim_id: str,
        fields: Mapping[str, str],
        release: ContactAttempt | None,
        retry: RetryWait | None = None,
    ) -> bool:
        """The claim is settled (True) once `settle.lua` ran: a failure to publish afterwards
        is not raised (the entry waits in the outbox for `relay_outbox`), a failure to let the
        indexes go is (a retry returns False and lets them go)."""
        k = self._keys.execution(execution_id)
        keys = [*k.claim_keys, k.answered, k.active_calls, k.state, k.outbox, k.facts(claim_id)]
        keys += k.waiting_keys
        counts = counting(self._keys, fields)
        args: list[str | int | float] = [claim_id, counts.human, counts.abandoned]
        args += RetryWait.args(retry)
        for name, value in fields.items():
            args += [name, value]
        entry_id = await self._scripts.run("settle", keys, args)
        if entry_id is not None:
            await self._publish(execution_id, text(entry_id), fields, f"claim {claim_id}")
        if release is not None:
            call_sid = fields.get("call_sid", "")
            await self.release(release.ref, _indexes.of_attempt(self._keys, release, call_sid))
        return entry_id is not None

    async def _publish(
        self, execution_id: str, entry_id: str, fields: Mapping[str, str], of: str
    ) -> None:
        try:
            await self._outbox.publish(execution_id, entry_id, fields)
        except StoreUnavailable as exc:
            # Settled and durable in the outbox: relay_outbox publishes it later.
            _log.warning("disposition of %s left in the outbox: %s", of, exc)

    async def finish_waiting(self, execution_id: str, finals: Sequence[FinalOfWaiting]) -> int:
        """Taken out (counted) once `finish_waiting.lua` ran; each publish then, as a settle's."""
        k = self._keys.execution(execution_id)
        keys = [k.waiting, k.waiting_records, k.waiting_counts, k.state, k.outbox]
        args: list[str | int | float] = [0, 1]
        for waiting_id, fields in finals:
            args += [waiting_id, len(fields)]
            for name, value in fields.items():
                args += [name, value]
        entries = await self._scripts.run("finish_waiting", keys, args)
        done = [(text(e), f, w) for e, (w, f) in zip(entries, finals, strict=True) if e]
        await asyncio.gather(
            *(self._publish(execution_id, e, f, f"waiting record {w}") for e, f, w in done)
        )
        return len(done)

    async def release(self, ref: ContactRef, index_keys: list[str]) -> None:
        # Each index key has a slot of its own; no order is needed between the deletes.
        value = encode_ref(ref)
        await asyncio.gather(
            *(self._scripts.run("compare_delete", [key], [value]) for key in index_keys)
        )

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
        refs = await _indexes.lookup(self._client, index_keys)
        contacts = merged(known, zip(refs, found, strict=True))
        snapshots = await adds.add_many(list(contacts.items()))
        snapshots_of = dict(zip(contacts, snapshots, strict=True))
        return correlation(len(by_pair), len(by_sid), refs, snapshots_of)
