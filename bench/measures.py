"""The arithmetic of the figures: medians, rates from launch times, windows, percentiles."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from pathlib import Path

from twilio_emulator.launches import max_in_window

__all__ = [
    "loop_lag",
    "max_in_window",
    "median",
    "percentile",
    "rate_by_spacing",
    "rate_series",
    "recovery_s",
]


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100), nearest rank; nan when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return float(ordered[rank])


def rate_by_spacing(times: Sequence[float]) -> float:
    """Launches/s from first to last launch: (n - 1) / (t_n - t_1) for sorted `times`."""
    if len(times) < 2 or times[-1] <= times[0]:
        return float("nan")
    return (len(times) - 1) / (times[-1] - times[0])


def rate_series(
    times: Sequence[float], start: float, end: float, step: float = 0.25, window: float = 1.0
) -> list[tuple[float, float]]:
    """(t - start, launches within (t - window, t] / window) every `step` s in [start, end]."""
    out: list[tuple[float, float]] = []
    t = start
    lo = hi = 0
    while t <= end + 1e-9:
        while hi < len(times) and times[hi] <= t:
            hi += 1
        while lo < hi and times[lo] <= t - window:
            lo += 1
        out.append((t - start, (hi - lo) / window))
        t += step
    return out


def recovery_s(
    times: Sequence[float],
    storm_end: float,
    budget: float,
    share: float = 0.95,
    window: float = 2.0,
) -> float:
    """Seconds from `storm_end` to the start of the first `window`-second window, wholly after
    it, that holds at least `share` x budget x window launches; nan when none does.

    A window starts at a launch: `times` sorted, launches in [t, t + window) counted."""
    needed = share * budget * window
    hi = 0
    for lo, t in enumerate(times):
        if t < storm_end:
            continue
        hi = max(hi, lo)
        while hi < len(times) and times[hi] < t + window:
            hi += 1
        if hi - lo >= needed - 1e-9:
            return t - storm_end
    return float("nan")


def loop_lag(path: Path, start: float, end: float) -> dict[str, float]:
    """p50, p99 and max (ms) of the loop delays sampled between monotonic `start` and `end`
    (lines "monotonic delay_s" written by `bench.uncapped`)."""
    delays: list[float] = []
    if path.exists():
        for line in path.read_text().splitlines():
            at, _, delay = line.partition(" ")
            if delay and start <= float(at) <= end:
                delays.append(float(delay) * 1000)
    return {
        "samples": len(delays),
        "p50_ms": percentile(delays, 50),
        "p99_ms": percentile(delays, 99),
        "max_ms": max(delays, default=float("nan")),
    }
