"""Counting launches in sliding windows, as the budget's goals are stated."""

from __future__ import annotations

from collections.abc import Iterable


def max_in_any_window(times: Iterable[float], window: float = 1.0) -> int:
    """The most of `times` in any half-open window [t, t + window)."""
    ordered = sorted(times)
    best, lo = 0, 0
    for hi, t in enumerate(ordered):
        while t - ordered[lo] >= window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best
