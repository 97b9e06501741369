"""The reads the runners of one instance share (ADR 0010), composed by the app around the core
(ADR 0020): the pacing stats read once per poll interval, the stored states swept together."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from queue_adapters.redis import RedisPacingStatsSource, RedisQueueStateStore
from queue_app.container import Container
from queue_app.shared_reads import SharedPacingStats, StateSweep
from queue_core.domain.errors import StoreUnavailable
from queue_core.domain.stats import QueueStats
from queue_core.services.runner import QueueRunner
from tests.fakes import FakeClock, FakePacingStatsSource, InMemoryBackend
from tests.unit.app.test_container import settings

QUEUE = "WQ" + "0" * 32


class CountedStats(FakePacingStatsSource):
    """The fake source, counting its reads; it fails while `failing` is set."""

    def __init__(self, backend: InMemoryBackend) -> None:
        super().__init__(backend)
        self.reads = 0
        self.failing = False

    async def read(self, task_queue_sid: str) -> QueueStats | None:
        self.reads += 1
        await asyncio.sleep(0)  # another runner may ask meanwhile
        if self.failing:
            raise StoreUnavailable("down")
        return await super().read(task_queue_sid)


def stats_source() -> tuple[CountedStats, FakeClock, SharedPacingStats]:
    backend = InMemoryBackend()
    backend.stats[QUEUE] = json.dumps({"total_available_workers": 3})
    source = CountedStats(backend)
    clock = FakeClock()
    return source, clock, SharedPacingStats(source, clock, max_age_s=0.5)


async def test_the_stats_of_a_task_queue_are_read_once_per_max_age_for_every_runner() -> None:
    source, clock, shared = stats_source()
    first = await asyncio.gather(*(shared.read(QUEUE) for _ in range(10)))
    assert source.reads == 1  # runners asking at once wait for the one read
    assert {stats.available_workers if stats else None for stats in first} == {3}
    clock.advance(0.4)
    await shared.read(QUEUE)
    assert source.reads == 1
    clock.advance(0.1)
    await shared.read(QUEUE)
    assert source.reads == 2


async def test_a_failed_stats_read_is_not_kept() -> None:
    source, _, shared = stats_source()
    source.failing = True
    with pytest.raises(StoreUnavailable):
        await shared.read(QUEUE)
    source.failing = False
    stats = await shared.read(QUEUE)
    assert stats is not None
    assert stats.available_workers == 3
    assert source.reads == 2


class FailingStates:
    """A state store whose batch read is down."""

    def __init__(self) -> None:
        self.asked = 0

    async def load_states(self, ids: object) -> list[object]:
        self.asked += 1
        raise StoreUnavailable("down")


class Wanting:
    """A runner whose state always falls due (what `StateSweep` asks of a `QueueRunner`)."""

    def wants_state(self, now: float, ahead_s: float) -> bool:
        return True

    def state_version(self) -> int:
        return 0


async def test_a_failing_sweep_goes_on_and_is_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock()
    states = FailingStates()
    sweep = StateSweep(states, clock, every_s=0.2)  # type: ignore[arg-type]
    runners: dict[str, QueueRunner] = {"ce-1": Wanting()}  # type: ignore[dict-item]
    stop = asyncio.Event()
    with caplog.at_level(logging.WARNING, logger="queue_core.services.supervision"):
        loop = asyncio.create_task(sweep.run(runners, stop))
        await clock.run_until(asyncio.ensure_future(clock.sleep(1.0)), limit_s=2)
        stop.set()
        await clock.run_until(loop, limit_s=1)
    assert states.asked >= 5  # every 0.2 s, failing or not
    assert [r.message for r in caplog.records] == [
        "state sweep: StoreUnavailable: down; again within 0.2s"
    ]


async def test_a_sweep_of_no_runner_asks_nothing() -> None:
    states = FailingStates()
    sweep = StateSweep(states, FakeClock())  # type: ignore[arg-type]
    assert await sweep.sweep({}) == 0
    assert states.asked == 0


def test_the_app_composes_the_shared_reads_around_the_redis_ports() -> None:
    container = Container(settings=settings(QUEUE_POLL_INTERVAL_S=0.7))
    stats = container.stats
    assert stats.cls is SharedPacingStats
    assert stats.args[0].cls is RedisPacingStatsSource
    assert stats.args[1] is container.clock
    assert stats.args[2]() == 0.7  # read once per poll interval
    sweep = container.state_sweep
    assert sweep.cls is StateSweep
    assert sweep.args[0] is container.states
    assert container.states.cls is RedisQueueStateStore
