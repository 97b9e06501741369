"""How records move between the cache, claims and the waiting set (`ContactCache` with
`WaitingRecords`): a retry settles and waits in one step, and a claim taken from the waiting set
goes back there, never to the cache, whoever gives it back."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from queue_core.domain.contacts import ClaimedRecord, ContactRef
from queue_core.domain.disposition import Disposition, DispositionStatus
from queue_core.domain.waiting import WaitingRecord, WaitReason
from tests.contract.conftest import NOW, World, attempt, disposition, record
from tests.contract.test_store_waiting import outside_window

CE = "ce-wait"
BUSY = DispositionStatus.BUSY


def retried(i: int, at: float, number: int = 1) -> Disposition:
    """Attempt `number` of record `i` ended busy; the next one is due at `at`."""
    return replace(disposition(CE, i, BUSY), attempt=number, final=False, retry_at=at)


async def launched(world: World, count: int) -> list[ClaimedRecord]:
    await world.push_records(CE, [record(i) for i in range(count)])
    taken = await world.cache.claim(CE, "owner-a", count, NOW)
    for i, claim in enumerate(taken):
        await world.calls.record_launch(attempt(ContactRef(CE, claim.claim_id), i))
    return taken


async def test_a_retry_settles_publishes_and_waits_in_one_step(world: World) -> None:
    [claim] = await launched(world, 1)

    assert await world.cache.settle(CE, claim.claim_id, retried(0, NOW + 600)) is True
    assert await world.cache.settle(CE, claim.claim_id, retried(0, NOW + 600)) is False

    assert await world.dispositions() == [retried(0, NOW + 600)]
    assert await world.calls.count(CE) == 0
    assert await world.waiting.counts(CE) == (0, 1)
    assert await world.waiting.next_due(CE) == NOW + 600
    assert await world.waiting.take_due(CE, "owner-a", NOW + 599, 5) == []
    [again] = await world.waiting.take_due(CE, "owner-b", NOW + 600, 5)
    assert (again.raw, again.attempt, again.last_status) == (claim.raw, 2, BUSY)
    assert await world.waiting.counts(CE) == (0, 0)


async def test_a_disposition_not_final_without_its_retry_time_changes_nothing(
    world: World,
) -> None:
    [claim] = await launched(world, 1)

    with pytest.raises(ValueError, match="retry_at"):
        await world.cache.settle(CE, claim.claim_id, replace(retried(0, NOW), retry_at=None))

    assert await world.dispositions() == []
    assert await world.calls.count(CE) == 1


async def test_attempts_number_on_through_retries_until_the_final_one(world: World) -> None:
    [claim] = await launched(world, 1)
    await world.cache.settle(CE, claim.claim_id, retried(0, NOW + 10, 1))
    [second] = await world.waiting.take_due(CE, "owner-a", NOW + 10, 1)
    await world.calls.record_launch(attempt(ContactRef(CE, second.claim_id), 0))
    await world.cache.settle(CE, second.claim_id, retried(0, NOW + 20, second.attempt))
    [third] = await world.waiting.take_due(CE, "owner-a", NOW + 20, 1)
    last = replace(disposition(CE, 0), attempt=third.attempt)

    assert await world.cache.settle(CE, third.claim_id, last) is True

    assert [(d.attempt, d.final) for d in await world.dispositions()] == [
        (1, False),
        (2, False),
        (3, True),
    ]
    assert (third.attempt, third.last_status) == (3, BUSY)
    assert await world.waiting.counts(CE) == (0, 0)
    assert await world.cache.claimed(CE) == []
    status = await world.states.load(CE)
    assert status is not None
    assert status.dispositions == 3


async def test_a_claim_from_the_waiting_set_given_back_waits_again_others_go_to_the_head(
    world: World,
) -> None:
    [first] = await launched(world, 1)
    await world.cache.settle(CE, first.claim_id, retried(0, NOW + 10))
    await world.push_records(CE, [record(7), record(8)])
    plain = await world.cache.claim(CE, "owner-a", 1, NOW)
    [waited] = await world.waiting.take_due(CE, "owner-a", NOW + 50, 1)

    assert await world.cache.return_to_head(CE, [plain[0], waited]) == 2
    assert await world.cache.return_to_head(CE, [plain[0], waited]) == 0

    assert await world.cache_entries(CE) == [
        plain[0].raw,
        json.dumps(record(8)),
    ]
    assert await world.waiting.counts(CE) == (0, 1)
    assert await world.waiting.next_due(CE) == NOW + 10
    [again] = await world.waiting.take_due(CE, "owner-b", NOW + 10, 1)
    assert (again.raw, again.attempt, again.last_status) == (first.raw, 2, BUSY)


async def test_a_deferred_retry_keeps_its_attempt_and_waits_for_its_window(world: World) -> None:
    [first] = await launched(world, 1)
    await world.cache.settle(CE, first.claim_id, retried(0, NOW + 10))
    [waited] = await world.waiting.take_due(CE, "owner-a", NOW + 10, 1)

    assert await world.waiting.defer(CE, [(waited, NOW + 3600)]) == 1

    assert await world.waiting.counts(CE) == (1, 0)
    seen: list[WaitingRecord] = []

    def final(waiting: WaitingRecord) -> Disposition:
        seen.append(waiting)
        return outside_window(waiting)

    assert await world.waiting.finish(CE, 5, final) == 1
    assert [(w.reason, w.attempt, w.last_status, w.due_at) for w in seen] == [
        (WaitReason.WINDOW, 2, BUSY, NOW + 3600)
    ]


async def test_claimed_lists_a_claim_from_the_waiting_set_with_its_attempt(world: World) -> None:
    [first] = await launched(world, 1)
    await world.cache.settle(CE, first.claim_id, retried(0, NOW))
    [waited] = await world.waiting.take_due(CE, "owner-a", NOW, 1)

    assert await world.cache.claimed(CE) == [waited]
    assert waited.attempt == 2


async def test_recover_sends_a_dead_owners_waited_claims_back_to_the_waiting_set(
    world: World,
) -> None:
    claims = await launched(world, 3)
    for i, claim in enumerate(claims):
        await world.cache.settle(CE, claim.claim_id, retried(i, NOW + i))
    dead = await world.waiting.take_due(CE, "dead", NOW + 5, 3)
    await world.calls.reserve(ContactRef(CE, dead[1].claim_id), "+14155550001", "+1500", NOW)
    await world.calls.record_launch(attempt(ContactRef(CE, dead[2].claim_id), 2))
    await world.push_records(CE, [record(9)])
    await world.cache.claim(CE, "dead", 1, NOW)

    assert await world.cache.recover(CE, "dead") == 2

    assert await world.cache.remaining(CE) == 1
    assert await world.waiting.counts(CE) == (0, 1)
    assert await world.waiting.next_due(CE) == NOW
    assert await world.cache.claimed(CE) == [dead[1]]
    assert await world.cache.recover(CE, "dead") == 0
