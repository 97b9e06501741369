"""How one execution paces, as `status` shows it: launch rate, budget, dial ratio, reason.

The runner counts its launches here (`launched`) and hands over each pacing decision's reason
(`report`); the report is stored when it changed, at most every `every_s`, and its launch rate
is over the last `window_s`.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import replace

from queue_core.ports import Clock, PacingReport, QueueStateStore

__all__ = ["PacingReports"]


class PacingReports:
    """Stores one execution's `PacingReport` (module docstring)."""

    def __init__(
        self,
        execution_id: str,
        states: QueueStateStore,
        clock: Clock,
        *,
        window_s: float,
        every_s: float,
    ) -> None:
        self._id = execution_id
        self._states = states
        self._clock = clock
        self._window_s = window_s
        self._every_s = every_s
        self._launches: deque[float] = deque()  # when the recent ones went, on `monotonic()`
        self._reported_at = -math.inf
        self._reported: PacingReport | None = None
        self._reason = ""  # the last pacing decision's

    def launched(self, now: float) -> None:
        """Count a launch taken from the budget at `now` (`clock.monotonic()`)."""
        self._launches.append(now)

    async def report(self, budget: float, dial_ratio: float, reason: str | None = None) -> None:
        """Store how this execution paces now when that changed, at most every `every_s` (its
        `at` says since when). `reason`: the pacing decision's, else the last one's (no
        decision was made). Raises `StoreUnavailable`."""
        if reason is not None:
            self._reason = reason
        now = self._clock.monotonic()
        while self._launches and now - self._launches[0] > self._window_s:
            self._launches.popleft()
        if now - self._reported_at < self._every_s:
            return
        report = PacingReport(
            launch_rate=len(self._launches) / self._window_s,
            launch_budget=budget,
            dial_ratio=dial_ratio,
            reason=self._reason,
            at=self._clock.now(),
        )
        if self._reported is not None and replace(self._reported, at=report.at) == report:
            return
        await self._states.save_pacing(self._id, report)
        self._reported_at = now
        self._reported = report
