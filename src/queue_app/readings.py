"""The readings task: what `/metrics` shows of Redis, read every few seconds, and the end of
an execution's counter series.

A scrape makes no request (its gauges are values in memory): this task reads, once per
`READINGS_S`, the records left in the cache of each execution run here, the age of their task
queues' stats, the length of the control dead letter stream, the age of the oldest
disposition waiting in an outbox, and the stored state of every execution; it hands them to
`QueueMetrics.readings`. An execution that some counter names and that no longer runs
anywhere (its stored state is not live) keeps its series `KEEP_ENDED_S` more, so that a
scrape sees its last counts, and then loses them (`QueueMetrics.forget`).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Protocol

from queue_adapters.http.metrics import QueueMetrics, ServiceReadings
from queue_app.shared_reads import STATES_PER_REQUEST
from queue_core.domain.state import LIVE_STATES, QueueState
from queue_core.ports import Clock, PacingStatsSource, QueueStateStore

__all__ = ["KEEP_ENDED_S", "READINGS_S", "MetricReadings"]

READINGS_S = 5.0
# Longer than two scrape intervals of 15 s, and a little more.
KEEP_ENDED_S = 60.0


class CacheReadings(Protocol):
    async def remaining(self, campaign_execution_id: str) -> int:
        """Records left in the execution's cache."""
        ...

    async def oldest_unpublished(self, campaign_execution_ids: Sequence[str]) -> float | None:
        """Unix seconds of the oldest disposition settled but not published; None: none."""
        ...


class DeadLetters(Protocol):
    async def dead_letter_count(self) -> int:
        """Entries of the control dead letter stream."""
        ...


class MetricReadings:
    """Reads what the gauges of `/metrics` show of Redis (module docstring)."""

    def __init__(
        self,
        metrics: QueueMetrics,
        cache: CacheReadings,
        stats: PacingStatsSource,
        states: QueueStateStore,
        dead_letters: DeadLetters,
        clock: Clock,
        keep_ended_s: float = KEEP_ENDED_S,
    ) -> None:
        self._metrics = metrics
        self._cache = cache
        self._stats = stats
        self._states = states
        self._dead_letters = dead_letters
        self._clock = clock
        self._keep_ended_s = keep_ended_s
        self._ended: dict[str, float] = {}  # execution -> when it was first seen ended

    async def take(self, running: Mapping[str, str]) -> None:
        """One reading; `running`: each execution run here, and its task queue SID. Raises
        `StoreUnavailable` (the gauges keep the last reading)."""
        now = self._clock.now()
        remaining = {e: await self._cache.remaining(e) for e in running}
        ages = await self._stats_ages(set(running.values()), now)
        stored = await self._stored()
        oldest = await self._cache.oldest_unpublished(list(stored))
        self._metrics.readings = ServiceReadings(
            cache_remaining=remaining,
            stats_age_s=ages,
            dead_letters=await self._dead_letters.dead_letter_count(),
            outbox_lag_s=0.0 if oldest is None else max(0.0, now - oldest),
            stored=Counter(s.value for s in stored.values() if s is not QueueState.IDLE),
        )
        self._forget_ended(stored, running, now)

    async def _stats_ages(self, task_queues: set[str], now: float) -> dict[str, float]:
        ages: dict[str, float] = {}
        for task_queue in sorted(task_queues):
            stats = await self._stats.read(task_queue)
            if stats is None:
                ages[task_queue] = math.inf
            elif stats.timestamp is not None:
                ages[task_queue] = max(0.0, now - stats.timestamp)
        return ages

    async def _stored(self) -> dict[str, QueueState]:
        """The stored state of every execution, a few hundred per request."""
        executions = await self._states.executions()
        stored: dict[str, QueueState] = {}
        for first in range(0, len(executions), STATES_PER_REQUEST):
            part = executions[first : first + STATES_PER_REQUEST]
            stored.update(zip(part, await self._states.load_states(part), strict=True))
        return stored

    def _forget_ended(
        self, stored: Mapping[str, QueueState], running: Mapping[str, str], now: float
    ) -> None:
        for execution in self._metrics.counted_executions():
            state = stored.get(execution, QueueState.IDLE)
            if execution in running or state in LIVE_STATES:
                self._ended.pop(execution, None)
                continue
            ended = self._ended.setdefault(execution, now)
            if now - ended >= self._keep_ended_s:
                self._metrics.forget(execution)
                del self._ended[execution]
