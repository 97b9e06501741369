"""Part 6, dialing efficiency: the real `queue_core` Pacer, used as a library, against a
simulated call centre on a fake clock (`bench.callcentre`), 8 simulated hours a run.

Configurations: 10 and 50 agents x answer rates of 20% and 40%; and two of 30 agents that
change halfway: the answer rate falls from 40% to 15%, or a third of the agents log off. Each
runs with the same seeds in three modes: progressive at ratio 1.0; predictive at its defaults;
and the best static ratio in hindsight: progressive at the ratio, searched on a grid of 0.05,
with the highest occupancy among those whose every run abandoned at most 3% of the people who
answered. The search steps by 0.25 from 1.0 until two steps in a row fail, then by 0.05 from
0.25 below the last step that held to 0.25 above the first that failed.

`max_concurrent_calls` is set out of the way (10000) in every mode, and launches go when the
pacer asks: the account's launch rate is assumed above the few dials a second asked here.
"""

from __future__ import annotations

import itertools
import math
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from bench.callcentre import AMD_S, NO_ANSWER_S, RING_S, TALK_SIGMA, Centre, Tally, simulate
from queue_core.domain.campaign import PacingMode, PacingSettings
from queue_core.domain.pacer import Pacer

__all__ = ["CENTRES", "Plan", "centre", "figures", "measure", "run", "settings"]

HALF = 4 * 3600.0  # of 8 hours; `centre` puts the change halfway through any run
CENTRES = {
    "10 agents, 20% answer": Centre(10, 0.20),
    "10 agents, 40% answer": Centre(10, 0.40),
    "50 agents, 20% answer": Centre(50, 0.20),
    "50 agents, 40% answer": Centre(50, 0.40),
    "30 agents, 40% answer falling to 15% halfway": Centre(
        30, 0.40, change_at_s=HALF, answer_rate_after=0.15
    ),
    "30 agents at 40% answer, a third logging off halfway": Centre(
        30, 0.40, change_at_s=HALF, agents_leaving=10
    ),
}
TARGET = 0.03  # the FTC's 3% of person-answered calls
GRID_STEP, COARSE_STEP, TOP_RATIO = 0.05, 0.25, 10.0
_OUT_OF_THE_WAY = 10_000  # max_concurrent_calls, never reached here


@dataclass(frozen=True, slots=True)
class Plan:
    hours: float = 8.0
    seeds: tuple[int, ...] = tuple(range(1, 11))
    fine: bool = True  # search the 0.05 grid near the boundary (else the 0.25 steps only)


def settings(mode: str, ratio: float = 1.0) -> PacingSettings:
    if mode == "predictive":
        return PacingSettings(mode=PacingMode.PREDICTIVE, max_concurrent_calls=_OUT_OF_THE_WAY)
    return PacingSettings(dial_ratio=ratio, max_concurrent_calls=_OUT_OF_THE_WAY)


def centre(name: str, hours: float) -> Centre:
    """The configuration run for `hours`: a change comes halfway through."""
    base = CENTRES[name]
    halfway = None if base.change_at_s is None else hours * 1800.0
    return replace(base, hours=hours, change_at_s=halfway)


def _simulate(job: tuple[str, str, float, int, float]) -> Tally:
    name, mode, ratio, seed, hours = job
    return simulate(centre(name, hours), Pacer(settings(mode, ratio)), seed)


def _share(abandoned: int, people: int) -> float:
    return abandoned / people if people else 0.0


def figures(tallies: list[Tally]) -> dict[str, Any]:
    """One mode's figures over its runs: occupancy is talk / staffed time."""
    staffed_h = sum(t.staffed_s for t in tallies) / 3600
    waits = sorted(w for t in tallies for w in t.waits)
    hours = [
        _share(a, h)
        for t in tallies
        for a, h in zip(t.abandoned_by_hour, t.human_by_hour, strict=True)
        if h
    ]
    runs = [t.talk_s / t.staffed_s for t in tallies]
    return {
        "occupancy": sum(runs) / len(runs),
        "occupancy_runs": runs,
        "abandoned": _share(sum(t.abandoned for t in tallies), sum(t.human for t in tallies)),
        "abandoned_worst_run": max(_share(t.abandoned, t.human) for t in tallies),
        "abandoned_worst_hour": max(hours, default=0.0),
        "wait_mean_s": sum(waits) / len(waits) if waits else 0.0,
        "wait_p95_s": waits[math.ceil(0.95 * len(waits)) - 1] if waits else 0.0,
        "contacts_per_agent_hour": sum(t.connected for t in tallies) / staffed_h,
        "dials_per_agent_hour": sum(t.dials for t in tallies) / staffed_h,
        "people": sum(t.human for t in tallies),
    }


class _Search:
    """The best static ratio of one configuration, in hindsight over the plan's seeds."""

    def __init__(self, pool: ProcessPoolExecutor, name: str, plan: Plan) -> None:
        self.pool, self.name, self.plan = pool, name, plan
        self.grid: dict[float, tuple[float, float]] = {}  # ratio: (mean occupancy, worst run)

    def evaluate(self, ratios: list[float]) -> None:
        todo = [r for r in ratios if r not in self.grid and 1.0 <= r <= TOP_RATIO]
        jobs = [(self.name, "static", r, s, self.plan.hours) for r in todo for s in self.plan.seeds]
        tallies = list(self.pool.map(_simulate, jobs))
        for i, ratio in enumerate(todo):
            runs = tallies[i * len(self.plan.seeds) : (i + 1) * len(self.plan.seeds)]
            occupancy = sum(t.talk_s / t.staffed_s for t in runs) / len(runs)
            self.grid[ratio] = (occupancy, max(_share(t.abandoned, t.human) for t in runs))

    def held(self, ratio: float) -> bool:
        return self.grid[ratio][1] <= TARGET

    def best(self) -> float | None:
        first_fail = self._coarse()
        if self.plan.fine:
            held = [r for r in self.grid if self.held(r)]
            low = max(1.0, max(held, default=1.0) - COARSE_STEP)
            steps = round((first_fail + COARSE_STEP - low) / GRID_STEP)
            self.evaluate([round(low + i * GRID_STEP, 2) for i in range(steps + 1)])
        held = [r for r in self.grid if self.held(r)]
        return max(held, key=lambda r: self.grid[r][0]) if held else None

    def _coarse(self) -> float:
        """Step by COARSE_STEP, four at a time; the first ratio of two failing in a row."""
        ratio = 1.0
        while ratio <= TOP_RATIO:
            batch = [round(ratio + i * COARSE_STEP, 2) for i in range(4)]
            self.evaluate(batch)
            ratios = sorted(self.grid)
            for one, two in itertools.pairwise(ratios):
                if not self.held(one) and not self.held(two):
                    return one
            ratio = batch[-1] + COARSE_STEP
        return TOP_RATIO


def _configuration(pool: ProcessPoolExecutor, name: str, plan: Plan) -> dict[str, Any]:
    def runs(mode: str, ratio: float = 1.0) -> list[Tally]:
        jobs = [(name, mode, ratio, seed, plan.hours) for seed in plan.seeds]
        return list(pool.map(_simulate, jobs))

    search = _Search(pool, name, plan)
    best = search.best()
    modes = {"progressive": figures(runs("static")), "predictive": figures(runs("predictive"))}
    if best is not None:
        modes["hindsight"] = figures(runs("static", best)) | {"ratio": best}
    return {
        "name": name,
        "centre": asdict(centre(name, plan.hours)),
        "stationary": CENTRES[name].change_at_s is None,
        "modes": modes,
        "grid": [[r, occ, worst] for r, (occ, worst) in sorted(search.grid.items())],
    }


def measure(plan: Plan, names: list[str] | None = None, workers: int = 2) -> dict[str, Any]:
    """Every configuration (or those named), every mode; the figures as JSON-ready values."""
    with ProcessPoolExecutor(max_workers=workers) as pool:
        configurations = [_configuration(pool, name, plan) for name in names or list(CENTRES)]
    return {
        "hours": plan.hours,
        "seeds": list(plan.seeds),
        "target": TARGET,
        "grid_step": GRID_STEP if plan.fine else COARSE_STEP,
        "model": {
            "ring_s": list(RING_S),
            "no_answer_s": NO_ANSWER_S,
            "amd_s": AMD_S,
            "talk_sigma": TALK_SIGMA,
        },
        "configurations": configurations,
    }


async def run(logs: Path, *, quick: bool = False) -> dict[str, Any]:
    plan = Plan(hours=1.0, seeds=(1,), fine=False) if quick else Plan()
    return measure(plan)
