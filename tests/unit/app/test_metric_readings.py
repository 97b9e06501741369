"""The readings task: what `/metrics` shows of Redis, and a finished execution's series gone."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence

from queue_adapters.http.metrics import QueueMetrics
from queue_app.readings import KEEP_ENDED_S, MetricReadings
from queue_core.domain.state import QueueState
from queue_core.ports import ExecutionStatus
from tests.fakes.clock import FakeClock
from tests.fakes.stores import (
    FakeContactCache,
    FakePacingStatsSource,
    FakeQueueStateStore,
    InMemoryBackend,
)


class _Cache(FakeContactCache):
    """The fake cache, with an outbox whose oldest entry was settled at `oldest`."""

    oldest: float | None = None

    async def oldest_unpublished(self, campaign_execution_ids: Sequence[str]) -> float | None:
        return self.oldest


class _DeadLetters:
    async def dead_letter_count(self) -> int:
        return 4


def _readings(backend: InMemoryBackend, clock: FakeClock) -> tuple[MetricReadings, QueueMetrics]:
    metrics = QueueMetrics()
    cache = _Cache(backend)
    cache.oldest = clock.now() - 7.0
    readings = MetricReadings(
        metrics,
        cache,
        FakePacingStatsSource(backend),
        FakeQueueStateStore(backend),
        _DeadLetters(),
        clock,
    )
    return readings, metrics


def _store(backend: InMemoryBackend, execution: str, state: QueueState) -> None:
    backend.states[execution] = ExecutionStatus(execution, state)


async def test_a_reading_gives_the_cache_the_stats_age_the_dead_letters_and_outbox_lag() -> None:
    backend, clock = InMemoryBackend(), FakeClock()
    backend.push_records("ce-1", [{"record_id": f"r-{n}"} for n in range(3)])
    stats = {"total_available_workers": 2, "timestamp": clock.now() - 30}
    backend.stats["WQ1"] = json.dumps(stats)
    _store(backend, "ce-1", QueueState.RUNNING)
    _store(backend, "ce-0", QueueState.COMPLETED)
    readings, metrics = _readings(backend, clock)

    await readings.take({"ce-1": "WQ1", "ce-9": "WQ-missing"})

    got = metrics.readings
    assert got.cache_remaining == {"ce-1": 3, "ce-9": 0}
    assert got.stats_age_s == {"WQ1": 30.0, "WQ-missing": math.inf}
    assert (got.dead_letters, got.outbox_lag_s) == (4, 7.0)
    assert dict(got.stored) == {"running": 1, "completed": 1}


async def test_a_finished_executions_label_sets_are_gone_after_the_keep_time() -> None:
    backend, clock = InMemoryBackend(), FakeClock()
    readings, metrics = _readings(backend, clock)
    for execution in ("ce-done", "ce-live"):
        metrics.count_launch(execution, "launched")
        metrics.count_disposition(execution, "completed")
    _store(backend, "ce-done", QueueState.RUNNING)
    _store(backend, "ce-live", QueueState.RUNNING)

    await readings.take({"ce-done": "WQ1", "ce-live": "WQ1"})
    _store(backend, "ce-done", QueueState.COMPLETED)  # its runner is gone too
    await readings.take({"ce-live": "WQ1"})
    clock.advance(KEEP_ENDED_S - 1)
    await readings.take({"ce-live": "WQ1"})
    kept = metrics.exposition()[0].decode()
    clock.advance(1)
    await readings.take({"ce-live": "WQ1"})
    text = metrics.exposition()[0].decode()

    assert 'dialer_queue_dispositions_total{execution="ce-done",status="completed"} 1.0' in kept
    assert 'execution="ce-done"' not in text
    assert 'dialer_queue_launches_total{execution="ce-live",outcome="launched"} 1.0' in text
    assert metrics.counted_executions() == ["ce-live"]


async def test_an_execution_run_elsewhere_keeps_its_series_while_it_is_live() -> None:
    backend, clock = InMemoryBackend(), FakeClock()
    readings, metrics = _readings(backend, clock)
    metrics.count_disposition("ce-other", "busy")  # its webhook landed here
    _store(backend, "ce-other", QueueState.PAUSED)

    await readings.take({})
    clock.advance(2 * KEEP_ENDED_S)
    await readings.take({})

    assert metrics.counted_executions() == ["ce-other"]
