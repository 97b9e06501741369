"""The `ExecutionLeases` contract, and the lease fence on `ActiveCallRegistry.reserve`."""

from __future__ import annotations

import asyncio

import pytest

from queue_core.domain.contacts import ContactRef
from queue_core.domain.errors import LeaseLost
from tests.contract.conftest import FROM, NOW, World, record

CE = "ce-lease"
TO = "+14155550001"
# Real Redis keeps real time: expiries are short, and the waits around them leave a margin
# far above a loaded machine's scheduling delays.
SHORT_TTL_S = 0.1
PAST_SHORT_TTL_S = 0.2


async def test_one_owner_at_a_time_and_extending_keeps_the_token(world: World) -> None:
    token = await world.leases.acquire(CE, "a", 30)

    assert token is not None
    assert await world.leases.acquire(CE, "b", 30) is None
    assert await world.leases.acquire(CE, "a", 30) == token
    assert await world.leases.holder(CE) == "a"
    assert await world.leases.holder("ce-other") is None


async def test_tokens_strictly_increase_across_grants(world: World) -> None:
    tokens = []
    for owner in ["a", "b", "a", "c"]:
        token = await world.leases.acquire(CE, owner, 30)
        assert token is not None
        tokens.append(token)
        await world.leases.release(CE, owner, token)

    assert tokens == sorted(set(tokens))
    assert await world.leases.holder(CE) is None


async def test_executions_have_their_own_leases(world: World) -> None:
    assert await world.leases.acquire("ce-1", "a", 30) is not None
    assert await world.leases.acquire("ce-2", "b", 30) is not None

    assert (await world.leases.holder("ce-1"), await world.leases.holder("ce-2")) == ("a", "b")


async def test_release_and_renew_need_the_current_token(world: World) -> None:
    token = await world.leases.acquire(CE, "a", 30)
    assert token is not None

    await world.leases.release(CE, "a", token + 1)
    await world.leases.release(CE, "b", token)
    assert await world.leases.holder(CE) == "a"
    assert await world.leases.renew(CE, "a", token + 1, 30) is False
    assert await world.leases.renew(CE, "b", token, 30) is False
    assert await world.leases.renew(CE, "a", token, 30) is True

    await world.leases.release(CE, "a", token)
    assert await world.leases.holder(CE) is None
    assert await world.leases.renew(CE, "a", token, 30) is False


async def test_renew_extends_the_lease(world: World) -> None:
    token = await world.leases.acquire(CE, "a", 0.5)
    assert token is not None

    await world.elapse(0.3)
    assert await world.leases.renew(CE, "a", token, 0.5) is True
    await world.elapse(0.3)  # past the first expiry, before the renewed one

    assert await world.leases.holder(CE) == "a"


async def test_renew_many_extends_each_lease_still_held_and_tells_which_were_lost(
    world: World,
) -> None:
    ids = [f"ce-many-{n}" for n in range(40)]
    tokens = [await world.leases.acquire(e, "a", 0.5) for e in ids]
    assert None not in tokens
    lost = await world.leases.acquire("ce-lost", "a", 30)
    assert lost is not None
    await world.leases.release("ce-lost", "a", lost)
    await world.elapse(0.3)

    kept = await world.leases.renew_many(
        [*zip(ids, [t for t in tokens if t is not None], strict=True), ("ce-lost", lost)],
        "a",
        0.5,
    )
    await world.elapse(0.3)  # past the first expiry, before the renewed one

    assert kept == [True] * len(ids) + [False]
    assert [await world.leases.holder(e) for e in ids] == ["a"] * len(ids)
    assert await world.leases.holder("ce-lost") is None
    assert await world.leases.renew_many([], "a", 0.5) == []


async def test_an_expired_lease_is_taken_over_with_a_larger_token(world: World) -> None:
    old = await world.leases.acquire(CE, "a", SHORT_TTL_S)
    assert old is not None

    await world.elapse(PAST_SHORT_TTL_S)
    assert await world.leases.holder(CE) is None
    new = await world.leases.acquire(CE, "b", 30)

    assert new is not None
    assert new > old
    assert await world.leases.renew(CE, "a", old, 30) is False
    await world.leases.release(CE, "a", old)
    assert await world.leases.holder(CE) == "b"


async def test_an_owner_whose_lease_expired_gets_a_new_token(world: World) -> None:
    old = await world.leases.acquire(CE, "a", SHORT_TTL_S)
    assert old is not None

    await world.elapse(PAST_SHORT_TTL_S)
    new = await world.leases.acquire(CE, "a", 30)

    assert new is not None
    assert new > old
    assert await world.leases.renew(CE, "a", old, 30) is False


async def test_concurrent_acquirers_get_one_lease(world: World) -> None:
    owners = [f"instance-{n}" for n in range(8)]

    tokens = await asyncio.gather(*(world.leases.acquire(CE, o, 30) for o in owners))

    winners = [o for o, t in zip(owners, tokens, strict=True) if t is not None]
    assert len(winners) == 1
    assert await world.leases.holder(CE) == winners[0]


@pytest.mark.parametrize("ttl_s", [0.0, -1.0, float("nan"), float("inf")])
async def test_a_ttl_that_is_not_a_positive_duration_is_refused(world: World, ttl_s: float) -> None:
    with pytest.raises(ValueError, match="ttl_s"):
        await world.leases.acquire(CE, "a", ttl_s)


async def claim_ref(world: World) -> ContactRef:
    await world.push_records(CE, [record(1)])
    [claim] = await world.cache.claim(CE, "a", 1, NOW)
    return ContactRef(CE, claim.claim_id)


async def test_reserve_with_the_current_token_reserves(world: World) -> None:
    ref = await claim_ref(world)
    token = await world.leases.acquire(CE, "a", 30)
    assert token is not None

    assert await world.calls.reserve(ref, TO, FROM, NOW, lease_token=token) is True

    assert await world.calls.by_pair(TO, FROM) == ref
    assert await world.calls.launching(CE) == [(ref, NOW)]


async def test_reserve_with_a_stale_token_raises_and_leaves_the_pair_free(world: World) -> None:
    ref = await claim_ref(world)
    old = await world.leases.acquire(CE, "a", SHORT_TTL_S)
    assert old is not None
    await world.elapse(PAST_SHORT_TTL_S)
    assert await world.leases.acquire(CE, "b", 30) is not None

    with pytest.raises(LeaseLost):
        await world.calls.reserve(ref, TO, FROM, NOW, lease_token=old)

    assert await world.calls.by_pair(TO, FROM) is None
    assert await world.calls.launching(CE) == []


async def test_reserve_after_the_lease_expired_or_was_released_raises(world: World) -> None:
    ref = await claim_ref(world)
    expired = await world.leases.acquire(CE, "a", SHORT_TTL_S)
    assert expired is not None
    await world.elapse(PAST_SHORT_TTL_S)

    with pytest.raises(LeaseLost):
        await world.calls.reserve(ref, TO, FROM, NOW, lease_token=expired)

    released = await world.leases.acquire(CE, "a", 30)
    assert released is not None
    await world.leases.release(CE, "a", released)
    with pytest.raises(LeaseLost):
        await world.calls.reserve(ref, TO, FROM, NOW, lease_token=released)
    assert await world.calls.by_pair(TO, FROM) is None
    assert await world.calls.launching(CE) == []


async def test_a_lost_lease_never_lets_go_of_another_contacts_pair(world: World) -> None:
    await world.push_records(CE, [record(1), record(2)])
    first, second = (ContactRef(CE, c.claim_id) for c in await world.cache.claim(CE, "a", 2, NOW))
    token = await world.leases.acquire(CE, "a", 30)
    assert token is not None
    assert await world.calls.reserve(first, TO, FROM, NOW, lease_token=token) is True

    # The pair is held by a contact in flight: no reservation, so nothing to let go.
    assert await world.calls.reserve(second, TO, FROM, NOW, lease_token=token + 1) is False

    assert await world.calls.by_pair(TO, FROM) == first


async def test_a_lost_lease_keeps_the_pair_of_a_contact_whose_launch_may_have_happened(
    world: World,
) -> None:
    ref = await claim_ref(world)
    token = await world.leases.acquire(CE, "a", SHORT_TTL_S)
    assert token is not None
    assert await world.calls.reserve(ref, TO, FROM, NOW, lease_token=token) is True
    await world.elapse(PAST_SHORT_TTL_S)
    assert await world.leases.acquire(CE, "b", 30) is not None

    # Before sending a launch again, the old owner finds its lease gone ...
    with pytest.raises(LeaseLost):
        await world.calls.reserve(ref, TO, FROM, NOW + 1, lease_token=token)

    # ... but the first launch may have reached Twilio: its webhooks must still find it, and
    # the new owner reconciles it from its reservation time.
    assert await world.calls.by_pair(TO, FROM) == ref
    assert await world.calls.launching(CE) == [(ref, NOW)]
