"""The call SID index (ADR 0025) on the fakes, a real `redis-server` and a cluster: it names one
contact, finds it for TaskRouter's facts, and goes with the other indexes when it settles."""

from __future__ import annotations

from dataclasses import replace

import pytest

from queue_adapters.redis import RedisOptions
from queue_core.domain.contacts import ContactAttempt, ContactRef
from queue_core.domain.facts import ReservationAccepted, TaskCreated
from tests.contract.conftest import FROM, NOW, World, attempt, disposition, record, redis_world

CE = "ce-42"
CALL = "CA" + "1" * 32
OTHER = "CA" + "2" * 32
WT = "WT" + "3" * 32


async def launched(world: World, n: int = 1) -> list[ContactAttempt]:
    """`n` contacts launched expecting task events."""
    await world.push_records(CE, [record(i) for i in range(n)])
    claims = await world.cache.claim(CE, "owner-a", n, NOW)
    out = []
    for i, claim in enumerate(claims):
        one = replace(attempt(ContactRef(CE, claim.claim_id), i), expect_task_events=True)
        assert await world.calls.reserve(one.ref, one.to, one.from_, NOW)
        await world.calls.record_launch(one)
        out.append(one)
    return out


async def test_the_call_index_names_one_contact(world: World) -> None:
    first, second = await launched(world, 2)

    assert await world.calls.index_call(first.ref, CALL) is True
    assert await world.calls.index_call(first.ref, CALL) is True  # idempotent
    assert await world.calls.index_call(second.ref, CALL) is False
    assert await world.calls.index_call(second.ref, OTHER) is True

    await world.calls.release(second.ref, "", "", "", CALL)  # not second's: stays
    found = await world.assembly.correlate_and_add([], [], [], [(CALL, [])])
    assert found.by_call == (first.ref,)


async def test_a_task_finds_its_contact_by_the_call_and_a_strangers_finds_none(
    world: World,
) -> None:
    [one] = await launched(world)
    await world.calls.index_call(one.ref, CALL)
    ours = TaskCreated("NO1", WT, CALL, at=NOW + 5)
    stranger = ReservationAccepted("NO2", WT, OTHER, "WK1", at=NOW + 6)

    found = await world.assembly.correlate_and_add(
        [], [], [], [(CALL, [ours]), (OTHER, [stranger])]
    )

    assert found.by_call == (one.ref, None)
    snapshot = found.snapshots[one.ref]
    assert snapshot is not None
    assert [fact.key for fact in snapshot.facts] == [ours.key]
    assert set(found.snapshots) == {one.ref}


@pytest.mark.parametrize("steps", ["one script", "step by step"])
async def test_the_call_index_goes_with_the_others_when_the_contact_settles(
    world: World, steps: str
) -> None:
    if steps == "step by step" and world.kind != "redis":
        return  # the fake has one way; a cluster has only this one
    if steps == "step by step":
        world = redis_world("redis", world.redis(), RedisOptions(cross_slot_scripts=False))
    [one] = await launched(world)
    await world.calls.index_call(one.ref, CALL)
    done = replace(disposition(CE, 0), call_sid=CALL)

    assert await world.cache.settle(CE, one.ref.claim_id, done, release=one)

    found = await world.assembly.correlate_and_add([], [], [], [(CALL, [])])
    assert found.by_call == (None,)
    assert await world.calls.holders([(one.to, FROM)], [one.execution_sid]) == ([None], [None])
