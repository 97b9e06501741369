"""The contact tracker: correlation, parking of early Studio facts, one settle per contact."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence

from queue_core.domain.contacts import ContactAttempt, ContactRef
from queue_core.domain.disposition import DispositionStatus
from queue_core.domain.facts import (
    CallStatusReport,
    ContactFact,
    StudioExecutionEvent,
    VoiceCallEvent,
    VoiceEventKind,
)
from queue_core.ports import AssemblySnapshot, Correlation, FactsByContact, FactsByPair, FactsBySid
from queue_core.services.tracker import ContactTracker
from tests.fakes import (
    FakeActiveCallRegistry,
    FakeAssemblyStore,
    FakeClock,
    FakeContactCache,
    InMemoryBackend,
)

CE = "ce-1"
FLOW = "FW" + "1" * 32
OTHER_FLOW = "FW" + "2" * 32
SID = "FN" + "3" * 32
TO, FROM = "+14155550100", "+15005550006"


async def setup() -> tuple[InMemoryBackend, ContactTracker, FakeActiveCallRegistry, ContactAttempt]:
    backend = InMemoryBackend()
    clock = FakeClock()
    cache, calls = FakeContactCache(backend), FakeActiveCallRegistry(backend)
    tracker = ContactTracker(
        calls, FakeAssemblyStore(backend), cache, clock, is_our_flow=lambda f: f == FLOW
    )
    backend.push_records(CE, [json.dumps({"record_id": "r-1", "phone_number": TO})])
    [claimed] = await cache.claim(CE, "me", 1, clock.now())
    ref = ContactRef(CE, claimed.claim_id)
    assert await calls.reserve(ref, TO, FROM, clock.now())
    attempt = ContactAttempt(ref, "r-1", TO, FROM, FLOW, SID, clock.now(), True)
    return backend, tracker, calls, attempt


def no_call_facts(flow: str = FLOW) -> list[CallStatusReport | StudioExecutionEvent]:
    return [
        CallStatusReport(
            SID, CE, "r-1", call_status="failed", error_code="13227", error_message="x"
        ),
        StudioExecutionEvent("EZ1", True, SID, flow, TO, "ended"),
    ]


async def test_studio_facts_that_outrun_the_launch_record_are_parked_then_folded() -> None:
    backend, tracker, calls, attempt = await setup()

    early = await tracker.record(no_call_facts())
    assert (early.matched, early.unmatched, early.settled) == (0, 0, ())

    parked = await calls.record_launch(attempt)
    await tracker.adopt(attempt, parked)

    [disposition] = backend.dispositions
    assert (disposition.status, disposition.error_code) == (DispositionStatus.FAILED, "13227")
    assert backend.active[CE] == set()


async def test_facts_of_another_flow_are_not_parked() -> None:
    backend, tracker, calls, attempt = await setup()
    _, ended = no_call_facts(OTHER_FLOW)

    result = await tracker.record([ended])

    assert result.unmatched == 1
    assert backend.parked == {}
    assert await calls.record_launch(attempt) == []


async def test_facts_of_a_recorded_launch_are_folded_at_once() -> None:
    backend, tracker, calls, attempt = await setup()
    assert await calls.record_launch(attempt) == []

    result = await tracker.record(no_call_facts())

    assert len(result.settled) == 1
    assert len(backend.dispositions) == 1


async def test_a_late_event_lets_go_of_an_index_left_by_a_cut_short_release() -> None:
    backend, tracker, calls, attempt = await setup()
    await calls.record_launch(attempt)
    facts = no_call_facts()
    await tracker.record(facts)  # settles the contact ...
    backend.by_pair[(TO, FROM)] = attempt.ref  # ... but its release was cut short
    backend.by_sid[SID] = attempt.ref

    late = VoiceCallEvent("EZ9", VoiceEventKind.COMPLETED, "CA" + "9" * 32, "failed", TO, FROM)
    result = await tracker.record([*facts, late])  # Twilio delivers again, and a late event

    assert (result.matched, result.settled) == (0, ())
    assert (TO, FROM) not in backend.by_pair
    assert SID not in backend.by_sid


class CountingCalls(FakeActiveCallRegistry):
    """The fake registry, counting the requests the tracker makes of it."""

    def __init__(self, backend: InMemoryBackend) -> None:
        super().__init__(backend)
        self.requests: Counter[str] = Counter()

    async def holders(
        self, pairs: Sequence[tuple[str, str]], execution_sids: Sequence[str]
    ) -> tuple[list[ContactRef | None], list[ContactRef | None]]:
        self.requests["holders"] += 1
        return await super().holders(pairs, execution_sids)

    async def mark_answered(self, ref: ContactRef, execution_sid: str) -> None:
        self.requests["mark_answered"] += 1
        await super().mark_answered(ref, execution_sid)


class CountingAssembly(FakeAssemblyStore):
    """The fake assembly store, counting requests, and those that look index keys up."""

    def __init__(self, backend: InMemoryBackend) -> None:
        super().__init__(backend)
        self.requests = 0
        self.lookups = 0

    async def add_many(self, additions: FactsByContact) -> list[AssemblySnapshot | None]:
        self.requests += 1
        return await super().add_many(additions)

    async def correlate_and_add(
        self,
        known: FactsByContact,
        by_pair: FactsByPair,
        by_sid: FactsBySid,
        by_call: FactsBySid = (),
    ) -> Correlation:
        self.requests += 1
        self.lookups += bool(by_pair or by_sid or by_call)
        return await super().correlate_and_add(known, by_pair, by_sid, by_call)


async def launched_contacts(
    n: int, clock: FakeClock | None = None
) -> tuple[InMemoryBackend, ContactTracker, CountingCalls, CountingAssembly, list[ContactAttempt]]:
    backend, clock = InMemoryBackend(), clock or FakeClock()
    cache, calls, assembly = (
        FakeContactCache(backend),
        CountingCalls(backend),
        CountingAssembly(backend),
    )
    tracker = ContactTracker(calls, assembly, cache, clock, is_our_flow=lambda f: f == FLOW)
    backend.push_records(
        CE,
        [json.dumps({"record_id": f"r-{i}", "phone_number": f"+1415555{i:04d}"}) for i in range(n)],
    )
    attempts = []
    for i, claimed in enumerate(await cache.claim(CE, "me", n, clock.now())):
        ref = ContactRef(CE, claimed.claim_id)
        to, sid = f"+1415555{i:04d}", f"FN{i:032x}"
        assert await calls.reserve(ref, to, FROM, clock.now())
        attempt = ContactAttempt(ref, f"r-{i}", to, FROM, FLOW, sid, clock.now(), True)
        assert await calls.record_launch(attempt) == []
        attempts.append(attempt)
    return backend, tracker, calls, assembly, attempts


def voice(attempt: ContactAttempt, kind: VoiceEventKind, status: str) -> VoiceCallEvent:
    return VoiceCallEvent(
        f"EZ-{attempt.execution_sid}-{kind}",
        kind,
        "CA" + attempt.execution_sid[2:],
        status,
        attempt.to,
        attempt.from_,
    )


def ended(attempt: ContactAttempt) -> StudioExecutionEvent:
    return StudioExecutionEvent(
        f"EZ-{attempt.execution_sid}-end", True, attempt.execution_sid, FLOW, attempt.to
    )


async def test_a_batch_costs_one_request_however_many_contacts_it_names() -> None:
    backend, tracker, calls, assembly, attempts = await launched_contacts(5)
    ringing = [voice(a, VoiceEventKind.RINGING, "ringing") for a in attempts]
    started = [
        StudioExecutionEvent(f"EZ-{a.execution_sid}-start", False, a.execution_sid, FLOW, a.to)
        for a in attempts
    ]
    stranger = VoiceCallEvent(
        "EZ-x", VoiceEventKind.RINGING, "CA1", "ringing", "+19995550000", FROM
    )

    result = await tracker.record([*ringing, *started, stranger])

    assert (result.matched, result.unmatched, result.settled) == (10, 1, ())
    assert (assembly.requests, assembly.lookups, calls.requests["holders"]) == (1, 1, 0)
    for attempt in attempts:
        facts = backend.claims[CE][attempt.ref.claim_id].facts
        assert set(facts) == {
            f"ce:EZ-{attempt.execution_sid}-ringing",
            f"ce:EZ-{attempt.execution_sid}-start",
        }


async def test_a_contact_is_marked_answered_once_when_it_first_shows_an_answer() -> None:
    backend, tracker, calls, _, attempts = await launched_contacts(2)
    answered = [voice(a, VoiceEventKind.ANSWERED, "in-progress") for a in attempts]
    ringing = [voice(a, VoiceEventKind.RINGING, "ringing") for a in attempts]

    await tracker.record(ringing)
    assert calls.requests["mark_answered"] == 0
    await tracker.record([*ringing, answered[0]])
    await tracker.record([answered[0], ringing[1]])  # a redelivery, then more facts
    await tracker.record(answered)

    assert calls.requests["mark_answered"] == 2
    assert backend.answered[CE] == {a.execution_sid for a in attempts}


async def test_every_contact_of_a_batch_settles_once_and_a_replay_changes_nothing() -> None:
    backend, tracker, _, _, attempts = await launched_contacts(3)
    batch = [
        fact
        for a in attempts
        for fact in (voice(a, VoiceEventKind.COMPLETED, "completed"), ended(a))
    ]

    first = await tracker.record(batch)
    replay = await tracker.record(batch)

    assert sorted(d.record_id for d in first.settled) == ["r-0", "r-1", "r-2"]
    assert [d.record_id for d in backend.dispositions] == [d.record_id for d in first.settled]
    assert (replay.matched, replay.settled) == (0, ())
    assert backend.by_pair == {}
    assert backend.by_sid == {}
    assert backend.active[CE] == set()


async def test_a_contact_in_flight_is_remembered_and_not_looked_up_again_for_a_while() -> None:
    clock = FakeClock()
    backend, tracker, _, assembly, [attempt] = await launched_contacts(1, clock)

    await tracker.record([voice(attempt, VoiceEventKind.RINGING, "ringing")])
    result = await tracker.record([voice(attempt, VoiceEventKind.ANSWERED, "in-progress")])
    assert (result.matched, assembly.lookups, assembly.requests) == (1, 1, 2)

    clock.advance(61.0)
    await tracker.record([voice(attempt, VoiceEventKind.COMPLETED, "completed")])
    assert assembly.lookups == 2
    assert len(backend.claims[CE][attempt.ref.claim_id].facts) == 3


async def test_a_contact_found_by_one_of_its_indexes_is_remembered_by_both() -> None:
    backend, tracker, _, assembly, [attempt] = await launched_contacts(1)
    started = StudioExecutionEvent("EZ-start", False, attempt.execution_sid, FLOW, attempt.to)

    await tracker.record([started])
    result = await tracker.record([voice(attempt, VoiceEventKind.RINGING, "ringing")])

    assert (result.matched, assembly.lookups, assembly.requests) == (1, 1, 2)
    assert len(backend.claims[CE][attempt.ref.claim_id].facts) == 2


async def test_a_remembered_contact_that_settled_elsewhere_does_not_take_the_next_ones_events() -> (
    None
):
    backend, tracker, calls, assembly, [first, second] = await launched_contacts(2)
    elsewhere = ContactTracker(calls, assembly, FakeContactCache(backend), FakeClock())
    await tracker.record([voice(first, VoiceEventKind.RINGING, "ringing")])  # remembered here
    await elsewhere.record([voice(first, VoiceEventKind.COMPLETED, "completed"), ended(first)])
    assert [d.record_id for d in backend.dispositions] == ["r-0"]
    # The number is dialed again for another contact: its pair now names that one.
    backend.by_pair[(first.to, first.from_)] = second.ref
    again = voice(second, VoiceEventKind.RINGING, "ringing")
    again = VoiceCallEvent(again.event_id, again.kind, again.call_sid, "ringing", first.to, FROM)

    result = await tracker.record([again])

    assert (result.matched, result.unmatched) == (1, 0)
    assert set(backend.claims[CE][second.ref.claim_id].facts) == {again.key}


async def test_a_late_event_for_a_remembered_settled_contact_changes_nothing() -> None:
    backend, tracker, calls, assembly, [attempt] = await launched_contacts(1)
    elsewhere = ContactTracker(calls, assembly, FakeContactCache(backend), FakeClock())
    await tracker.record([voice(attempt, VoiceEventKind.RINGING, "ringing")])
    await elsewhere.record([voice(attempt, VoiceEventKind.COMPLETED, "completed"), ended(attempt)])

    late = VoiceCallEvent("EZ-late", VoiceEventKind.COMPLETED, "CA9", "busy", attempt.to, FROM)
    result = await tracker.record([late])

    assert (result.matched, result.unmatched, result.settled) == (0, 1, ())
    assert len(backend.dispositions) == 1


async def test_voice_facts_that_outrun_the_launch_record_are_kept_then_handed_over() -> None:
    backend, tracker, calls, attempt = await setup()
    early = VoiceCallEvent("EZ5", VoiceEventKind.COMPLETED, "CA" + "5" * 32, "busy", TO, FROM)

    result = await tracker.record([early])
    assert (result.matched, result.unmatched, result.settled) == (1, 0, ())

    handed = await calls.record_launch(attempt)
    assert handed == [early]
    await tracker.adopt(attempt, handed)
    await tracker.record(no_call_facts()[1:])  # the execution ends

    [disposition] = backend.dispositions
    assert disposition.status == DispositionStatus.BUSY


async def test_a_launch_recorded_while_its_early_facts_are_kept_keeps_its_indexes() -> None:
    backend, _, calls, attempt = await setup()
    handed: list[ContactFact] = []

    class RecordedMeanwhile(FakeActiveCallRegistry):
        """The launch is recorded just as the tracker looks whether it is still under way."""

        async def launching(self, campaign_execution_id: str) -> list[tuple[ContactRef, float]]:
            handed.extend(await self.record_launch(attempt))
            return await super().launching(campaign_execution_id)

    racing = RecordedMeanwhile(backend)
    tracker = ContactTracker(
        racing, FakeAssemblyStore(backend), FakeContactCache(backend), FakeClock()
    )
    ringing = VoiceCallEvent("EZ6", VoiceEventKind.RINGING, "CA" + "6" * 32, "ringing", TO, FROM)

    result = await tracker.record([ringing])

    assert (result.matched, result.unmatched) == (1, 0)
    assert handed == [ringing]  # kept by the add, handed over by the launch record
    # The contact is live: its (To, From) index still names it, so its last event finds it.
    assert await calls.by_pair(TO, FROM) == attempt.ref
    done = VoiceCallEvent("EZ7", VoiceEventKind.COMPLETED, "CA" + "6" * 32, "busy", TO, FROM)
    await tracker.record([done, *no_call_facts()[1:]])
    [disposition] = backend.dispositions
    assert disposition.status == DispositionStatus.BUSY


async def test_facts_of_a_sid_indexed_between_the_lookup_and_the_park_are_added() -> None:
    backend, _, calls, attempt = await setup()

    class IndexedMeanwhile(FakeAssemblyStore):
        """The launch is recorded just after the lookup found no contact for its SID."""

        async def correlate_and_add(
            self,
            known: FactsByContact,
            by_pair: FactsByPair,
            by_sid: FactsBySid,
            by_call: FactsBySid = (),
        ) -> Correlation:
            found = await super().correlate_and_add(known, by_pair, by_sid, by_call)
            assert await calls.record_launch(attempt) == []
            return found

    tracker = ContactTracker(
        calls, IndexedMeanwhile(backend), FakeContactCache(backend), FakeClock()
    )

    result = await tracker.record(no_call_facts())

    assert (result.matched, result.unmatched, len(result.settled)) == (2, 0, 1)
    assert backend.parked == {}
    [disposition] = backend.dispositions
    assert (disposition.status, disposition.error_code) == (DispositionStatus.FAILED, "13227")
