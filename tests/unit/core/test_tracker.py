"""The contact tracker: correlation, parking of early Studio facts, one settle per contact."""

from __future__ import annotations

import json

from queue_core.contacts import ContactAttempt, ContactRef
from queue_core.disposition import DispositionStatus
from queue_core.facts import (
    CallStatusReport,
    StudioExecutionEvent,
    VoiceCallEvent,
    VoiceEventKind,
)
from queue_core.tracker import ContactTracker
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
