"""The `AssemblyStore` contract: facts deduplicated on their key, known to every instance."""

from __future__ import annotations

from queue_adapters.redis import RedisAssemblyStore
from queue_core.domain.contacts import ContactAttempt, ContactRef
from queue_core.domain.facts import (
    CallStatusReport,
    ContactFact,
    StudioStepEvent,
    VoiceCallEvent,
    VoiceEventKind,
)
from queue_core.ports import AssemblyStore
from tests.contract.conftest import FROM, NOW, OPTIONS, World, attempt, disposition, record
from tests.fakes.stores import FakeAssemblyStore

CE = "ce-42"
CE_EARLY = "ce-early"
TO = "+14155550001"


def voice_completed(launched: ContactAttempt, n: int) -> VoiceCallEvent:
    return VoiceCallEvent(
        event_id=f"EZ-early-{n}",
        kind=VoiceEventKind.COMPLETED,
        call_sid="CA" + "9" * 32,
        call_status="busy",
        to=launched.to,
        from_=launched.from_,
        sequence_number=4,
        at=NOW + 1,
    )


def ringing(event_id: str, call_status: str = "ringing") -> VoiceCallEvent:
    return VoiceCallEvent(
        event_id=event_id,
        kind=VoiceEventKind.RINGING,
        call_sid="CA" + "1" * 32,
        call_status=call_status,
        to=TO,
        from_=FROM,
        sequence_number=1,
        at=NOW + 3,
    )


STEP = StudioStepEvent(
    event_id="ev-step",
    execution_sid="FN" + "0" * 32,
    flow_sid="FW" + "0" * 32,
    name="call_contact",
    context={"CallSid": "CA" + "1" * 32, "CallStatus": "completed", "AnsweredBy": "human"},
)
REPORT = CallStatusReport(execution_sid="FN" + "0" * 32, campaign_execution_id=CE, record_id="r-1")


def by_key(facts: tuple[ContactFact, ...]) -> dict[str, ContactFact]:
    assert len({f.key for f in facts}) == len(facts), "a fact key appears twice"
    return {f.key: f for f in facts}


async def launched(world: World) -> ContactRef:
    await world.push_records(CE, [record(1)])
    [claim] = await world.cache.claim(CE, "owner-a", 1, NOW)
    ref = ContactRef(CE, claim.claim_id)
    await world.calls.record_launch(attempt(ref, 1))
    return ref


async def test_add_to_an_unlaunched_or_unknown_contact_is_none(world: World) -> None:
    await world.push_records(CE, [record(1)])
    [claim] = await world.cache.claim(CE, "owner-a", 1, NOW)

    assert await world.assembly.add(ContactRef(CE, claim.claim_id), [ringing("a")]) is None
    assert await world.assembly.add(ContactRef(CE, "999"), [ringing("a")]) is None


async def test_add_returns_the_attempt_and_every_fact_known(world: World) -> None:
    ref = await launched(world)

    first = await world.assembly.add(ref, [ringing("a")])
    second = await world.assembly.add(ref, [STEP, REPORT])

    assert first is not None
    assert second is not None
    assert first.attempt == attempt(ref, 1)
    assert by_key(first.facts) == {"ce:a": ringing("a")}
    assert by_key(second.facts) == {"ce:a": ringing("a"), STEP.key: STEP, REPORT.key: REPORT}


async def test_a_redelivered_fact_is_kept_once_first_delivery_wins(world: World) -> None:
    ref = await launched(world)
    await world.assembly.add(ref, [ringing("a")])

    snapshot = await world.assembly.add(ref, [ringing("a", "in-progress"), ringing("a")])

    assert snapshot is not None
    assert by_key(snapshot.facts) == {"ce:a": ringing("a")}


async def test_adding_nothing_reads_the_snapshot(world: World) -> None:
    ref = await launched(world)
    await world.assembly.add(ref, [STEP])

    snapshot = await world.assembly.add(ref, [])

    assert snapshot is not None
    assert by_key(snapshot.facts) == {STEP.key: STEP}


async def test_a_settled_contact_forgets_its_facts(world: World) -> None:
    ref = await launched(world)
    await world.assembly.add(ref, [ringing("a")])

    await world.cache.settle(CE, ref.claim_id, disposition(CE, 1))

    assert await world.assembly.add(ref, [ringing("b")]) is None


async def test_facts_of_a_contact_whose_launch_is_not_recorded_are_kept_for_it(
    world: World,
) -> None:
    await world.push_records(CE_EARLY, [record(1)])
    [claimed] = await world.cache.claim(CE_EARLY, "owner-a", 1, NOW)
    ref = ContactRef(CE_EARLY, claimed.claim_id)
    launched = attempt(ref, 1)
    assert await world.calls.reserve(ref, launched.to, launched.from_, NOW)
    early = voice_completed(launched, 1)

    assert await world.assembly.add(ref, [early]) is None

    assert await world.calls.record_launch(launched) == [early]
    snapshot = await world.assembly.add(ref, [])
    assert snapshot is not None
    assert snapshot.facts == (early,)


async def test_facts_of_an_unreserved_claim_are_not_kept(world: World) -> None:
    await world.push_records(CE_EARLY, [record(1)])
    [claimed] = await world.cache.claim(CE_EARLY, "owner-a", 1, NOW)
    ref = ContactRef(CE_EARLY, claimed.claim_id)
    launched = attempt(ref, 1)

    assert await world.assembly.add(ref, [voice_completed(launched, 1)]) is None
    assert await world.calls.reserve(ref, launched.to, launched.from_, NOW)
    assert await world.calls.record_launch(launched) == []


async def test_add_many_answers_each_contact_as_add_would_in_order(world: World) -> None:
    await world.push_records(CE, [record(i) for i in range(3)])
    await world.push_records(CE_EARLY, [record(9)])
    claims = await world.cache.claim(CE, "owner-a", 3, NOW)
    [other] = await world.cache.claim(CE_EARLY, "owner-a", 1, NOW)
    refs = [ContactRef(CE, c.claim_id) for c in claims]
    elsewhere = ContactRef(CE_EARLY, other.claim_id)
    for i, ref in enumerate([refs[0], refs[2], elsewhere]):
        await world.calls.record_launch(attempt(ref, i))
    await world.assembly.add(refs[0], [ringing("a")])

    snapshots = await world.assembly.add_many(
        [
            (refs[0], [ringing("a", "in-progress"), STEP]),
            (refs[1], [ringing("b")]),  # claimed, never reserved nor launched
            (elsewhere, [REPORT]),
            (refs[2], []),
            (ContactRef(CE, "999"), [ringing("c")]),
        ]
    )

    first, unlaunched, other_execution, empty, unknown = snapshots
    assert first is not None
    assert first.attempt == attempt(refs[0], 0)
    assert by_key(first.facts) == {"ce:a": ringing("a"), STEP.key: STEP}
    assert other_execution is not None
    assert other_execution.attempt == attempt(elsewhere, 2)
    assert by_key(other_execution.facts) == {REPORT.key: REPORT}
    assert empty is not None
    assert empty.facts == ()
    assert (unlaunched, unknown) == (None, None)
    assert await world.assembly.add_many([]) == []


async def test_the_first_of_two_deliveries_in_one_add_is_the_one_kept(world: World) -> None:
    ref = await launched(world)

    snapshot = await world.assembly.add(ref, [ringing("a", "in-progress"), ringing("a")])
    again = await world.assembly.add(ref, [])

    assert snapshot is not None
    assert again is not None
    assert by_key(snapshot.facts) == {"ce:a": ringing("a", "in-progress")}
    assert by_key(again.facts) == {"ce:a": ringing("a", "in-progress")}


async def test_a_snapshot_tells_whether_the_contact_counts_as_answered(world: World) -> None:
    ref = await launched(world)
    before = await world.assembly.add(ref, [ringing("a")])

    await world.calls.mark_answered(ref, attempt(ref, 1).execution_sid)
    after = await world.assembly.add(ref, [])

    assert before is not None
    assert after is not None
    assert (before.answered, after.answered) == (False, True)


def another_instance(world: World) -> AssemblyStore:
    """The store as another process of the service sees it (nothing remembered)."""
    if world.real:
        return RedisAssemblyStore(world.redis(), options=OPTIONS)
    return FakeAssemblyStore(world.fake())


async def test_facts_stored_by_another_instance_are_returned_and_win(world: World) -> None:
    ref = await launched(world)
    other = another_instance(world)
    await world.assembly.add(ref, [ringing("a")])
    await other.add(ref, [ringing("b"), STEP])

    mine = await world.assembly.add(ref, [ringing("a", "in-progress"), ringing("b", "busy")])
    theirs = await other.add(ref, [ringing("a", "in-progress")])

    expected = {"ce:a": ringing("a"), "ce:b": ringing("b"), STEP.key: STEP}
    assert mine is not None
    assert theirs is not None
    assert by_key(mine.facts) == expected
    assert by_key(theirs.facts) == expected


def studio_step(event_id: str, sid: str) -> StudioStepEvent:
    return StudioStepEvent(event_id, sid, "FW" + "0" * 32, "call_contact")


async def test_correlate_and_add_adds_to_the_contacts_the_indexes_hold(world: World) -> None:
    await world.push_records(CE, [record(i) for i in range(4)])
    await world.push_records(CE_EARLY, [record(9)])
    claims = await world.cache.claim(CE, "owner-a", 4, NOW)
    [other] = await world.cache.claim(CE_EARLY, "owner-a", 1, NOW)
    first, reserved, settled, known = (ContactRef(CE, c.claim_id) for c in claims)
    elsewhere = ContactRef(CE_EARLY, other.claim_id)
    attempts = {
        ref: attempt(ref, i) for i, ref in enumerate([first, reserved, settled, known, elsewhere])
    }
    for ref, launched in attempts.items():
        assert await world.calls.reserve(ref, launched.to, launched.from_, NOW)
        if ref != reserved:
            await world.calls.record_launch(launched)
    # Settled by an instance that died before it let the indexes go: they still name it.
    assert await world.cache.settle(CE, settled.claim_id, disposition(CE, 2))

    def pair(ref: ContactRef) -> tuple[str, str]:
        return attempts[ref].to, attempts[ref].from_

    def voice(ref: ContactRef, event_id: str) -> VoiceCallEvent:
        return VoiceCallEvent(event_id, VoiceEventKind.RINGING, "CA1", "ringing", *pair(ref))

    stranger = ("+19995550000", FROM)
    found = await world.assembly.correlate_and_add(
        [(known, [voice(known, "k")])],
        [
            (pair(first), [voice(first, "p1")]),
            (pair(elsewhere), [voice(elsewhere, "p2")]),
            (stranger, [ringing("nobody")]),
            (pair(reserved), [voice(reserved, "early")]),
            (pair(settled), [voice(settled, "late")]),
        ],
        [
            (attempts[first].execution_sid, [studio_step("s1", attempts[first].execution_sid)]),
            ("FN" + "f" * 32, [studio_step("s2", "FN" + "f" * 32)]),
        ],
    )

    assert found.by_pair == (first, elsewhere, None, reserved, settled)
    assert found.by_sid == (first, None)
    snapshots = found.snapshots
    assert set(snapshots) == {known, first, elsewhere, reserved, settled}
    assert (snapshots[reserved], snapshots[settled]) == (None, None)
    for ref, keys in [
        (known, {"ce:k"}),
        (first, {"ce:p1", "ce:s1"}),
        (elsewhere, {"ce:p2"}),
    ]:
        snapshot = snapshots[ref]
        assert snapshot is not None
        assert snapshot.attempt == attempts[ref]
        assert set(by_key(snapshot.facts)) == keys
    # Kept for the launch still to be recorded, and handed over by it.
    assert await world.calls.record_launch(attempts[reserved]) == [voice(reserved, "early")]


async def test_correlate_and_add_gives_a_contact_its_facts_in_one_add_known_ones_first(
    world: World,
) -> None:
    ref = await launched(world)  # its SID indexed
    assert await world.calls.reserve(ref, TO, FROM, NOW)  # and its pair
    sid = attempt(ref, 1).execution_sid

    found = await world.assembly.correlate_and_add(
        [(ref, [ringing("a", "known")])],
        [((TO, FROM), [ringing("a", "by pair"), ringing("b", "by pair")])],
        [(sid, [ringing("b", "by sid"), studio_step("c", sid)])],
    )

    assert (found.by_pair, found.by_sid) == ((ref,), (ref,))
    snapshot = found.snapshots[ref]
    assert snapshot is not None
    assert by_key(snapshot.facts) == {
        "ce:a": ringing("a", "known"),
        "ce:b": ringing("b", "by pair"),
        "ce:c": studio_step("c", sid),
    }


async def test_correlate_and_add_without_indexes_adds_as_add_many(world: World) -> None:
    ref = await launched(world)

    found = await world.assembly.correlate_and_add([(ref, [ringing("a")])], [], [])
    nothing = await world.assembly.correlate_and_add([], [], [])

    assert (found.by_pair, found.by_sid) == ((), ())
    snapshot = found.snapshots[ref]
    assert snapshot is not None
    assert by_key(snapshot.facts) == {"ce:a": ringing("a")}
    assert nothing.snapshots == {}
