"""The arithmetic of the scale part's spread: per-execution rates from paced launch times, and
how far apart they are."""

from __future__ import annotations

import math

import pytest
from bench.scale import execution_rates, spread
from bench.sections import scale


def _paced(first: float, rate: float, count: int) -> list[float]:
    return [first + i / rate for i in range(count)]


def test_rates_come_from_the_launches_inside_the_window_only() -> None:
    times = {
        "a": [0.5, 1.0, *_paced(10.0, 0.1, 5)],  # two early launches before the window
        "b": _paced(12.0, 0.125, 5),
    }
    rates = execution_rates(times, start=10.0, end=60.0, min_launches=3)
    assert rates["a"] == pytest.approx(0.1)
    assert rates["b"] == pytest.approx(0.125)


def test_an_execution_with_too_few_launches_in_the_window_is_not_measured() -> None:
    times = {"a": _paced(10.0, 0.1, 5), "b": [11.0, 21.0, 70.0]}
    assert set(execution_rates(times, 10.0, 60.0, min_launches=3)) == {"a"}


def test_spread_is_measured_against_the_median() -> None:
    figures = spread([0.095, 0.1, 0.1, 0.1, 0.104], expected=5)
    assert figures["max_dev"] == pytest.approx(0.05)
    assert figures["range"] == pytest.approx(0.09)


def test_an_unmeasured_execution_makes_the_spread_infinite() -> None:
    figures = spread([0.1, 0.1, 0.1], expected=4)
    assert figures["max_dev"] == math.inf
    assert figures["range"] == 0


def test_no_rates_give_no_spread() -> None:
    assert all(math.isnan(v) for v in spread([], expected=3).values())


def test_the_section_judges_the_spread_and_the_memory() -> None:
    lag = {"samples": 10, "p50_ms": 2.0, "p99_ms": 30.0, "max_ms": 40.0}
    figures = {
        "executions": 4,
        "account_rate": 0.4,
        "budget_each": 0.1,
        "contacts_each": 50,
        "ran_dry": 0,
        "all_started_after_s": 2.0,
        "all_launched_after_s": 4.0,
        "start_cap_s": 240.0,
        "steady_s": 60.0,
        "rss_idle_mb": 70.0,
        "rss_peak_mb": 80.0,
        "first_launch_s": {"median": 1.0, "max": 3.0},
        "executions_launching": 4,
        "launches_steady": 24,
        "account_rate_steady": 0.4,
        "launches_each_steady": {"min": 6, "median": 6.0, "max": 6},
        "executions_measured": 3,
        "min_launches": 3,
        "rate_min": 0.1,
        "rate_p5": 0.1,
        "rate_median": 0.1,
        "rate_p95": 0.1,
        "rate_max": 0.1,
        "rate_mean_over_budget": 1.0,
        "spread": spread([0.1, 0.1, 0.1], expected=4),
        "loop_lag": lag,
        "loop_lag_steady": lag,
        "service_cores_steady": 0.1,
        "redis_cores_steady": 0.01,
        "redis_commands_per_s_steady": 40.0,
        "leases_lost": 0,
    }
    lines, goals = scale(figures)
    verdicts = {name.split(": ")[1]: met for name, _, _, met in goals}
    measured = {name.split(": ")[1]: shown for name, _, shown, _ in goals}
    assert measured["launch rate spread (largest deviation from the median)"] == (
        "not all measured (3 of 4 measured)"
    )
    assert verdicts["resident memory"] is True
    assert verdicts["launch rate spread (largest deviation from the median)"] is False
    assert any("3 of 4 executions" in line for line in lines)
