"""The `ContactCache` contract: claims move records out of the cache exactly once, settle
publishes exactly one disposition, returns and recovery restore the cache head."""

from __future__ import annotations

import json

from queue_core.domain.contacts import ClaimedRecord, ContactRef
from queue_core.domain.disposition import DispositionStatus
from tests.contract.conftest import NOW, World, attempt, disposition, record

CE = "ce-42"


async def test_claim_takes_records_from_the_head_in_order(world: World) -> None:
    await world.push_records(CE, [record(i) for i in range(5)])

    first = await world.cache.claim(CE, "owner-a", 2, NOW)
    second = await world.cache.claim(CE, "owner-b", 10, NOW)

    assert [json.loads(r.raw)["record_id"] for r in first + second] == [f"r-{i}" for i in range(5)]
    assert len({r.claim_id for r in first + second}) == 5
    assert await world.cache.remaining(CE) == 0
    assert await world.cache.claim(CE, "owner-a", 3, NOW) == []


async def test_claim_keeps_raw_entries_byte_for_byte(world: World) -> None:
    raw = ['{"record_id":"r-1", "phone_number":"+14155550001"}', "not json at all", "é ü"]
    await world.push_records(CE, raw)

    claimed = await world.cache.claim(CE, "owner-a", 3, NOW)

    assert [r.raw for r in claimed] == raw


async def test_claim_of_zero_or_an_empty_cache_takes_nothing(world: World) -> None:
    assert await world.cache.claim(CE, "owner-a", 5, NOW) == []
    await world.push_records(CE, [record(1)])
    assert await world.cache.claim(CE, "owner-a", 0, NOW) == []
    assert await world.cache.remaining(CE) == 1


async def test_executions_are_independent(world: World) -> None:
    await world.push_records("ce-1", [record(1)])
    await world.push_records("ce-2", [record(2), record(3)])

    assert await world.cache.claim("ce-1", "owner-a", 5, NOW) != []
    assert await world.cache.remaining("ce-2") == 2


async def test_claimed_lists_unlaunched_claims_in_claim_order(world: World) -> None:
    await world.push_records(CE, [record(i) for i in range(4)])
    claims = await world.cache.claim(CE, "owner-a", 4, NOW)
    await world.calls.record_launch(attempt(ContactRef(CE, claims[1].claim_id), 1))

    listed = await world.cache.claimed(CE)

    assert listed == [claims[0], claims[2], claims[3]]


async def test_return_to_head_restores_order_and_skips_launched_and_gone(world: World) -> None:
    await world.push_records(CE, [record(i) for i in range(5)])
    claims = await world.cache.claim(CE, "owner-a", 4, NOW)
    await world.calls.record_launch(attempt(ContactRef(CE, claims[1].claim_id), 1))
    gone = ClaimedRecord("999999", json.dumps(record(99)))

    back = await world.cache.return_to_head(CE, [claims[0], claims[1], claims[3], gone])

    assert back == 2
    assert await world.cache_entries(CE) == [claims[0].raw, claims[3].raw, json.dumps(record(4))]
    assert await world.cache.claimed(CE) == [claims[2]]
    assert await world.cache.return_to_head(CE, [claims[0]]) == 0


async def test_a_returned_record_is_claimed_again_with_a_new_claim_id(world: World) -> None:
    await world.push_records(CE, [record(1)])
    [first] = await world.cache.claim(CE, "owner-a", 1, NOW)
    await world.cache.return_to_head(CE, [first])

    [again] = await world.cache.claim(CE, "owner-b", 1, NOW)

    assert again.raw == first.raw
    assert again.claim_id != first.claim_id


async def test_settle_publishes_one_disposition_and_counts_it(world: World) -> None:
    await world.push_records(CE, [record(1)])
    [claim] = await world.cache.claim(CE, "owner-a", 1, NOW)
    result = disposition(CE, 1)

    assert await world.cache.settle(CE, claim.claim_id, result) is True
    assert await world.cache.settle(CE, claim.claim_id, result) is False

    assert await world.dispositions() == [result]
    status = await world.states.load(CE)
    assert status is not None
    assert status.dispositions == 1
    assert await world.cache.claimed(CE) == []


async def test_settle_of_an_unknown_claim_does_nothing(world: World) -> None:
    assert await world.cache.settle(CE, "12345", disposition(CE, 1)) is False
    assert await world.dispositions() == []


async def test_settle_of_a_launched_contact_drops_it_from_flight(world: World) -> None:
    await world.push_records(CE, [record(1), record(2)])
    claims = await world.cache.claim(CE, "owner-a", 2, NOW)
    refs = [ContactRef(CE, c.claim_id) for c in claims]
    for i, ref in enumerate(refs, start=1):
        await world.calls.record_launch(attempt(ref, i))
        await world.calls.mark_answered(ref, attempt(ref, i).execution_sid)

    assert await world.cache.settle(CE, refs[0].claim_id, disposition(CE, 1)) is True

    assert await world.calls.count(CE) == 1
    assert await world.calls.answered(CE) == 1
    assert await world.calls.attempt(refs[0]) is None
    assert await world.calls.in_flight(CE) == [attempt(refs[1], 2)]
    assert await world.assembly.add(refs[0], []) is None


async def test_settle_with_its_attempt_lets_the_contacts_indexes_go_never_anothers(
    world: World,
) -> None:
    await world.push_records(CE, [record(1), record(2)])
    first, second = (ContactRef(CE, c.claim_id) for c in await world.cache.claim(CE, "a", 2, NOW))
    launched = attempt(first, 1)
    assert await world.calls.reserve(first, launched.to, launched.from_, NOW)
    await world.calls.record_launch(launched)

    assert await world.cache.settle(CE, first.claim_id, disposition(CE, 1), release=launched)

    pair, sid = (launched.to, launched.from_), launched.execution_sid
    assert await world.calls.holders([pair], [sid]) == ([None], [None])
    # The number is dialed again for another contact, then a late settle of the first comes.
    assert await world.calls.reserve(second, launched.to, launched.from_, NOW)
    again = attempt(second, 2, execution_sid=sid)  # (an index it would hold)
    await world.calls.record_launch(again)
    assert not await world.cache.settle(CE, first.claim_id, disposition(CE, 1), release=launched)
    assert await world.calls.holders([pair], [sid]) == ([second], [second])
    assert await world.dispositions() == [disposition(CE, 1)]


async def test_a_settle_that_finds_its_claim_gone_still_lets_its_indexes_go(world: World) -> None:
    await world.push_records(CE, [record(1)])
    [claim] = await world.cache.claim(CE, "owner-a", 1, NOW)
    launched = attempt(ContactRef(CE, claim.claim_id), 1)
    assert await world.calls.reserve(launched.ref, launched.to, launched.from_, NOW)
    await world.calls.record_launch(launched)
    # Settled by an instance that died before it let the indexes go.
    assert await world.cache.settle(CE, claim.claim_id, disposition(CE, 1)) is True

    assert not await world.cache.settle(CE, claim.claim_id, disposition(CE, 1), release=launched)

    assert await world.calls.holders([(launched.to, launched.from_)], [launched.execution_sid]) == (
        [None],
        [None],
    )
    assert await world.dispositions() == [disposition(CE, 1)]


async def test_settle_keeps_every_disposition_field(world: World) -> None:
    await world.push_records(CE, [record(1)])
    [claim] = await world.cache.claim(CE, "owner-a", 1, NOW)
    result = disposition(CE, 1, DispositionStatus.INVALID_RECORD)

    await world.cache.settle(CE, claim.claim_id, result)

    [published] = await world.dispositions()
    assert published.to_fields() == result.to_fields()


async def test_recover_returns_a_dead_owners_unlaunched_claims(world: World) -> None:
    await world.push_records(CE, [record(i) for i in range(6)])
    dead = await world.cache.claim(CE, "dead", 4, NOW)
    alive = await world.cache.claim(CE, "alive", 1, NOW)
    await world.calls.reserve(ContactRef(CE, dead[1].claim_id), "+14155550001", "+1500", NOW)
    await world.calls.record_launch(attempt(ContactRef(CE, dead[2].claim_id), 2))

    assert await world.cache.recover(CE, "dead") == 2

    assert await world.cache_entries(CE) == [dead[0].raw, dead[3].raw, json.dumps(record(5))]
    assert await world.cache.claimed(CE) == [dead[1], alive[0]]
    assert await world.cache.recover(CE, "dead") == 0
