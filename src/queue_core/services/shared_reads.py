"""What the runners of one instance read together instead of each on its own (ADR 0010).

stored states    one request per sweep for every runner whose state falls due before the
                 next sweep (`StateSweep`); a runner reads its own only when it must and
                 the sweep has not (a command here, a sweep that failed or fell behind)
pacing stats     one read per task queue per `max_age_s`, shared by its executions
                 (`SharedPacingStats`)
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from queue_core.domain.stats import QueueStats
from queue_core.ports import Clock, PacingStatsSource, QueueStateStore
from queue_core.services.batches import batched
from queue_core.services.runner import STATE_READ_S, QueueRunner

__all__ = ["STATES_PER_REQUEST", "STATE_SWEEP_S", "SharedPacingStats", "StateSweep"]

# Shorter than the read interval near a launch: a launch is never further than this from the
# last sweep before it.
STATE_SWEEP_S = 0.8 * STATE_READ_S
# A sweep reads the states that fall due before the next one, and those due a little after
# it, so that a runner waking when its own read falls due finds it made (a sweep that comes
# a little late, or rounding, would otherwise leave it to the runner).
_AHEAD = 1.5
# Larger requests would hold the event loop for milliseconds (writing and parsing them).
STATES_PER_REQUEST = 200


class StateSweep:
    """Reads, in one request, the stored state of every runner that needs it before the
    next sweep, and hands it over (`QueueRunner.state_read`)."""

    def __init__(self, states: QueueStateStore, clock: Clock, every_s: float = STATE_SWEEP_S):
        self._states = states
        self._clock = clock
        self.every_s = every_s

    async def sweep(self, runners: Mapping[str, QueueRunner]) -> int:
        """Read the states due; how many were read. Raises `StoreUnavailable` (the runners
        then read their own as each falls due)."""
        now = self._clock.monotonic()
        ahead = _AHEAD * self.every_s
        due = [
            (execution_id, runner, runner.state_version())
            for execution_id, runner in runners.items()
            if runner.wants_state(now, ahead)
        ]
        for part in batched(due, STATES_PER_REQUEST):
            states = await self._states.load_states([execution_id for execution_id, _, _ in part])
            for (_, runner, version), state in zip(part, states, strict=True):
                runner.state_read(state, now, version)
        return len(due)


class SharedPacingStats:
    """The `PacingStatsSource` the runners of one instance share: the stats of a task queue
    are read at most once per `max_age_s` (its executions decide that often anyway), and
    runners asking at once wait for the one read. A failed read is not kept."""

    def __init__(self, source: PacingStatsSource, clock: Clock, max_age_s: float) -> None:
        self._source = source
        self._clock = clock
        self._max_age_s = max_age_s
        self._read: dict[str, tuple[float, QueueStats | None]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def read(self, task_queue_sid: str) -> QueueStats | None:
        lock = self._locks.setdefault(task_queue_sid, asyncio.Lock())
        async with lock:
            now = self._clock.monotonic()
            kept = self._read.get(task_queue_sid)
            if kept is not None and now - kept[0] < self._max_age_s:
                return kept[1]
            stats = await self._source.read(task_queue_sid)
            self._read[task_queue_sid] = (now, stats)
            return stats
