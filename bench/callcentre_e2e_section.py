"""The report's section of the call centre end to end: the served run beside the simulation
of the same configuration, and the goal that they agree."""

from __future__ import annotations

from typing import Any

__all__ = ["AGREEMENT_POINTS", "GOAL_PREFIX", "callcentre_e2e"]

GOAL_PREFIX = "call centre end to end"
AGREEMENT_POINTS = 5.0  # served and simulated occupancy agree within this many points
Goal = tuple[str, str, str, bool | None]


def _pc(share: float, digits: int = 1) -> str:
    return f"{100 * share:.{digits}f}%"


def _intro(f: dict[str, Any]) -> list[str]:
    c, emulator = f["centre"], f["emulator"]
    centre = emulator["callcentre"]
    minutes = c["hours"] * 60
    return [
        f"`queue-service serve`, predictive at its defaults, against the emulator's call "
        f"centre for {minutes:g} minutes of real time (the emulator's `time_scale` 1: the "
        "2-second rule, the callers' patience and the pacer's clock are real seconds), and the "
        f"dialing simulation of section 6 of the same configuration, {len(f['seeds'])} runs of "
        f"{minutes:g} simulated minutes (seeds {f['seeds'][0]} to {f['seeds'][-1]}). "
        f"{c['agents']} agents; {_pc(c['answer_rate'], 0)} of the dials answered, "
        f"{_pc(c['machine_share'], 0)} of those by machines, dropped {c['amd_s']:g} s after "
        f"the answer; an answered call rings {c['ring_s'][0]:g} to {c['ring_s'][1]:g} s, an "
        f"unanswered one {c['no_answer_s']:g} s. The call centre's work is compressed: talk "
        f"is lognormal of mean {c['talk_mean_s']:g} s (sigma {c['talk_sigma']:g}), wrap-up "
        f"{c['wrap_s']:g} s; callers give up after an exponential patience of mean "
        f"{c['patience_mean_s']:g} s; the queue's stats are written every "
        f"{c['stats_every_s']:g} s. The emulator adds what the simulation leaves out: its AMD "
        f"calls a person a person {emulator['amd_detect_s'][0]:g} to "
        f"{emulator['amd_detect_s'][1]:g} s after the answer, and an agent accepts "
        f"{centre['accept_s'][0]:g} to {centre['accept_s'][1]:g} s after the reservation.",
        "",
        "Occupancy is talk time over staffed time, counted from the `start` (the emulator's "
        "`GET /_emulator/stats`, `callcentre.occupancy`). Abandoned: of the people the "
        "service's dispositions counted (`human_answered`, `abandoned`), as the pacer learns "
        "them; the emulator's own count (no agent within 2 s of the answer, of every call "
        "handed to an agent) beside it.",
        "",
        "| run | occupancy | abandoned | people | dials per agent-hour | contacts per agent-hour |",
        "|---|---|---|---|---|---|",
    ]


def callcentre_e2e(f: dict[str, Any]) -> tuple[list[str], list[Goal]]:
    served, sim = f["served"], f["simulated"]
    runs = sim["occupancy_runs"]
    lines = _intro(f)
    lines += [
        f"| served: `serve` and the emulator | {_pc(served['occupancy'])} "
        f"| {_pc(served['abandoned'], 2)} (emulator: {_pc(served['emulator_abandoned'], 2)}) "
        f"| {served['people']} (emulator: {served['emulator_people']}) "
        f"| {served['dials_per_agent_hour']:.1f} | {served['contacts_per_agent_hour']:.1f} |",
        f"| simulated: mean of {len(runs)} runs (lowest to highest) "
        f"| {_pc(sim['occupancy'])} ({_pc(min(runs))} to {_pc(max(runs))}) "
        f"| {_pc(sim['abandoned'], 2)} | {sim['people'] / len(runs):.0f} per run "
        f"| {sim['dials_per_agent_hour']:.1f} | {sim['contacts_per_agent_hour']:.1f} |",
    ]
    points = 100 * (served["occupancy"] - sim["occupancy"])
    goal: Goal = (
        f"{GOAL_PREFIX}: served occupancy against the simulation of the same configuration",
        f"within {AGREEMENT_POINTS:g} points",
        f"{_pc(served['occupancy'])} vs {_pc(sim['occupancy'])} ({points:+.1f} points)",
        abs(points) <= AGREEMENT_POINTS,
    )
    return lines, [goal]
