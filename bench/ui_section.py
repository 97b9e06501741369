"""The report's section of the live page's part (`bench/ui.py`)."""

from __future__ import annotations

from typing import Any

__all__ = ["UI_GOAL_PREFIX", "ui"]

Goal = tuple[str, str, str, bool | None]  # figure, goal, measured, met (None: no goal)


def _f(value: float, digits: int = 2) -> str:
    return "n/a" if value != value else f"{value:,.{digits}f}"


UI_GOAL_PREFIX = "live page"


def ui(f: dict[str, Any]) -> tuple[list[str], list[Goal]]:
    """The live page's section: a tick's refresh, shared by every viewer, and each viewer's
    own update."""
    n, refresh, page, found = f["executions"], f["refresh"], f["page"], f["filtered"]
    lines = [
        f"{n:,} running executions in Redis. Each tick (every second while a page is open) "
        f"the admin listener reads all of them in {f['requests_per_refresh']} pipelined "
        "requests (the list, then 200 executions each: state hash, cache length, calls in "
        "flight, claims), once for all viewers; each open page then gets its own update: "
        "filter, a page of rows, JSON (`bench/ui.py`). A refresh's wall time includes its "
        "round trips and whatever else the cores run meanwhile (load average "
        f"{f.get('load_average_1min', float('nan')):.1f} at the end of this run); its CPU "
        "time is this process's own.",
        "",
        "| cost | median | p95 | max | other |",
        "|---|---|---|---|---|",
        f"| refresh, {n:,} executions (wall) | {_f(refresh['median_ms'])} ms "
        f"| {_f(refresh['p95_ms'])} ms | {_f(refresh['max_ms'])} ms "
        f"| {_f(refresh['cpu_ms'])} ms CPU each, {refresh['count']} runs |",
        f"| first refresh, with each campaign's 30 days | {_f(f['first_refresh_ms'])} ms "
        "| | | once per 10 s |",
        f"| one viewer's update, {page['rows']} rows | {_f(page['median_ms'])} ms "
        f"| {_f(page['p95_ms'])} ms | {_f(page['max_ms'])} ms | {page['bytes']:,} bytes |",
        f"| one viewer's update, filtered to one id | {_f(found['median_ms'])} ms "
        f"| {_f(found['p95_ms'])} ms | {_f(found['max_ms'])} ms | {found['bytes']:,} bytes |",
    ]
    total = refresh["cpu_ms"] + page["median_ms"]
    goals: list[Goal] = [
        (
            f"{UI_GOAL_PREFIX}, server time of one update with {n:,} executions (the "
            "refresh's CPU + one viewer's update)",
            "< 250 ms (a quarter of the 1 s tick)",
            f"{_f(total)} ms",
            total < 250,
        )
    ]
    return lines, goals
