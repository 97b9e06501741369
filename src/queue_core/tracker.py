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
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from queue_core._index_memory import IndexKey, IndexMemory
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
from queue_core.ports import (
    ActiveCallRegistry,
    AssemblySnapshot,
    AssemblyStore,
    Clock,
    ContactCache,
)

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
    ) -> None:
        """`is_our_flow` tells a Studio flow of ours: only its events are parked while their
        execution's launch is not recorded yet (other flows on the account are ignored).

        The contact an index named is remembered for `remember_s` seconds (at most
        `remember_at_most` index keys), so the next batches about a call in flight skip the
        lookup. A remembered contact is only trusted while it has a recorded launch: an index
        names one contact from its reservation until after it settles, so a contact still in
        flight is still the index's. When the store has no launch for it, its facts are
        correlated again through the indexes."""
        self.is_our_flow = is_our_flow
        self._calls = calls
        self._assembly = assembly
        self._cache = cache
        self._clock = clock
        self._on_settled = on_settled
        self._known = IndexMemory(remember_s, remember_at_most)

    async def record(self, facts: Iterable[ContactFact]) -> TrackResult:
        """Correlate, store and fold facts; settle every contact they make final.

        A batch costs a fixed number of requests to the store, however many facts it holds:
        one for the index keys it names (none when all are remembered), one per execution for
        the contacts it names, then one per contact that settles or first shows an answer."""
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
        index_keys = [_index_key(fact) for fact in facts]
        found, known = await self._holders(index_keys, trust_known=trust_known)
        by_contact: dict[ContactRef, list[ContactFact]] = defaultdict(list)
        keys_of: dict[ContactRef, set[IndexKey]] = defaultdict(set)
        to_park: dict[str, list[ContactFact]] = defaultdict(list)
        unmatched = 0
        for fact, key in zip(facts, index_keys, strict=True):
            ref = found.get(key)
            if ref is not None:
                by_contact[ref].append(fact)
                keys_of[ref].add(key)
            elif self._parks(fact):
                assert isinstance(fact, StudioExecutionEvent | StudioStepEvent | CallStatusReport)
                to_park[fact.execution_sid].append(fact)
            else:
                unmatched += 1
        # Indexed meanwhile? Then the contact is known after all; else the facts wait for
        # `record_launch` to hand them over (one atomic step either way).
        parked = await asyncio.gather(*(self._calls.park(s, f) for s, f in to_park.items()))
        for (sid, early), ref in zip(to_park.items(), parked, strict=True):
            if ref is not None:
                by_contact[ref].extend(early)
                keys_of[ref].add(("sid", sid))
        if not by_contact:
            return TrackResult(0, unmatched, ()), []
        contacts = list(by_contact.items())
        snapshots = await self._assembly.add_many(contacts)
        # Folding is pure and most folds lead nowhere: only the contacts that settle, first
        # show an answer, or have no recorded launch go back to the store.
        pending: list[Awaitable[Disposition | None]] = []
        unrecorded: list[Awaitable[int]] = []
        doubtful: list[ContactFact] = []
        matched = 0
        for (ref, added), snapshot in zip(contacts, snapshots, strict=True):
            if snapshot is None:
                if keys_of[ref] & known:
                    self._known.forget(ref, keys_of[ref])
                    doubtful += added
                else:
                    unrecorded.append(self._unrecorded(ref, added))
                continue
            self._known.store(ref, keys_of[ref], self._clock.monotonic())
            matched += len(added)
            step = self._folded(snapshot)
            if step is not None:
                pending.append(step)
        outcomes = await _all([*pending, *unrecorded])
        settled = tuple(d for d in outcomes[: len(pending)] if isinstance(d, Disposition))
        matched += sum(n for n in outcomes[len(pending) :] if isinstance(n, int))
        unmatched += sum(len(f) for f in by_contact.values()) - matched - len(doubtful)
        return TrackResult(matched, unmatched, settled), doubtful

    async def _holders(
        self, index_keys: Iterable[IndexKey], *, trust_known: bool
    ) -> tuple[dict[IndexKey, ContactRef | None], set[IndexKey]]:
        """The contact holding each distinct index key (the remembered ones first, the others
        asked in one request), and which keys were answered from memory."""
        found: dict[IndexKey, ContactRef | None] = {}
        known: set[IndexKey] = set()
        ask: list[IndexKey] = []
        now = self._clock.monotonic()
        for key in dict.fromkeys(index_keys):
            remembered = self._known.get(key, now) if trust_known else None
            if remembered is not None:
                found[key] = remembered
                known.add(key)
            elif key[0] != "none":
                ask.append(key)
        if not ask:
            return found, known
        pairs = [(key[1], key[2]) for key in ask if key[0] == "pair"]
        sids = [key[1] for key in ask if key[0] == "sid"]
        by_pair, by_sid = await self._calls.holders(pairs, sids)
        for (to, from_), ref in zip(pairs, by_pair, strict=True):
            found["pair", to, from_] = ref
        for sid, ref in zip(sids, by_sid, strict=True):
            found["sid", sid] = ref
        return found, known

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
        indexes: dict[tuple[str, str, str], None] = {}
        for fact in facts:
            if isinstance(fact, VoiceCallEvent | AmdEvent):
                indexes[fact.to, fact.from_, ""] = None
            elif isinstance(fact, StudioExecutionEvent | StudioStepEvent | CallStatusReport):
                indexes["", "", fact.execution_sid] = None
        for to, from_, sid in indexes:
            await self._calls.release(ref, to, from_, sid)

    async def adopt(self, attempt: ContactAttempt, parked: Sequence[ContactFact]) -> None:
        """Fold in the facts that came before a launch was recorded (`record_launch`)."""
        if not parked:
            return
        snapshot = await self._assembly.add(attempt.ref, parked)
        if snapshot is not None:
            await self._fold(snapshot)

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

    async def _fold(self, snapshot: AssemblySnapshot) -> Disposition | None:
        step = self._folded(snapshot)
        return None if step is None else await step

    def _folded(self, snapshot: AssemblySnapshot) -> Awaitable[Disposition | None] | None:
        """What the contact's facts call for, not started yet: its settling when they are
        final, its answered mark the first time they show a person answered, else None."""
        attempt, facts = snapshot.attempt, snapshot.facts
        disposition = DispositionAssembler.assemble(attempt, facts)
        if disposition is not None:
            return self._settle(attempt, disposition)
        if not snapshot.answered and DispositionAssembler.answered_by_person(facts):
            return self._mark_answered(attempt)
        return None

    async def _mark_answered(self, attempt: ContactAttempt) -> None:
        await self._calls.mark_answered(attempt.ref, attempt.execution_sid)

    async def _settle(
        self, attempt: ContactAttempt, disposition: Disposition
    ) -> Disposition | None:
        """Publish the disposition (once across instances) and let the indexes go."""
        execution_id = attempt.ref.campaign_execution_id
        self._known.forget(
            attempt.ref, [("pair", attempt.to, attempt.from_), ("sid", attempt.execution_sid)]
        )
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


def _index_key(fact: ContactFact) -> IndexKey:
    """The global index that correlates a fact to its contact."""
    if isinstance(fact, VoiceCallEvent | AmdEvent):
        return ("pair", fact.to, fact.from_)
    if isinstance(fact, StudioExecutionEvent | StudioStepEvent | CallStatusReport):
        return ("sid", fact.execution_sid)
    return ("none",)


async def _all(steps: Sequence[Awaitable[_T]]) -> list[_T]:
    """Await every step concurrently; a task only when there are several."""
    if not steps:
        return []
    if len(steps) == 1:
        return [await steps[0]]
    return list(await asyncio.gather(*steps))
