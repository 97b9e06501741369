"""The `WaitingRecords` contract: records deferred for their window wait in due order, are
taken back due first with their attempt number, and are finished with one disposition each."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace

import pytest

from queue_core.domain.contacts import ClaimedRecord, ContactRef
from queue_core.domain.disposition import Disposition, DispositionStatus
from queue_core.domain.waiting import WaitingRecord, WaitReason
from tests.contract.conftest import NOW, World, attempt, disposition, record

CE = "ce-wait"


def outside_window(waiting: WaitingRecord) -> Disposition:
    """The core's final disposition of a record that waited (a plain one, for the store)."""
    doc = json.loads(waiting.raw)
    status = (
        DispositionStatus.OUTSIDE_WINDOW
        if waiting.reason is WaitReason.WINDOW
        else waiting.last_status or DispositionStatus.UNKNOWN
    )
    attempt = waiting.attempt if waiting.reason is WaitReason.WINDOW else waiting.attempt - 1
    return replace(
        disposition(CE, int(doc["record_id"][2:]), status), attempt=attempt, execution_sid=""
    )


async def claims(world: World, count: int, owner: str = "owner-a") -> list[ClaimedRecord]:
    await world.push_records(CE, [record(i) for i in range(count)])
    return await world.cache.claim(CE, owner, count, NOW)


async def test_defer_moves_claims_into_the_waiting_set_in_due_order(world: World) -> None:
    c = await claims(world, 3)

    moved = await world.waiting.defer(CE, [(c[0], NOW + 300), (c[1], NOW + 100)])

    assert moved == 2
    assert await world.waiting.counts(CE) == (2, 0)
    assert await world.waiting.next_due(CE) == NOW + 100
    assert await world.cache.claimed(CE) == [c[2]]
    assert await world.cache.remaining(CE) == 0


async def test_defer_skips_claims_gone_or_launched_and_a_retry_moves_nothing(
    world: World,
) -> None:
    c = await claims(world, 3)
    await world.calls.record_launch(attempt(ContactRef(CE, c[1].claim_id), 1))
    gone = ClaimedRecord("999999", json.dumps(record(99)))

    assert await world.waiting.defer(CE, [(c[0], NOW), (c[1], NOW), (gone, NOW)]) == 1
    assert await world.waiting.defer(CE, [(c[0], NOW)]) == 0
    assert await world.waiting.defer(CE, []) == 0

    assert await world.waiting.counts(CE) == (1, 0)
    assert [r.claim_id for r in await world.cache.claimed(CE)] == [c[2].claim_id]


async def test_take_due_takes_only_due_records_earliest_first_as_new_claims(
    world: World,
) -> None:
    c = await claims(world, 4)
    dues = [NOW + 30, NOW - 10, NOW + 5000, NOW]
    await world.waiting.defer(CE, list(zip(c, dues, strict=True)))

    taken = await world.waiting.take_due(CE, "owner-b", NOW + 30, 10)

    assert [r.raw for r in taken] == [c[1].raw, c[3].raw, c[0].raw]
    assert {r.claim_id for r in taken}.isdisjoint(r.claim_id for r in c)
    assert all(r.attempt == 1 and r.last_status is None for r in taken)
    assert await world.cache.claimed(CE) == taken
    assert await world.waiting.counts(CE) == (1, 0)
    assert await world.waiting.next_due(CE) == NOW + 5000
    assert await world.waiting.take_due(CE, "owner-b", NOW + 30, 10) == []


async def test_take_due_takes_at_most_its_limit(world: World) -> None:
    c = await claims(world, 5)
    await world.waiting.defer(CE, [(r, NOW + i) for i, r in enumerate(c)])

    first = await world.waiting.take_due(CE, "owner-a", NOW + 10, 2)
    none = await world.waiting.take_due(CE, "owner-a", NOW + 10, 0)
    rest = await world.waiting.take_due(CE, "owner-a", NOW + 10, 10)

    assert [r.raw for r in first + rest] == [r.raw for r in c]
    assert none == []
    assert await world.waiting.counts(CE) == (0, 0)
    assert await world.waiting.next_due(CE) is None


async def test_a_waiting_record_keeps_its_raw_form_byte_for_byte(world: World) -> None:
    raw = ['{"record_id":"r-1", "phone_number":"+14155550001"}', "not json at all", "é ü: 2:x:"]
    await world.push_records(CE, raw)
    c = await world.cache.claim(CE, "owner-a", 3, NOW)

    await world.waiting.defer(CE, [(r, NOW) for r in c])
    taken = await world.waiting.take_due(CE, "owner-a", NOW, 3)

    assert sorted(r.raw for r in taken) == sorted(raw)


async def test_counts_and_next_due_of_an_execution_with_none_waiting(world: World) -> None:
    assert await world.waiting.counts(CE) == (0, 0)
    assert await world.waiting.next_due(CE) is None


async def test_executions_wait_apart(world: World) -> None:
    c = await claims(world, 1)
    await world.waiting.defer(CE, [(c[0], NOW)])

    assert await world.waiting.counts("ce-other") == (0, 0)
    assert await world.waiting.take_due("ce-other", "owner-a", NOW, 5) == []
    assert await world.waiting.counts(CE) == (1, 0)


async def test_finish_publishes_one_final_disposition_per_waiting_record(world: World) -> None:
    c = await claims(world, 3)
    await world.waiting.defer(CE, [(c[0], NOW + 50), (c[1], NOW + 10), (c[2], NOW + 99)])
    seen: list[WaitingRecord] = []

    def final(waiting: WaitingRecord) -> Disposition:
        seen.append(waiting)
        return outside_window(waiting)

    assert await world.waiting.finish(CE, 2, final) == 2
    assert await world.waiting.finish(CE, 2, final) == 1
    assert await world.waiting.finish(CE, 2, final) == 0

    assert [w.raw for w in seen] == [c[1].raw, c[0].raw, c[2].raw]
    assert [(w.reason, w.attempt, w.last_status) for w in seen] == [
        (WaitReason.WINDOW, 1, None)
    ] * 3
    assert [w.due_at for w in seen] == [NOW + 10, NOW + 50, NOW + 99]
    published = await world.dispositions()
    assert [d.status for d in published] == [DispositionStatus.OUTSIDE_WINDOW] * 3
    # Each record once. A cluster publishes one batch's entries side by side (each as a
    # settle's), so their order in the stream is not the due order.
    assert sorted(d.record_id for d in published) == ["r-0", "r-1", "r-2"]
    status = await world.states.load(CE)
    assert status is not None
    assert status.dispositions == 3
    assert await world.waiting.counts(CE) == (0, 0)


async def test_concurrent_finishes_publish_each_record_once(world: World) -> None:
    c = await claims(world, 20)
    await world.waiting.defer(CE, [(r, NOW + i) for i, r in enumerate(c)])

    async def drain() -> int:
        done = 0
        while n := await world.waiting.finish(CE, 3, outside_window):
            done += n
        return done

    done = await asyncio.gather(drain(), drain(), drain())

    assert sum(done) == 20
    published = await world.dispositions()
    assert sorted(d.record_id for d in published) == sorted(f"r-{i}" for i in range(20))
    assert await world.waiting.counts(CE) == (0, 0)


async def test_finish_refuses_a_disposition_that_says_a_person_answered(world: World) -> None:
    c = await claims(world, 1)
    await world.waiting.defer(CE, [(c[0], NOW)])

    with pytest.raises(ValueError, match="ends no call"):
        await world.waiting.finish(CE, 5, lambda w: replace(outside_window(w), human_answered=True))

    assert await world.dispositions() == []
    assert await world.waiting.counts(CE) == (1, 0)
