"""The settle grace (ADR 0011): a contact whose flow has ended never waits for a voice event
that does not come, unless its call is answered and still live; any instance ends a grace."""

from __future__ import annotations

import json

from queue_core.domain.contacts import ContactAttempt, ContactRef
from queue_core.domain.disposition import DispositionStatus
from queue_core.domain.facts import (
    CallStatusReport,
    StudioExecutionEvent,
    VoiceCallEvent,
    VoiceEventKind,
)
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
SID = "FN" + "3" * 32
CALL = "CA" + "4" * 32
TO, FROM = "+14155550100", "+15005550006"
GRACE_S = 30.0


def tracker_on(backend: InMemoryBackend, clock: FakeClock) -> ContactTracker:
    calls = FakeActiveCallRegistry(backend)
    return ContactTracker(
        calls,
        FakeAssemblyStore(backend),
        FakeContactCache(backend),
        clock,
        settle_grace_s=GRACE_S,
    )


async def launched(backend: InMemoryBackend, clock: FakeClock) -> ContactAttempt:
    cache, calls = FakeContactCache(backend), FakeActiveCallRegistry(backend)
    backend.push_records(CE, [json.dumps({"record_id": "r-1", "phone_number": TO})])
    [claimed] = await cache.claim(CE, "me", 1, clock.now())
    ref = ContactRef(CE, claimed.claim_id)
    assert await calls.reserve(ref, TO, FROM, clock.now())
    attempt = ContactAttempt(ref, "r-1", TO, FROM, FLOW, SID, clock.now(), True)
    assert await calls.record_launch(attempt) == []
    return attempt


def voice(eid: str, kind: VoiceEventKind, status: str, at: float) -> VoiceCallEvent:
    return VoiceCallEvent(eid, kind, CALL, status, TO, FROM, at=at)


def ended(at: float) -> StudioExecutionEvent:
    return StudioExecutionEvent("EZend", True, SID, FLOW, TO, "ended", at=at)


def flow_report(status: str, *, code: str = "", message: str = "") -> CallStatusReport:
    return CallStatusReport(SID, CE, "r-1", CALL, status, code, message)


async def test_a_failed_call_reported_by_the_flow_settles_with_the_end_and_no_voice_event() -> None:
    backend, clock = InMemoryBackend(), FakeClock()
    tracker = tracker_on(backend, clock)
    await launched(backend, clock)

    await tracker.record([flow_report("failed", code="32009", message="Call failed")])
    assert backend.dispositions == []
    result = await tracker.record([ended(clock.now())])

    [disposition] = result.settled
    assert (disposition.status, disposition.call_sid) == (DispositionStatus.FAILED, CALL)
    assert (disposition.error_code, disposition.error_message) == ("32009", "Call failed")
    assert backend.graces == {}
    # A report delivered again after the contact settled changes nothing.
    again = await tracker.record([flow_report("failed", code="32009", message="Call failed")])
    assert (again.matched, again.settled, len(backend.dispositions)) == (0, (), 1)


async def test_without_a_terminal_voice_event_the_contact_settles_when_the_grace_is_due() -> None:
    backend, clock = InMemoryBackend(), FakeClock()
    tracker = tracker_on(backend, clock)
    attempt = await launched(backend, clock)

    await tracker.record([flow_report("busy"), ended(clock.now())])
    assert backend.dispositions == []
    assert backend.graces == {attempt.ref: clock.now() + GRACE_S}

    clock.advance(GRACE_S - 1)
    assert await tracker.settle_graces() == 0
    clock.advance(1)
    assert await tracker.settle_graces() == 1

    [disposition] = backend.dispositions
    assert (disposition.status, disposition.call_sid) == (DispositionStatus.BUSY, CALL)
    assert backend.graces == {}
    assert await tracker.settle_graces() == 0  # a grace fact for a settled contact: no-op


async def test_the_grace_runs_from_the_first_arrival_of_the_end() -> None:
    backend, clock = InMemoryBackend(), FakeClock()
    tracker = tracker_on(backend, clock)
    attempt = await launched(backend, clock)
    first = clock.now()

    await tracker.record([ended(first)])
    clock.advance(10)
    ringing = voice("EZring", VoiceEventKind.RINGING, "ringing", first)
    await tracker.record([ringing, ended(first)])

    assert backend.graces == {attempt.ref: first + GRACE_S}


async def test_an_answered_call_that_outlives_its_flow_is_not_settled_by_the_grace() -> None:
    backend, clock = InMemoryBackend(), FakeClock()
    tracker = tracker_on(backend, clock)
    await launched(backend, clock)
    answered = voice("EZans", VoiceEventKind.ANSWERED, "in-progress", clock.now())

    await tracker.record([answered, ended(clock.now())])
    clock.advance(GRACE_S)
    assert await tracker.settle_graces() == 0
    assert backend.dispositions == []
    assert backend.graces == {}  # the grace fact is in: the next fact that ends the call decides

    done = VoiceCallEvent(
        "EZdone", VoiceEventKind.COMPLETED, CALL, "completed", TO, FROM, duration_s=95
    )
    [disposition] = (await tracker.record([done])).settled
    assert (disposition.status, disposition.duration_s) == (DispositionStatus.COMPLETED, 95)


async def test_another_instance_ends_the_grace_of_a_contact_whose_receiver_died() -> None:
    backend, clock = InMemoryBackend(), FakeClock()
    receiver = tracker_on(backend, clock)
    await launched(backend, clock)
    await receiver.record([ended(clock.now())])  # ... and then the receiving instance dies

    clock.advance(GRACE_S + 600)
    other = tracker_on(backend, clock)  # a takeover instance, with nothing in memory
    assert await other.settle_graces() == 1

    [disposition] = backend.dispositions
    assert (disposition.status, disposition.call_sid) == (DispositionStatus.UNKNOWN, "")
