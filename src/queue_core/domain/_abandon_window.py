"""The abandon share of one execution over a recent window, from the cumulative totals the
runner feeds the pacer (ADR 0023)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

__all__ = ["ABANDON_STEP_S", "ABANDON_WINDOW_S", "AbandonWindow", "reached"]

ABANDON_WINDOW_S = 86_400.0  # Ofcom's period: 3% per campaign per 24 hours
ABANDON_STEP_S = 60.0  # the window's start is placed to within this much


@dataclass(slots=True)
class _Point:
    at: float
    answered: int
    abandoned: int


def reached(abandoned: float, answered: float, target: float) -> bool:
    """Whether `abandoned` of `answered` is at or over `target`. No abandon never is."""
    return abandoned > 0 and abandoned >= target * answered


class AbandonWindow:
    """Abandoned / person-answered calls over the last ABANDON_WINDOW_S.

    The totals count from the run's start, so zero is their value at the run's first look. A
    total that falls is a new run: the window starts again. Points closer than ABANDON_STEP_S
    are kept as one, the newer, so that a day's window holds at most 1440 of them.
    """

    def __init__(self) -> None:
        self._points: deque[_Point] = deque()

    def reset(self) -> None:
        self._points.clear()

    def reached(self, now: float, answered: int, abandoned: int, target: float) -> bool:
        """Record the totals at `now`; whether the window's share is at or over `target`."""
        points = self._points
        if points and (answered < points[-1].answered or abandoned < points[-1].abandoned):
            points.clear()
        if not points:
            points.append(_Point(now, 0, 0))
        last = points[-1]
        if (answered, abandoned) != (last.answered, last.abandoned):
            if len(points) >= 2 and now - last.at < ABANDON_STEP_S:
                last.at, last.answered, last.abandoned = now, answered, abandoned
            else:
                points.append(_Point(now, answered, abandoned))
        # The baseline is the newest point at or before the window's start.
        while len(points) >= 2 and points[1].at <= now - ABANDON_WINDOW_S:
            points.popleft()
        base = points[0]
        return reached(abandoned - base.abandoned, answered - base.answered, target)
