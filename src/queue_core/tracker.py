"""The contact tracker: from webhook facts to each contact's one disposition.

Any instance can take any webhook: facts are correlated to their contact through the global
indexes, added to the contact's shared assembly state, and the assembler decides whether the
contact is final. Settling is exactly once across instances (the cache's `settle`); the
indexes are released only after the disposition is published, so a late duplicate finds no
contact and changes nothing.
"""

from __future__ import annotations

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
    """What one call of `record` did: facts matched to a contact, facts for no contact of ours
    (late duplicates, other services' calls), and dispositions this call published.

    `retry_later` is True when a fact names a contact whose launch is not recorded yet (its
    event outran Studio's answer): the webhook answers 503 so that Twilio delivers the batch
    again; facts are deduplicated, so the facts already stored are not counted twice.
    """

    matched: int
    unmatched: int
    settled: tuple[Disposition, ...]
    retry_later: bool = False


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
        """Correlate, store and fold facts; settle every contact they make final."""
        by_contact: dict[ContactRef, list[ContactFact]] = defaultdict(list)
        to_park: dict[str, list[ContactFact]] = defaultdict(list)
        unmatched = 0
        for fact in facts:
            ref = await self._correlate(fact)
            if ref is not None:
                by_contact[ref].append(fact)
            elif self._parks(fact):
                assert isinstance(fact, StudioExecutionEvent | StudioStepEvent | CallStatusReport)
                to_park[fact.execution_sid].append(fact)
            else:
                unmatched += 1
        for execution_sid, early in to_park.items():
            # Indexed meanwhile? Then the contact is known after all; else the facts wait for
            # `record_launch` to hand them over (one atomic step either way).
            ref = await self._calls.park(execution_sid, early)
            if ref is not None:
                by_contact[ref].extend(early)
        settled: list[Disposition] = []
        matched = 0
        retry_later = False
        for ref, contact_facts in by_contact.items():
            snapshot = await self._assembly.add(ref, contact_facts)
            if snapshot is None:
                # Found through the (To, From) index but with no recorded launch: either the
                # launch answer is still on its way, or the contact settled a moment ago and
                # its index is being released. A later delivery tells the two apart.
                unmatched += len(contact_facts)
                retry_later = retry_later or await self._launch_pending(ref)
                continue
            matched += len(contact_facts)
            disposition = await self._fold(snapshot.attempt, snapshot.facts)
            if disposition is not None:
                settled.append(disposition)
        return TrackResult(matched, unmatched, tuple(settled), retry_later)

    async def adopt(self, attempt: ContactAttempt, parked: Sequence[ContactFact]) -> None:
        """Fold in the facts that were parked for a launch just recorded."""
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

    async def _correlate(self, fact: ContactFact) -> ContactRef | None:
        if isinstance(fact, VoiceCallEvent | AmdEvent):
            return await self._calls.by_pair(fact.to, fact.from_)
        if isinstance(fact, StudioExecutionEvent | StudioStepEvent | CallStatusReport):
            return await self._calls.by_execution_sid(fact.execution_sid)
        return None
