"""The `LaunchLimiter` contract: one sliding window shared by every instance.

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
from tests.contract.conftest import World
from tests.fakes.stores import FakeLaunchLimiter

RATES = (2.0, 10.0, 20.0)
BURST_S = 3.2  # whole windows of 1 s (every integer rate has one) and a margin
ACQUIRERS = 2  # per instance
INSTANCES = 3  # clients sharing one budget
# Redis rounds the window up to a whole microsecond; the fakes compute it in floats.
ROUNDING_S = 1e-5

Limiters = Callable[[str], Awaitable[list[Any]]]


@dataclass(frozen=True, slots=True)
class Grant:
    """A grant happened on the store's clock somewhere between `asked` and `answered`."""

    asked: float
    answered: float


def window_of(rate: float) -> tuple[int, float]:
    capacity = max(1, math.floor(rate))
    return capacity, capacity / rate


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
    """Acquirers on every limiter ask as fast as they are let, for `BURST_S`."""
    _, window = window_of(rate)
    grants: list[Grant] = []
    end = world.store_time() + BURST_S

    async def acquirer(limiter: Any) -> None:
        while world.store_time() < end:
            asked = world.store_time()
            wait = await limiter.acquire(rate)
            if wait == 0:
                grants.append(Grant(asked, world.store_time()))
            else:
                assert 0 < wait <= window + ROUNDING_S
                await sleep(world, min(wait, max(0.0, end - world.store_time())))

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
        # The limiter's promise is the ceiling; how close callers get to it depends on how
        # promptly they wake, which a loaded machine delays: no starvation is all we ask.
        assert 0.8 * rate <= long_run_rate(grants, capacity) <= 1.05 * rate, rate


async def test_a_refusal_takes_nothing_and_waits_for_the_oldest_grant(world: World) -> None:
    rate = 0.5  # one launch per 2 s window
    assert await world.limiter.acquire(rate) == 0.0

    first_wait = await world.limiter.acquire(rate)
    await world.elapse(0.1)
    second_wait = await world.limiter.acquire(rate)

    assert 0 < second_wait < first_wait <= 2.0
    assert first_wait - second_wait >= 0.1 - 0.005  # counted on the store's clock


async def test_the_window_frees_up_once_the_oldest_grant_leaves_it(world: World) -> None:
    rate = 4.0  # four launches per 1 s window, at least 125 ms apart
    for _ in range(4):
        assert await world.limiter.acquire(rate) == 0.0
        await world.elapse(0.13)
    wait = await world.limiter.acquire(rate)
    assert 0 < wait <= 1.0

    await world.elapse(wait + 0.01)

    assert await world.limiter.acquire(rate) == 0.0


async def test_grants_never_come_in_a_burst(world: World) -> None:
    rate = 10.0  # at least 50 ms between two grants
    assert await world.limiter.acquire(rate) == 0.0

    wait = await world.limiter.acquire(rate)

    assert 0.0 < wait <= 0.05
    await world.elapse(wait + 0.005)
    assert await world.limiter.acquire(rate) == 0.0


@pytest.mark.parametrize("rate", [0.0, -3.0, float("nan")])
async def test_a_rate_of_zero_never_grants(world: World, rate: float) -> None:
    for _ in range(3):
        assert await world.limiter.acquire(rate) > 0

    # and took nothing from the budget
    assert await world.limiter.acquire(1.0) == 0.0


async def test_an_infinite_rate_is_refused(world: World) -> None:
    with pytest.raises(ValueError, match="finite"):
        await world.limiter.acquire(float("inf"))
