"""Launch bookkeeping: when executions were created and calls placed, and the rate checks.

Times are monotonic seconds. A window of W seconds holds the times t with now - t < W, so
"at most N per W" over the log means: no N + 1 logged times lie within less than W of each
other, which is exactly what `max_in_window` measures afterwards.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

__all__ = ["LaunchLog", "max_in_window"]


def max_in_window(times: Sequence[float], window: float = 1.0) -> int:
    """The largest number of `times` (sorted ascending) within less than `window` of each other."""
    best = 0
    start = 0
    for end, t in enumerate(times):
        while t - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


class LaunchLog:
    """A log of monotonic times, kept in time order.

    Creates are timed when they arrived (`twilio_emulator.arrivals`), and two that arrived
    close together on separate connections may be handled in the other order: a time earlier
    than the last one logged goes in its place. `count_within` counts every logged time after
    `now - window`, later ones included, so admitting while it is below a limit keeps every
    window at or below that limit whatever the order of the records.
    """

    def __init__(self) -> None:
        self._times: list[float] = []

    def record(self, now: float) -> None:
        """Log one event at `now` (in its place, if an earlier time was logged after it)."""
        bisect.insort(self._times, now)

    def count_within(self, now: float, window: float) -> int:
        """How many logged times t satisfy now - t < window."""
        return len(self._times) - bisect.bisect_right(self._times, now - window)

    def next_slot(self, now: float, limit: int, window: float) -> float:
        """The earliest time >= now at which one more event keeps `limit` per `window`."""
        if len(self._times) < limit:
            return now
        return max(now, self._times[-limit] + window)

    def max_in_window(self, window: float = 1.0) -> int:
        return max_in_window(self._times, window)

    @property
    def times(self) -> list[float]:
        return list(self._times)

    def __len__(self) -> int:
        return len(self._times)
