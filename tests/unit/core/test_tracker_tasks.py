"""TaskRouter's facts in the tracker (ADR 0025): the call SID index written when a contact's
call is first known, tasks found through it, tasks of calls no contact holds counted and
ignored, and the index let go with the others when the contact settles."""

from __future__ import annotations

import json
from dataclasses import replace

from queue_core.domain.contacts import ContactAttempt, ContactRef
from queue_core.domain.facts import (
    ContactFact,
    ReservationAccepted,
    StudioExecutionEvent,
    TaskCanceled,
    TaskCreated,
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
STRANGER = "CA" + "5" * 32
WT = "WT" + "6" * 32
TO, FROM = "+14155550100", "+15005550006"
GRACE_S = 30.0


async def setup(
    *, tasks: bool = True
) -> tuple[InMemoryBackend, ContactTracker, FakeClock, ContactAttempt]:
    backend, clock = InMemoryBackend(), FakeClock()
    cache, calls = FakeContactCache(backend), FakeActiveCallRegistry(backend)
    tracker = ContactTracker(
        calls, FakeAssemblyStore(backend), cache, clock, settle_grace_s=GRACE_S
    )
    backend.push_records(CE, [json.dumps({"record_id": "r-1", "phone_number": TO})])
    [claimed] = await cache.claim(CE, "me", 1, clock.now())
    ref = ContactRef(CE, claimed.claim_id)
    assert await calls.reserve(ref, TO, FROM, clock.now())
    attempt = ContactAttempt(ref, "r-1", TO, FROM, FLOW, SID, clock.now(), True)
    attempt = replace(attempt, expect_task_events=tasks, campaign_id="c-7")
    await calls.record_launch(attempt)
    return backend, tracker, clock, attempt


def call_event(kind: str, status: str, at: float, seq: int) -> VoiceCallEvent:
    answered_by = "human" if kind != "initiated" else ""
    return VoiceCallEvent(
        f"EZ{kind}",
        VoiceEventKind(kind),
        CALL,
        status,
        TO,
        FROM,
        seq,
        answered_by=answered_by,
        at=at,
    )


def person_call(t0: float) -> list[ContactFact]:
    return [
        call_event("initiated", "initiated", t0 + 1, 0),
        call_event("answered", "in-progress", t0 + 5.25, 2),
        replace(call_event("completed", "completed", t0 + 60, 3), duration_s=55),
        StudioExecutionEvent("EZend", True, SID, FLOW, TO, "ended", at=t0 + 61),
    ]


async def test_the_call_is_indexed_once_known_and_its_tasks_find_the_contact() -> None:
    backend, tracker, clock, attempt = await setup()
    t0 = clock.now()
    initiated, answered, completed, ended = person_call(t0)

    await tracker.record([initiated])
    assert backend.by_call == {CALL: attempt.ref}

    created = TaskCreated("NO1", WT, CALL, at=t0 + 6)
    result = await tracker.record([answered, created])
    assert (result.matched, result.unmatched) == (2, 0)

    accepted = ReservationAccepted("NO2", WT, CALL, "WK1", at=t0 + 6.75)
    result = await tracker.record([completed, ended, accepted])
    [disposition] = result.settled
    assert (disposition.agent_connected_s, disposition.abandoned) == (1.5, False)
    assert (disposition.task_sid, disposition.campaign_id) == (WT, "c-7")
    assert backend.by_call == {}  # let go with the others
    late = await tracker.record([TaskCanceled("NO3", WT, CALL, "x")])
    assert (late.matched, late.unmatched, late.settled) == (0, 1, ())
    assert backend.dispositions == [disposition]


async def test_a_task_of_a_call_no_contact_holds_is_counted_and_changes_nothing() -> None:
    backend, tracker, clock, _ = await setup()
    facts = person_call(clock.now())
    await tracker.record(facts[:2])
    before = {ref: dict(claim.facts) for ref, claim in backend.claims[CE].items()}

    stranger = ReservationAccepted("NO9", WT, STRANGER, "WK1", at=clock.now() + 6)
    result = await tracker.record([stranger])

    assert (result.matched, result.unmatched, result.settled) == (0, 1, ())
    assert {ref: dict(claim.facts) for ref, claim in backend.claims[CE].items()} == before
    assert STRANGER not in backend.by_call


async def test_without_task_events_no_call_is_indexed() -> None:
    backend, tracker, clock, _ = await setup(tasks=False)
    result = await tracker.record(person_call(clock.now()))

    [disposition] = result.settled  # settles at once: nothing to wait for
    assert (disposition.human_answered, disposition.abandoned) == (True, True)
    assert backend.by_call == {}


async def test_taskrouter_silent_settles_by_the_grace_as_abandoned() -> None:
    backend, tracker, clock, _ = await setup()
    result = await tracker.record(person_call(clock.now()))
    assert result.settled == ()  # waits for its task's outcome

    clock.advance(GRACE_S)
    assert await tracker.settle_graces() == 1
    [disposition] = backend.dispositions
    assert (disposition.human_answered, disposition.abandoned) == (True, True)
    assert disposition.agent_connected_s is None
    assert backend.states[CE].abandoned == 1
