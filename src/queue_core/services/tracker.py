"""The contact tracker: from webhook facts to each contact's one disposition.

Any instance can take any webhook: facts are correlated to their contact through the global
indexes, added to the contact's shared assembly state, and the assembler decides whether the
contact is final. Settling is exactly once across instances (the cache's `settle`); the
indexes are released only after the disposition is published, so a late duplicate finds no
contact and changes nothing. The call SID index, which TaskRouter's events are found by, is
written by the fold that first binds a contact to its call (ADR 0025): a task of a call no
contact is bound to is counted as unmatched and changes nothing.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence, Set
from dataclasses import dataclass
from typing import TypeVar

from queue_core.domain.assembler import DispositionAssembler
from queue_core.domain.contacts import ContactAttempt, ContactRef
from queue_core.domain.disposition import Disposition
from queue_core.domain.facts import (
    CallStatusReport,
    ContactFact,
    ContactTimedOut,
    SettleGraceElapsed,
    StudioExecutionEvent,
    StudioStepEvent,
)
from queue_core.ports import (
    ActiveCallRegistry,
    AssemblySnapshot,
    AssemblyStore,
    Clock,
    ContactCache,
)
from queue_core.services.correlation import Batch, bound_call, index_key
from queue_core.services.index_memory import IndexKey, IndexMemory

__all__ = ["ContactTracker", "TrackResult"]

_T = TypeVar("_T")


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
        *,
        remember_s: float = 60.0,
        remember_at_most: int = 10_000,
        settle_grace_s: float = 30.0,
    ) -> None:
        """`is_our_flow` tells a Studio flow of ours: only its events are parked while their
        execution's launch is not recorded yet (other flows on the account are ignored).

        The contact an index named is remembered for `remember_s` seconds (at most
        `remember_at_most` index keys), with both indexes of its recorded launch (its pair and
        its SID), so the next batches about a call in flight skip the lookup. A remembered
        contact is only trusted while it has a recorded launch: an index names one contact
        from its reservation until after it settles, so a contact still in flight is still the
        index's. When the store has no launch for it, its facts are
        correlated again through the indexes.

        `settle_grace_s`: how long after Studio's `execution.ended` arrives a contact whose
        facts are not final settles with what they tell (ADR 0011)."""
        self.is_our_flow = is_our_flow
        self._calls = calls
        self._assembly = assembly
        self._cache = cache
        self._clock = clock
        self._on_settled = on_settled
        self._known = IndexMemory(remember_s, remember_at_most)
        self._settle_grace_s = settle_grace_s

    async def record(self, facts: Iterable[ContactFact]) -> TrackResult:
        """Correlate, store and fold facts; settle every contact they make final.

        A batch costs a fixed number of requests to the store, however many facts it holds:
        one to correlate and add its facts (`AssemblyStore.correlate_and_add`: a store that
        cannot do it in one takes a lookup of the index keys not remembered, then one per
        execution), then one per contact that settles or first shows an answer."""
        result, doubtful = await self._record(list(facts), trust_known=True)
        if not doubtful:
            return result
        again, _ = await self._record(doubtful, trust_known=False)
        return TrackResult(
            result.matched + again.matched,
            result.unmatched + again.unmatched,
            result.settled + again.settled,
        )

    async def _record(
        self, facts: list[ContactFact], *, trust_known: bool
    ) -> tuple[TrackResult, list[ContactFact]]:
        """`record`, and the facts sent to a remembered contact that has no recorded launch
        (to correlate again, through the indexes)."""
        now = self._clock.monotonic()
        batch = Batch()
        for fact in facts:
            key = index_key(fact)
            batch.add(fact, key, self._known.get(key, now) if trust_known else None)
        if not batch.asks_store:
            return TrackResult(0, batch.unmatched, ()), []
        snapshots = await self._correlate(batch)
        return await self._fold_batch(batch, snapshots, now)

    async def _correlate(self, batch: Batch) -> dict[ContactRef, AssemblySnapshot | None]:
        """One request: the index keys not remembered are looked up, and every contact named
        gets the facts of the batch (remembered ones first, as the store merges them). Facts
        of SIDs no contact holds yet are parked. The snapshots of the contacts facts went to."""
        found = await self._assembly.correlate_and_add(
            [(ref, tuple(added)) for ref, added in batch.by_contact.items()],
            list(batch.by_pair.items()),
            list(batch.by_sid.items()),
            list(batch.by_call.items()),
        )
        for ((to, from_), added), ref in zip(batch.by_pair.items(), found.by_pair, strict=True):
            batch.found(ref, added, ("pair", to, from_))
        for (call_sid, added), ref in zip(batch.by_call.items(), found.by_call, strict=True):
            batch.found(ref, added, ("call", call_sid))  # never parked: not ours, or too early
        to_park: dict[str, list[ContactFact]] = {}
        for (sid, added), ref in zip(batch.by_sid.items(), found.by_sid, strict=True):
            if ref is not None:
                batch.found(ref, added, ("sid", sid))
                continue
            to_park[sid] = [fact for fact in added if self._parks(fact)]
            batch.unmatched += len(added) - len(to_park[sid])
        parked = {sid: f for sid, f in to_park.items() if f}
        return dict(found.snapshots) | await self._park(parked, batch.by_contact, batch.keys_of)

    async def _fold_batch(
        self, batch: Batch, snapshots: dict[ContactRef, AssemblySnapshot | None], now: float
    ) -> tuple[TrackResult, list[ContactFact]]:
        """Fold every contact of the batch. Folding is pure and most folds lead nowhere: only
        the contacts that settle, first show an answer, start a grace, or have no recorded
        launch go back to the store."""
        pending: list[Awaitable[Disposition | None]] = []
        unrecorded: list[Awaitable[int]] = []
        doubtful: list[ContactFact] = []
        matched = 0
        for ref, added in batch.by_contact.items():
            snapshot = snapshots.get(ref)
            if snapshot is None:
                if batch.keys_of[ref] & batch.known:
                    self._known.forget(ref, batch.keys_of[ref])
                    doubtful += added
                else:
                    unrecorded.append(self._unrecorded(ref, added))
                continue
            call_sid = self._remember(snapshot, batch.keys_of[ref], now)
            matched += len(added)
            step = self._folded(snapshot, {fact.key for fact in added}, call_sid)
            if step is not None:
                pending.append(step)
        outcomes = await _all([*pending, *unrecorded])
        settled = tuple(d for d in outcomes[: len(pending)] if isinstance(d, Disposition))
        matched += sum(n for n in outcomes[len(pending) :] if isinstance(n, int))
        total = sum(len(f) for f in batch.by_contact.values())
        unmatched = batch.unmatched + total - matched - len(doubtful)
        return TrackResult(matched, unmatched, settled), doubtful

    def _remember(self, snapshot: AssemblySnapshot, keys: set[IndexKey], now: float) -> str:
        """The contact's own indexes name it as long as it has a recorded launch: the next
        batches skip the lookup of each, whichever of them this one named. Returns its call
        SID when its attempt expects task events and the facts bind it ("" otherwise)."""
        attempt = snapshot.attempt
        own: set[IndexKey] = {("pair", attempt.to, attempt.from_), ("sid", attempt.execution_sid)}
        call_sid = bound_call(snapshot)
        own |= {("call", call_sid)} if call_sid else set()
        self._known.store(snapshot.attempt.ref, keys | own, now)
        return call_sid

    async def _park(
        self,
        to_park: dict[str, list[ContactFact]],
        by_contact: dict[ContactRef, list[ContactFact]],
        keys_of: dict[ContactRef, set[IndexKey]],
    ) -> dict[ContactRef, AssemblySnapshot | None]:
        """Keep the facts of SIDs no contact holds until `record_launch` hands them over, and
        the snapshots of contacts whose SID was indexed meanwhile (their facts added now)."""
        if not to_park:
            return {}
        parked = await asyncio.gather(*(self._calls.park(s, f) for s, f in to_park.items()))
        late: dict[ContactRef, list[ContactFact]] = defaultdict(list)
        for (sid, early), ref in zip(to_park.items(), parked, strict=True):
            if ref is not None:
                late[ref] += early
                by_contact[ref] += early
                keys_of[ref].add(("sid", sid))
        if not late:
            return {}
        snapshots = await self._assembly.add_many(list(late.items()))
        return dict(zip(late, snapshots, strict=True))

    async def _unrecorded(self, ref: ContactRef, facts: list[ContactFact]) -> int:
        """Facts for a contact with no recorded launch: kept when the launch is still under way
        (they are handed over when it is recorded), dropped when the contact is already done.
        Returns how many count as matched.

        The launch may have been recorded between the add and the look at `launching` (it
        then handed the kept facts over): the contact is live, and its indexes stay."""
        if await self._launch_pending(ref) or await self._calls.attempt(ref) is not None:
            return len(facts)
        await self._release_stale(ref, facts)
        return 0

    async def _release_stale(self, ref: ContactRef, facts: list[ContactFact]) -> None:
        """An index still names a contact that is done: its release was cut short (an outage
        between settle and release). Let it go now, or the number stays blocked until the TTL.
        `release` drops only indexes that still point at this contact."""
        indexes: dict[tuple[str, str, str, str], None] = {}
        for key in map(index_key, facts):
            match key:
                case ("pair", to, from_):
                    indexes[to, from_, "", ""] = None
                case ("sid", sid):
                    indexes["", "", sid, ""] = None
                case ("call", sid):
                    indexes["", "", "", sid] = None
        for to, from_, sid, call_sid in indexes:
            await self._calls.release(ref, to, from_, sid, call_sid)

    async def adopt(self, attempt: ContactAttempt, parked: Sequence[ContactFact]) -> None:
        """Fold in the facts that came before a launch was recorded (`record_launch`)."""
        if not parked:
            return
        snapshot = await self._assembly.add(attempt.ref, parked)
        if snapshot is not None:
            await self._fold(snapshot, {fact.key for fact in parked})

    def _parks(self, fact: ContactFact) -> bool:
        if isinstance(fact, CallStatusReport):
            return True  # authenticated by its token: ours
        return isinstance(fact, StudioExecutionEvent | StudioStepEvent) and self.is_our_flow(
            fact.flow_sid
        )

    async def time_out(self, attempts: Iterable[ContactAttempt], timeout_s: float) -> int:
        """Give every attempt launched more than `timeout_s` ago its final disposition."""
        now = self._clock.now()
        due = [attempt for attempt in attempts if now - attempt.launched_at >= timeout_s]
        if not due:
            return 0
        timed_out: list[ContactFact] = [ContactTimedOut(at=now)]
        snapshots = await self._assembly.add_many([(a.ref, timed_out) for a in due])
        folded = await asyncio.gather(*(self._fold(s) for s in snapshots if s is not None))
        return sum(1 for disposition in folded if disposition is not None)

    async def _fold(
        self, snapshot: AssemblySnapshot, added: Set[str] = frozenset()
    ) -> Disposition | None:
        step = self._folded(snapshot, added, bound_call(snapshot))
        return None if step is None else await step

    def _folded(
        self, snapshot: AssemblySnapshot, added: Set[str], call_sid: str
    ) -> Awaitable[Disposition | None] | None:
        """What the contact's facts call for, not started yet: its settling when they are
        final; else its answered mark the first time they show a person answered, its settle
        grace while the flow has ended but the facts are not final, and its call's index the
        first time they bind its call (`call_sid`; the facts of keys `added` are new); else
        None."""
        attempt, facts = snapshot.attempt, snapshot.facts
        disposition = DispositionAssembler.assemble(attempt, facts)
        if disposition is not None:
            return self._settle(attempt, disposition)
        answered = not snapshot.answered and DispositionAssembler.answered_by_person(facts)
        grace = DispositionAssembler.awaits_grace(attempt, facts)
        if call_sid and call_sid == bound_call(snapshot, without=added):
            call_sid = ""  # bound before this fold: indexed then
        if answered or grace or call_sid:
            return self._mark(attempt, answered=answered, grace=grace, call_sid=call_sid)
        return None

    async def _mark(
        self, attempt: ContactAttempt, *, answered: bool, grace: bool, call_sid: str = ""
    ) -> None:
        if call_sid:
            await self._calls.index_call(attempt.ref, call_sid)
        if answered:
            await self._calls.mark_answered(attempt.ref, attempt.execution_sid)
        if grace:
            # The first start wins: the grace runs from the first fold that saw the end.
            due_at = self._clock.now() + self._settle_grace_s
            await self._calls.start_grace(attempt.ref, due_at)

    async def settle_graces(self, limit: int = 1000) -> int:
        """Add the grace fact to every contact, of any execution, whose settle grace is due,
        and settle those it makes final; returns how many settled. Contacts settled meanwhile
        change nothing (their facts are gone). Any instance may do it: the grace fact is
        deduplicated and settling is exactly once."""
        now = self._clock.now()
        due = await self._calls.graces_due(now, limit)
        if not due:
            return 0
        elapsed: list[ContactFact] = [SettleGraceElapsed(at=now)]
        snapshots = await self._assembly.add_many([(ref, elapsed) for ref in due])
        folded = await asyncio.gather(*(self._fold(s) for s in snapshots if s is not None))
        await self._calls.end_graces(due)
        return sum(1 for disposition in folded if disposition is not None)

    async def _settle(
        self, attempt: ContactAttempt, disposition: Disposition
    ) -> Disposition | None:
        """Publish the disposition (once across instances) and let the indexes go."""
        execution_id = attempt.ref.campaign_execution_id
        own = [("pair", attempt.to, attempt.from_), ("sid", attempt.execution_sid)]
        self._known.forget(attempt.ref, [*own, ("call", disposition.call_sid)])
        published = await self._cache.settle(
            execution_id, attempt.ref.claim_id, disposition, release=attempt
        )
        if not published:
            return None
        if self._on_settled is not None:
            self._on_settled(execution_id)
        return disposition

    async def _launch_pending(self, ref: ContactRef) -> bool:
        launching = await self._calls.launching(ref.campaign_execution_id)
        return any(pending == ref for pending, _ in launching)


async def _all(steps: Sequence[Awaitable[_T]]) -> list[_T]:
    """Await every step concurrently; a task only when there are several."""
    if not steps:
        return []
    if len(steps) == 1:
        return [await steps[0]]
    return list(await asyncio.gather(*steps))
