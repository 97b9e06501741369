"""The `ActiveCallRegistry` contract: reservations, launch records and the global indexes."""

from __future__ import annotations

from queue_core.domain.contacts import ContactRef
from queue_core.domain.facts import StudioExecutionEvent
from tests.contract.conftest import FROM, NOW, World, attempt, record

CE = "ce-42"
TO = "+14155550001"


async def claim_refs(world: World, n: int, execution_id: str = CE) -> list[ContactRef]:
    await world.push_records(execution_id, [record(i) for i in range(n)])
    claims = await world.cache.claim(execution_id, "owner-a", n, NOW)
    return [ContactRef(execution_id, c.claim_id) for c in claims]


async def test_reserve_holds_the_pair_for_one_contact(world: World) -> None:
    first, second = await claim_refs(world, 2)

    assert await world.calls.reserve(first, TO, FROM, NOW) is True
    assert await world.calls.reserve(first, TO, FROM, NOW + 1) is True
    assert await world.calls.reserve(second, TO, FROM, NOW) is False
    assert await world.calls.reserve(second, TO, "+15005550007", NOW) is True

    assert await world.calls.by_pair(TO, FROM) == first


async def test_reserve_marks_the_claim_launching_until_the_launch_is_recorded(
    world: World,
) -> None:
    first, second = await claim_refs(world, 2)
    await world.calls.reserve(first, TO, FROM, NOW)
    await world.calls.reserve(first, TO, FROM, NOW + 5)  # the first reservation time stays
    await world.calls.reserve(second, "+14155550002", FROM, NOW + 1)

    assert await world.calls.launching(CE) == [(first, NOW), (second, NOW + 1)]

    await world.calls.record_launch(attempt(first, 1))
    assert await world.calls.launching(CE) == [(second, NOW + 1)]


async def test_a_pair_held_elsewhere_marks_nothing(world: World) -> None:
    first, second = await claim_refs(world, 2)
    await world.calls.reserve(first, TO, FROM, NOW)

    await world.calls.reserve(second, TO, FROM, NOW)

    assert await world.calls.launching(CE) == [(first, NOW)]


async def test_record_launch_is_idempotent_and_counted_once(world: World) -> None:
    [ref] = await claim_refs(world, 1)
    launched = attempt(ref, 1)

    await world.calls.record_launch(launched)
    await world.calls.record_launch(launched)

    assert await world.calls.count(CE) == 1
    assert await world.calls.attempt(ref) == launched
    assert await world.calls.by_execution_sid(launched.execution_sid) == ref
    assert await world.calls.in_flight(CE) == [launched]
    status = await world.states.load(CE)
    assert status is not None
    assert status.launched == 1


async def test_record_launch_of_a_settled_or_unknown_claim_records_nothing(world: World) -> None:
    unknown = ContactRef(CE, "424242")

    await world.calls.record_launch(attempt(unknown, 7))

    assert await world.calls.attempt(unknown) is None
    assert await world.calls.by_execution_sid(attempt(unknown, 7).execution_sid) is None
    assert await world.calls.count(CE) == 0


async def test_lookups_of_unknown_contacts_are_none(world: World) -> None:
    assert await world.calls.by_pair(TO, FROM) is None
    assert await world.calls.by_execution_sid("FN" + "f" * 32) is None
    assert await world.calls.attempt(ContactRef(CE, "1")) is None
    assert await world.calls.launching(CE) == []
    assert await world.calls.in_flight(CE) == []


async def test_release_drops_only_indexes_that_point_at_the_contact(world: World) -> None:
    first, second = await claim_refs(world, 2)
    await world.calls.reserve(first, TO, FROM, NOW)
    await world.calls.record_launch(attempt(first, 1))

    await world.calls.release(second, TO, FROM, attempt(first, 1).execution_sid)
    assert await world.calls.by_pair(TO, FROM) == first
    assert await world.calls.by_execution_sid(attempt(first, 1).execution_sid) == first

    await world.calls.release(first, TO, FROM, attempt(first, 1).execution_sid)
    assert await world.calls.by_pair(TO, FROM) is None
    assert await world.calls.by_execution_sid(attempt(first, 1).execution_sid) is None
    assert await world.calls.reserve(second, TO, FROM, NOW) is True


async def test_release_without_an_execution_sid_drops_the_pair(world: World) -> None:
    [ref] = await claim_refs(world, 1)
    await world.calls.reserve(ref, TO, FROM, NOW)

    await world.calls.release(ref, TO, FROM, "")

    assert await world.calls.by_pair(TO, FROM) is None


async def test_answered_counts_answered_calls_in_flight_once(world: World) -> None:
    refs = await claim_refs(world, 3)
    for i, ref in enumerate(refs):
        await world.calls.record_launch(attempt(ref, i))

    await world.calls.mark_answered(refs[0], attempt(refs[0], 0).execution_sid)
    await world.calls.mark_answered(refs[0], attempt(refs[0], 0).execution_sid)
    await world.calls.mark_answered(refs[1], attempt(refs[1], 1).execution_sid)
    await world.calls.mark_answered(refs[2], "FN" + "e" * 32)  # not in flight: ignored

    assert await world.calls.answered(CE) == 2
    assert await world.calls.count(CE) == 3


async def test_in_flight_lists_every_recorded_attempt_of_the_execution(world: World) -> None:
    refs = await claim_refs(world, 3)
    other = await claim_refs(world, 1, "ce-other")
    for i, ref in enumerate(refs + other):
        await world.calls.record_launch(attempt(ref, i))

    assert await world.calls.in_flight(CE) == [attempt(ref, i) for i, ref in enumerate(refs)]
    assert await world.calls.count("ce-other") == 1


def studio_ended(sid: str, n: int) -> StudioExecutionEvent:
    return StudioExecutionEvent(
        event_id=f"EZ{n:032d}",
        ended=True,
        execution_sid=sid,
        flow_sid="FW" + "0" * 32,
        contact_channel_address=TO,
        status="ended",
        at=NOW + n,
    )


async def test_facts_parked_before_the_launch_is_recorded_are_handed_over_once(
    world: World,
) -> None:
    [ref] = await claim_refs(world, 1)
    launched = attempt(ref, 1)
    early = [studio_ended(launched.execution_sid, 1), studio_ended(launched.execution_sid, 2)]

    assert await world.calls.park(launched.execution_sid, early) is None
    assert await world.calls.park(launched.execution_sid, early[:1]) is None  # a redelivery

    handed = await world.calls.record_launch(launched)
    assert sorted(handed, key=lambda f: f.key) == early
    assert await world.calls.record_launch(launched) == []  # handed over once


async def test_parking_for_an_indexed_execution_names_its_contact_and_parks_nothing(
    world: World,
) -> None:
    [ref] = await claim_refs(world, 1)
    launched = attempt(ref, 1)
    await world.calls.record_launch(launched)

    assert await world.calls.park(launched.execution_sid, [studio_ended("x", 1)]) == ref
    assert await world.calls.record_launch(launched) == []


async def test_holders_names_the_contact_of_every_pair_and_sid_in_order(world: World) -> None:
    first, second = await claim_refs(world, 2)
    await world.calls.reserve(first, TO, FROM, NOW)
    await world.calls.record_launch(attempt(first, 1))
    await world.calls.reserve(second, "+14155550002", FROM, NOW)
    sid = attempt(first, 1).execution_sid
    unknown_sid = "FN" + "f" * 32

    by_pair, by_sid = await world.calls.holders(
        [("+14155550002", FROM), (TO, FROM), (TO, "+15005550007")], [unknown_sid, sid]
    )

    assert by_pair == [second, first, None]
    assert by_sid == [None, first]
    assert await world.calls.holders([], []) == ([], [])
    assert await world.calls.holders([], [sid]) == ([], [first])


async def test_holders_no_longer_names_a_released_contact(world: World) -> None:
    [ref] = await claim_refs(world, 1)
    launched = attempt(ref, 1)
    await world.calls.reserve(ref, launched.to, launched.from_, NOW)
    await world.calls.record_launch(launched)

    await world.calls.release(ref, launched.to, launched.from_, launched.execution_sid)

    pair = (launched.to, launched.from_)
    assert await world.calls.holders([pair], [launched.execution_sid]) == ([None], [None])


async def test_a_settle_grace_is_due_once_its_time_comes_and_keeps_its_first_due_time(
    world: World,
) -> None:
    first, second = await claim_refs(world, 2)
    other = ContactRef("ce-other", "7")
    await world.calls.start_grace(first, NOW + 30)
    await world.calls.start_grace(first, NOW + 60)  # a second start keeps the first due time
    await world.calls.start_grace(other, NOW + 10)
    await world.calls.start_grace(second, NOW + 40)

    assert await world.calls.graces_due(NOW, 10) == []
    assert await world.calls.graces_due(NOW + 30, 10) == [other, first]
    assert await world.calls.graces_due(NOW + 45, 1) == [other]

    await world.calls.end_graces([other, first])
    assert await world.calls.graces_due(NOW + 45, 10) == [second]
    await world.calls.end_graces([])
    await world.calls.end_graces([second, second])
    assert await world.calls.graces_due(NOW + 1000, 10) == []
