"""The report's dialing section: each mode's figures per configuration, and the goals."""

from __future__ import annotations

from typing import Any

__all__ = ["GOAL_PREFIX", "dialing"]

GOAL_PREFIX = "dialing"
Goal = tuple[str, str, str, bool | None]
_MODES = (
    ("progressive", "progressive, ratio 1.0"),
    ("hindsight", "best static ratio in hindsight"),
    ("predictive", "predictive, defaults"),
)


def _pc(share: float, digits: int = 1) -> str:
    return f"{100 * share:.{digits}f}%"


def _row(name: str, label: str, m: dict[str, Any]) -> str:
    if "ratio" in m:
        label = f"{label}: {m['ratio']:.2f}"
    return (
        f"| {name} | {label} | {_pc(m['occupancy'])} | {_pc(m['abandoned'], 2)} / "
        f"{_pc(m['abandoned_worst_run'], 2)} / {_pc(m['abandoned_worst_hour'])} "
        f"| {m['wait_mean_s']:.2f} s / {m['wait_p95_s']:.1f} s "
        f"| {m['contacts_per_agent_hour']:.1f} | {m['dials_per_agent_hour']:.1f} |"
    )


def _intro(f: dict[str, Any]) -> list[str]:
    model, seeds = f["model"], f["seeds"]
    ring_low, ring_high = model["ring_s"]
    runs = f"{len(seeds)} run{'s' if len(seeds) > 1 else ''}"
    hours = f"{f['hours']:g} simulated hour{'s' if f['hours'] != 1 else ''}"
    return [
        f"A call centre simulated on a fake clock, driven by the real `queue_core` `Pacer`: "
        f"{runs} of {hours} per configuration and mode, with the same seeds "
        f"({seeds[0]} to {seeds[-1]}) in every mode. Agents talk for a lognormal "
        f"time of mean 180 s (sigma {model['talk_sigma']:g}) and wrap up for 30 s; one task "
        "queue; a caller gives up after an exponential patience of mean 10 s. Of the calls "
        f"answered, 15% are machines, dropped {model['amd_s']:g} s later (AMD); an answered "
        f"call rings {ring_low:g} to {ring_high:g} s, an unanswered one "
        f"{model['no_answer_s']:g} s. The pacer decides every 0.5 s from TaskRouter's queue "
        "statistics as of their last refresh (every 2 s), the calls in flight and those a "
        "person answered, and the abandon totals as the runner feeds them. Abandoned: a person "
        "answered and no agent accepted within 2 s.",
        "",
        "Occupancy is talk time over staffed time (wrap-up excluded: at most 180 / 210 = "
        "85.7%). The best static ratio in hindsight is, for each configuration, progressive "
        f"at the ratio of a {f['grid_step']:g} grid with the highest occupancy among those "
        f"whose every run abandoned at most {_pc(f['target'], 0)} (`bench/dialing.py` says how "
        "the grid is searched). Abandoned: of all runs / the worst run / the worst simulated "
        "hour of any run. The wait for an agent is of every person who answered, until an "
        "agent accepted or the caller gave up.",
        "",
        "| configuration | mode | occupancy | abandoned: all / worst run / worst hour "
        "| wait for an agent: mean / p95 | contacts per agent-hour | dials per agent-hour |",
        "|---|---|---|---|---|---|---|",
    ]


def _versus(c: dict[str, Any]) -> Goal:
    modes, name = c["modes"], c["name"]
    predictive = modes["predictive"]["occupancy"]
    goal = "within 2 points" if c["stationary"] else "above"
    figure = f"{GOAL_PREFIX}, {name}: predictive occupancy against the best static ratio"
    best = modes.get("hindsight")
    if best is None:
        return figure, goal, "no static ratio kept to the target", True
    points = 100 * (predictive - best["occupancy"])
    measured = (
        f"{_pc(predictive)} vs {_pc(best['occupancy'])} at ratio {best['ratio']:.2f} "
        f"({points:+.1f} points)"
    )
    return figure, goal, measured, points >= -2.0 if c["stationary"] else points > 0.0


def dialing(f: dict[str, Any]) -> tuple[list[str], list[Goal]]:
    lines = _intro(f)
    configurations = f["configurations"]
    for c in configurations:
        modes = c["modes"]
        lines += [_row(c["name"], label, modes[key]) for key, label in _MODES if key in modes]
    worst = max(configurations, key=lambda c: c["modes"]["predictive"]["abandoned_worst_run"])
    hour = max(configurations, key=lambda c: c["modes"]["predictive"]["abandoned_worst_hour"])
    worst_run = worst["modes"]["predictive"]["abandoned_worst_run"]
    goals: list[Goal] = [
        (
            f"{GOAL_PREFIX}, predictive: abandoned in every run of every configuration",
            f"<= {_pc(f['target'], 0)}",
            f"{_pc(worst_run, 2)} (worst run: {worst['name']})",
            worst_run <= f["target"],
        ),
        (
            f"{GOAL_PREFIX}, predictive: abandoned in the worst simulated hour",
            "(measure)",
            f"{_pc(hour['modes']['predictive']['abandoned_worst_hour'])} ({hour['name']})",
            None,
        ),
    ]
    goals += [_versus(c) for c in configurations]
    lines += ["", "![dialing](benchmarks-dialing.png)"]
    return lines, goals
