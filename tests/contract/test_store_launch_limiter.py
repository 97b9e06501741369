"""The `LaunchLimiter` contract: one schedule of launch slots shared by every instance, kept to
the terms the launch schedule gives (`SlotTerms.of(rate)`, the default guard).

On Redis the window runs on the server's clock, so these tests run in real time (about 3 s for
the burst test, its three rates at once); on the fakes the same code runs on virtual time.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from redis.asyncio import Redis, RedisCluster

from queue_adapters.redis import RedisKeys, RedisLaunchLimiter
from queue_adapters.redis.launch_limiter import DEFAULT_HORIZON_S
from queue_core.domain.launch_schedule import DEFAULT_GUARD_S, SlotTerms
from queue_core.ports import LaunchSlot
from tests.contract.conftest import World
from tests.fakes.stores import FakeLaunchLimiter

RATES = (2.0, 10.0, 20.0)
BURST_S = 3.2  # whole windows of 1 s (every integer rate has one) and a margin
ACQUIRERS = 2  # per instance
INSTANCES = 3  # clients sharing one budget
# Redis rounds the window up to a whole microsecond; the fakes compute it in floats.
ROUNDING_S = 1e-5
GUARD_S = DEFAULT_GUARD_S  # the launch schedule's default
HORIZON_S = DEFAULT_HORIZON_S
# Two calls in a row on a real server are this close on its clock, at most (a loaded machine).
CLOSE_S = 0.02

Limiters = Callable[[str], Awaitable[list[Any]]]


@dataclass(frozen=True, slots=True)
class Grant:
    """A grant happened on the store's clock somewhere between `asked` and `answered`."""

    asked: float
    answered: float


def window_of(rate: float) -> tuple[int, float]:
    """(capacity, window): no more slots than capacity lie in any window of that length."""
    capacity = max(1, math.floor(rate))
    return capacity, capacity / rate + GUARD_S


@pytest.fixture
async def limiters(world: World, request: pytest.FixtureRequest) -> AsyncIterator[Limiters]:
    """`INSTANCES` limiters of one named budget, each on a client of its own (one shared fake
    for the fake world)."""
    made: list[Redis | RedisCluster] = []

    async def make(budget: str) -> list[Any]:
        if world.clock is not None:
            return [FakeLaunchLimiter(world.clock)]
        keys = RedisKeys(prefix=f"{budget}:")
        out: list[Any] = []
        for _ in range(INSTANCES):
            if world.kind == "redis":
                url = request.getfixturevalue("redis_server").url
                client: Redis | RedisCluster = Redis.from_url(url, decode_responses=True)
            else:
                url = request.getfixturevalue("redis_cluster").url
                client = RedisCluster.from_url(url, decode_responses=True)
            made.append(client)
            await client.ping()  # connected (and the cluster's slots known) before the burst
            out.append(RedisLaunchLimiter(client, keys=keys))
        return out

    yield make
    for client in made:
        await client.aclose()


async def drive(world: World, work: Awaitable[Any], limit_s: float) -> None:
    """Run `work` to its end: in real time, or on the fakes' virtual clock."""
    if world.clock is None:
        await asyncio.wait_for(work, limit_s)
        return
    task = asyncio.ensure_future(work)
    await world.clock.run_until(task, limit_s)
    await task


async def sleep(world: World, seconds: float) -> None:
    await (world.clock.sleep(seconds) if world.clock is not None else asyncio.sleep(seconds))


async def burst(world: World, limiters: list[Any], rate: float) -> list[Grant]:
    """Acquirers on every limiter reserve slots as fast as they are let, for `BURST_S`, and
    wait for each slot they get (as the runner does before it launches)."""
    grants: list[Grant] = []
    end = world.store_time() + BURST_S

    async def acquirer(limiter: Any) -> None:
        while world.store_time() < end:
            asked = world.store_time()
            slot = await limiter.acquire(SlotTerms.of(rate))
            answered = world.store_time()
            assert 0 <= slot.wait_s <= HORIZON_S + ROUNDING_S
            if slot.reserved:
                # The slot is `wait_s` after the script read the store's clock, which it did
                # somewhere between the ask and the answer.
                grants.append(Grant(asked + slot.wait_s, answered + slot.wait_s))
            await sleep(world, min(slot.wait_s, max(0.0, end - world.store_time())))

    await asyncio.gather(*(acquirer(limiter) for limiter in limiters for _ in range(ACQUIRERS)))
    return grants


def crowded(grants: list[Grant], capacity: int, window: float) -> list[Grant]:
    """Capacity + 1 grants that surely happened within less than one window, if any.

    For each grant as the earliest, the `capacity` others that could be the closest after it
    are those asked no earlier with the earliest answers."""
    for first in grants:
        later = sorted(
            (g for g in grants if g is not first and g.asked >= first.asked),
            key=lambda g: g.answered,
        )[:capacity]
        if len(later) == capacity and later[-1].answered - first.asked < window - ROUNDING_S:
            return [first, *later]
    return []


def long_run_rate(grants: list[Grant], capacity: int) -> float:
    """Grants per second from the first to the first of the last whole window's grants."""
    times = sorted((g.asked + g.answered) / 2 for g in grants)
    whole = (len(times) - 1) // capacity * capacity
    return whole / (times[whole] - times[0])


async def test_a_burst_never_exceeds_the_window_and_keeps_the_rate(
    world: World, limiters: Limiters
) -> None:
    budgets = {rate: await limiters(f"budget-{rate:g}") for rate in RATES}
    results: dict[float, list[Grant]] = {}

    async def run(rate: float) -> None:
        results[rate] = await burst(world, budgets[rate], rate)

    await drive(world, asyncio.gather(*(run(rate) for rate in RATES)), limit_s=30)

    for rate, grants in results.items():
        capacity, window = window_of(rate)
        assert crowded(grants, capacity, window) == [], rate
        assert len(grants) >= 3 * capacity, rate
        # While someone waits, the schedule keeps its pace, less what the guard costs once per
        # window; when a loaded machine leaves every caller late, it starts again instead of
        # catching up in a burst, which costs some rate.
        assert 0.9 * rate <= long_run_rate(grants, capacity) <= 1.01 * rate, rate


async def test_slots_follow_one_schedule_a_spacing_apart(world: World) -> None:
    rate = 10.0  # one slot every 100 ms
    waits = [(await world.limiter.acquire(SlotTerms.of(rate))).wait_s for _ in range(3)]

    assert waits[0] == 0.0
    assert 0.1 - CLOSE_S < waits[1] <= 0.1 + ROUNDING_S
    assert 0.2 - CLOSE_S < waits[2] <= 0.2 + ROUNDING_S


async def test_a_caller_a_little_late_keeps_the_schedule(world: World) -> None:
    rate = 10.0
    assert (await world.limiter.acquire(SlotTerms.of(rate))).wait_s == 0.0
    await world.elapse(0.12)  # 20 ms late for the slot due at 100 ms: within half a spacing

    late = await world.limiter.acquire(SlotTerms.of(rate))
    following = await world.limiter.acquire(SlotTerms.of(rate))

    assert late.reserved
    assert late.wait_s == 0.0
    # due at 200 ms, 80 ms from now: the lateness is not passed on
    assert 0.08 - CLOSE_S < following.wait_s <= 0.08 + ROUNDING_S


async def test_at_high_rates_a_caller_up_to_20_ms_late_keeps_the_schedule(world: World) -> None:
    rate = 100.0  # half a spacing is 5 ms: the 20 ms floor is what applies
    assert (await world.limiter.acquire(SlotTerms.of(rate))).wait_s == 0.0
    await world.elapse(0.02)  # 10 ms late for the slot due at 10 ms

    late = await world.limiter.acquire(SlotTerms.of(rate))
    catching_up = await world.limiter.acquire(SlotTerms.of(rate))  # due at 20 ms: now

    assert late.wait_s == 0.0
    assert catching_up.wait_s == 0.0  # a new schedule would have put it 10 ms ahead


async def test_idle_time_never_turns_into_a_burst(world: World) -> None:
    rate = 10.0
    assert (await world.limiter.acquire(SlotTerms.of(rate))).wait_s == 0.0
    await world.elapse(1.0)

    first = await world.limiter.acquire(SlotTerms.of(rate))
    second = await world.limiter.acquire(SlotTerms.of(rate))

    assert first.wait_s == 0.0
    assert 0.1 - CLOSE_S < second.wait_s <= 0.1 + ROUNDING_S


async def test_no_window_holds_more_than_capacity_slots_guard_included(world: World) -> None:
    rate = 4.0  # four slots 250 ms apart; the fifth one whole window (1 s + guard) after the first
    waits = [(await world.limiter.acquire(SlotTerms.of(rate))).wait_s for _ in range(5)]

    assert 0.75 - CLOSE_S < waits[3] <= 0.75 + ROUNDING_S
    assert 1.0 + GUARD_S - CLOSE_S < waits[4] <= 1.0 + GUARD_S + ROUNDING_S


async def test_a_slot_beyond_the_horizon_is_not_reserved(world: World) -> None:
    rate = 0.25  # one slot every 4 s: the second lies beyond the 2 s horizon
    assert (await world.limiter.acquire(SlotTerms.of(rate))).wait_s == 0.0

    refused = await world.limiter.acquire(SlotTerms.of(rate))
    await world.elapse(0.1)
    again = await world.limiter.acquire(SlotTerms.of(rate))

    assert not refused.reserved
    assert not again.reserved
    assert 0 < again.wait_s < refused.wait_s <= 4.0 + GUARD_S - HORIZON_S + ROUNDING_S
    assert refused.wait_s - again.wait_s >= 0.1 - 0.005  # counted on the store's clock
    # Nothing was taken: once within the horizon, the slot is the one the schedule had.
    await world.elapse(again.wait_s + 0.01)
    slot = await world.limiter.acquire(SlotTerms.of(rate))
    assert slot.reserved
    assert HORIZON_S - CLOSE_S - 0.01 < slot.wait_s <= HORIZON_S


@pytest.mark.parametrize("rate", [0.0, -3.0, float("nan")])
async def test_a_rate_of_zero_never_reserves(world: World, rate: float) -> None:
    for _ in range(3):
        slot = await world.limiter.acquire(SlotTerms.of(rate))
        assert not slot.reserved
        assert slot.wait_s > 0

    # and took nothing from the budget
    assert await world.limiter.acquire(SlotTerms.of(1.0)) == LaunchSlot(0.0, reserved=True)


async def test_an_infinite_rate_is_refused(world: World) -> None:
    with pytest.raises(ValueError, match="finite"):
        await world.limiter.acquire(SlotTerms.of(float("inf")))
