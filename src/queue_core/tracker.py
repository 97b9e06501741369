"""The contact tracker: from webhook facts to each contact's one disposition.

Any instance can take any webhook: facts are correlated to their contact through the global
indexes, added to the contact's shared assembly state, and the assembler decides whether the
contact is final. Settling is exactly once across instances (the cache's `settle`); the
indexes are released only after the disposition is published, so a late duplicate finds no
contact and changes nothing.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from queue_core.assembler import DispositionAssembler
from queue_core.contacts import ContactAttempt, ContactRef
from queue_core.disposition import Disposition
from queue_core.facts import (
    AmdEvent,
    CallStatusReport,
    ContactFact,
    ContactTimedOut,
    StudioExecutionEvent,
    StudioStepEvent,
    VoiceCallEvent,
)
from queue_core.ports import ActiveCallRegistry, AssemblyStore, Clock, ContactCache

__all__ = ["ContactTracker", "TrackResult"]


@dataclass(frozen=True, slots=True)
class TrackResult:
    """What one call of `record` did: facts matched to a contact (stored in its assembly, or
    kept until its launch is recorded), facts for no contact of ours (late duplicates, other
    services' calls), and the dispositions this call published."""

    matched: int
    unmatched: int
    settled: tuple[Disposition, ...]


class ContactTracker:
    """Turns webhook facts into dispositions: correlate, store, fold, settle once."""

    def __init__(
        self,
        calls: ActiveCallRegistry,
        assembly: AssemblyStore,
        cache: ContactCache,
        clock: Clock,
        on_settled: Callable[[str], None] | None = None,
        is_our_flow: Callable[[str], bool] = lambda flow_sid: True,
    ) -> None:
        """`is_our_flow` tells a Studio flow of ours: only its events are parked while their
        execution's launch is not recorded yet (other flows on the account are ignored)."""
        self.is_our_flow = is_our_flow
        self._calls = calls
        self._assembly = assembly
        self._cache = cache
        self._clock = clock
        self._on_settled = on_settled

    async def record(self, facts: Iterable[ContactFact]) -> TrackResult:
        """Correlate, store and fold facts; settle every contact they make final.

        The store is asked concurrently, one request per fact and then one per contact, so a
        batch of 50 events costs two round trips of latency rather than a hundred."""
        facts = list(facts)
        # One lookup per index key, however many of the batch's facts share it.
        keys = {self._index_key(fact) for fact in facts}
        found = dict(zip(keys, await asyncio.gather(*(self._lookup(k) for k in keys)), strict=True))
        refs = [found[self._index_key(fact)] for fact in facts]
        by_contact: dict[ContactRef, list[ContactFact]] = defaultdict(list)
        to_park: dict[str, list[ContactFact]] = defaultdict(list)
        unmatched = 0
        for fact, ref in zip(facts, refs, strict=True):
            if ref is not None:
                by_contact[ref].append(fact)
            elif self._parks(fact):
                assert isinstance(fact, StudioExecutionEvent | StudioStepEvent | CallStatusReport)
                to_park[fact.execution_sid].append(fact)
            else:
                unmatched += 1
        # Indexed meanwhile? Then the contact is known after all; else the facts wait for
        # `record_launch` to hand them over (one atomic step either way).
        parked = await asyncio.gather(*(self._calls.park(s, f) for s, f in to_park.items()))
        for early, ref in zip(to_park.values(), parked, strict=True):
            if ref is not None:
                by_contact[ref].extend(early)
        outcomes = await asyncio.gather(*(self._add(r, f) for r, f in by_contact.items()))
        matched = sum(n for n, _ in outcomes)
        unmatched += sum(len(f) for f in by_contact.values()) - matched
        settled = tuple(d for _, d in outcomes if d is not None)
        return TrackResult(matched, unmatched, settled)

    async def _add(
        self, ref: ContactRef, facts: list[ContactFact]
    ) -> tuple[int, Disposition | None]:
        """Store one contact's facts and fold them; (facts matched, disposition published)."""
        snapshot = await self._assembly.add(ref, facts)
        if snapshot is None:
            # No recorded launch: the facts were kept when the launch is still under way (they
            # are handed over when it is recorded), dropped when the contact is already done.
            if await self._launch_pending(ref):
                return len(facts), None
            await self._release_stale(ref, facts)
            return 0, None
        return len(facts), await self._fold(snapshot.attempt, snapshot.facts)

    async def _release_stale(self, ref: ContactRef, facts: list[ContactFact]) -> None:
        """An index still names a contact that is done: its release was cut short (an outage
        between settle and release). Let it go now, or the number stays blocked until the TTL.
        `release` drops only indexes that still point at this contact."""
        for fact in facts:
            if isinstance(fact, VoiceCallEvent | AmdEvent):
                await self._calls.release(ref, fact.to, fact.from_, "")
            elif isinstance(fact, StudioExecutionEvent | StudioStepEvent | CallStatusReport):
                await self._calls.release(ref, "", "", fact.execution_sid)

    async def adopt(self, attempt: ContactAttempt, parked: Sequence[ContactFact]) -> None:
        """Fold in the facts that came before a launch was recorded (`record_launch`)."""
        if not parked:
            return
        snapshot = await self._assembly.add(attempt.ref, parked)
        if snapshot is not None:
            await self._fold(snapshot.attempt, snapshot.facts)

    def _parks(self, fact: ContactFact) -> bool:
        if isinstance(fact, CallStatusReport):
            return True  # authenticated by its token: ours
        return isinstance(fact, StudioExecutionEvent | StudioStepEvent) and self.is_our_flow(
            fact.flow_sid
        )

    async def time_out(self, attempts: Iterable[ContactAttempt], timeout_s: float) -> int:
        """Give every attempt launched more than `timeout_s` ago its final disposition."""
        now = self._clock.now()
        done = 0
        for attempt in attempts:
            if now - attempt.launched_at < timeout_s:
                continue
            snapshot = await self._assembly.add(attempt.ref, [ContactTimedOut(at=now)])
            if snapshot is not None and await self._fold(snapshot.attempt, snapshot.facts):
                done += 1
        return done

    async def _fold(
        self, attempt: ContactAttempt, facts: Sequence[ContactFact]
    ) -> Disposition | None:
        disposition = DispositionAssembler.assemble(attempt, facts)
        if disposition is None:
            if DispositionAssembler.answered_by_person(facts):
                await self._calls.mark_answered(attempt.ref, attempt.execution_sid)
            return None
        execution_id = attempt.ref.campaign_execution_id
        published = await self._cache.settle(execution_id, attempt.ref.claim_id, disposition)
        await self._calls.release(attempt.ref, attempt.to, attempt.from_, attempt.execution_sid)
        if not published:
            return None
        if self._on_settled is not None:
            self._on_settled(execution_id)
        return disposition

    async def _launch_pending(self, ref: ContactRef) -> bool:
        launching = await self._calls.launching(ref.campaign_execution_id)
        return any(pending == ref for pending, _ in launching)

    @staticmethod
    def _index_key(fact: ContactFact) -> tuple[str, ...]:
        if isinstance(fact, VoiceCallEvent | AmdEvent):
            return ("pair", fact.to, fact.from_)
        if isinstance(fact, StudioExecutionEvent | StudioStepEvent | CallStatusReport):
            return ("sid", fact.execution_sid)
        return ("none",)

    async def _lookup(self, key: tuple[str, ...]) -> ContactRef | None:
        if key[0] == "pair":
            return await self._calls.by_pair(key[1], key[2])
        if key[0] == "sid":
            return await self._calls.by_execution_sid(key[1])
        return None
