"""What the runners of one instance read together instead of each on its own (ADR 0010).

stored states    one request per sweep for every runner whose state falls due before the
                 next sweep (`StateSweep`, a loop of its own beside the supervisor's); a
                 runner reads its own only when it must and the sweep has not (a command
                 here, a sweep that failed or fell behind)
pacing stats     one read per task queue per `max_age_s`, shared by its executions
                 (`SharedPacingStats`, a `PacingStatsSource` around the store's)

Both only make the service cheaper: without them every runner reads its own state and
stats, as often, with the same guarantees. So they are composed here, around the core's
supervisor and ports, rather than in it (ADR 0020).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping

from queue_core.domain.stats import QueueStats
from queue_core.ports import Clock, PacingStatsSource, QueueStateStore
from queue_core.services.runner import STATE_READ_S, QueueRunner
from queue_core.services.supervision import Supervision

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
        for first in range(0, len(due), STATES_PER_REQUEST):
            part = due[first : first + STATES_PER_REQUEST]
            states = await self._states.load_states([execution_id for execution_id, _, _ in part])
            for (_, runner, version), state in zip(part, states, strict=True):
                runner.state_read(state, now, version)
        return len(due)

    async def run(
        self,
        runners: Mapping[str, QueueRunner],
        stop: asyncio.Event,
        restarted: Callable[[str], None] | None = None,
    ) -> None:
        """Until `stop` is set: every `every_s`, sweep the runners `runners` holds then (the
        supervisor's, as they come and go), drift-corrected; a late sweep is not made up for.
        A sweep that fails is logged once until one works again, and tried again within a
        period: meanwhile each runner reads its own state when it falls due. A crash is
        counted as `restarted("state sweep")` (`queue_core.services.supervision`)."""
        supervision = Supervision(self._clock, stop, restarted or (lambda loop: None))
        await supervision.run("state sweep", lambda: self.sweep(runners), every_s=self.every_s)


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
