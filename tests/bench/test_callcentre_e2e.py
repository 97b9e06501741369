"""The call centre end to end: the emulator's settings play the simulation's configuration, the
figures come from the emulator's stats and the service's counts, the section judges the
agreement, and a run of the part alone keeps the page's other parts."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
from bench.callcentre_e2e import CENTRE, emulator_settings, served_figures
from bench.callcentre_e2e_section import callcentre_e2e

from bench import report
from twilio_emulator.config import EmulatorConfig, updated_config


def test_the_emulator_plays_the_configuration_the_simulation_models() -> None:
    settings = emulator_settings(CENTRE, "redis://127.0.0.1:7000/0")
    config = updated_config(EmulatorConfig(), settings)

    weights = config.outcome_weights
    assert weights["human"] + weights["machine"] == pytest.approx(CENTRE.answer_rate)
    assert weights["machine"] == pytest.approx(CENTRE.answer_rate * CENTRE.machine_share)
    assert config.time_scale == 1.0
    assert (config.ring_s, config.no_answer_ring_s) == (CENTRE.ring_s, CENTRE.no_answer_s)
    assert config.talk_machine_s == (CENTRE.amd_s, CENTRE.amd_s)
    centre = config.callcentre
    assert (centre.enabled, centre.agents) == (True, CENTRE.agents)
    assert (centre.talk_mean_s, centre.talk_log_sd) == (CENTRE.talk_mean_s, CENTRE.talk_sigma)
    assert centre.wrapup_s == (CENTRE.wrap_s, CENTRE.wrap_s)
    assert centre.patience_mean_s == CENTRE.patience_mean_s
    assert centre.stats_every_s == CENTRE.stats_every_s
    # What the simulation leaves out stays within the rule: an idle agent connects in time.
    assert max(config.amd_detect_s) + max(centre.accept_s) < 2.0


def call(handed: bool, connected: float | None = None) -> dict[str, Any]:
    return {"handed_to_agent": handed, "answer_to_agent_s": connected}


def test_the_figures_come_from_the_emulators_stats_and_the_services_counts() -> None:
    stats = {
        "executions_created": 30,
        "answered_429": 0,
        "executions": [call(False), call(True, 0.8), call(True, 2.5), call(True, None)],
        "callcentre": {
            "occupancy": 0.6,
            "staffed_s": 7200.0,
            "talk_s": 4320.0,
            "calls_abandoned": 1,
            "tasks_accepted": 2,
        },
    }

    figures = served_figures(stats, people=4, abandoned=1)

    assert figures["occupancy"] == 0.6
    assert (figures["people"], figures["abandoned"]) == (4, 0.25)
    assert figures["emulator_people"] == 3
    assert figures["emulator_abandoned"] == pytest.approx(2 / 3)  # no agent within 2 s
    assert figures["callers_gave_up"] == 1
    assert (figures["dials_per_agent_hour"], figures["contacts_per_agent_hour"]) == (15.0, 1.0)


def part_figures(served: float, simulated: list[float]) -> dict[str, Any]:
    return {
        "centre": asdict(CENTRE),
        "emulator": emulator_settings(CENTRE, "redis://..."),
        "served": {
            "occupancy": served,
            "abandoned": 0.02,
            "emulator_abandoned": 0.03,
            "people": 400,
            "emulator_people": 410,
            "dials_per_agent_hour": 100.0,
            "contacts_per_agent_hour": 40.0,
        },
        "seeds": list(range(1, len(simulated) + 1)),
        "simulated": {
            "occupancy": sum(simulated) / len(simulated),
            "occupancy_runs": simulated,
            "abandoned": 0.01,
            "people": 4000,
            "dials_per_agent_hour": 101.0,
            "contacts_per_agent_hour": 41.0,
        },
    }


def test_the_section_prints_both_figures_and_judges_the_agreement() -> None:
    lines, [(figure, goal, measured, met)] = callcentre_e2e(part_figures(0.55, [0.57, 0.59]))
    assert figure.startswith("call centre end to end: served occupancy")
    assert (goal, measured, met) == ("within 5 points", "55.0% vs 58.0% (-3.0 points)", True)
    assert any(line.startswith("| served: `serve` and the emulator | 55.0% |") for line in lines)
    assert any("| 58.0% (57.0% to 59.0%) |" in line for line in lines)

    _, [(_, _, measured, met)] = callcentre_e2e(part_figures(0.50, [0.57, 0.59]))
    assert (measured, met) == ("50.0% vs 58.0% (-8.0 points)", False)


PAGE = """# Benchmarks

## Machine and run

| | |
|---|---|
| cores (`nproc`) | 2 |

## Summary

| figure | goal | measured | |
|---|---|---|---|
| pacing 1/s: mean rate / budget | >= 0.99 | 0.9945 | met |
| call centre end to end: an old figure | within 5 points | 1% | met |

## 1. Pacing accuracy

Old pacing figures.

## 9. The call centre end to end: serve against the emulator

Old end-to-end figures.
"""


def test_the_part_alone_keeps_the_other_parts_of_the_page(tmp_path: Path) -> None:
    results, docs = tmp_path / "results", tmp_path / "docs"
    results.mkdir()
    docs.mkdir()
    (docs / "benchmarks.md").write_text(PAGE)
    part = {
        "part": "callcentre-e2e",
        "quick": False,
        "command": "python -m bench callcentre-e2e",
        "commit": "abc1234",
        "elapsed_s": 960.0,
        "machine": {"date": "2026-12-07 10:00 UTC", "nproc": 2, "cpu_model": "X", "python": "3"},
        "figures": part_figures(0.55, [0.57, 0.59]),
    }
    (results / "callcentre-e2e.json").write_text(json.dumps(part))

    assert report.write(results, docs) == [docs / "benchmarks.md"]

    page = (docs / "benchmarks.md").read_text()
    assert "| cores (`nproc`) | 2 |" in page
    assert "## 1. Pacing accuracy\n\nOld pacing figures." in page
    assert "| pacing 1/s: mean rate / budget | >= 0.99 | 0.9945 | met |" in page
    assert "an old figure" not in page
    assert "Old end-to-end figures." not in page
    assert "| call centre end to end: served occupancy against the simulation" in page
    assert "Commit abc1234, 2026-12-07 10:00 UTC, on 2 cores (X)" in page
