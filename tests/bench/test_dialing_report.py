"""The dialing section of the report, and a run of the simulated part alone keeping the page's
other parts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.dialing_section import dialing

from bench import report


def mode(occupancy: float, worst: float, **more: float) -> dict[str, float]:
    return {
        "occupancy": occupancy,
        "abandoned": worst * 0.9,
        "abandoned_worst_run": worst,
        "abandoned_worst_hour": worst * 2,
        "wait_mean_s": 0.1,
        "wait_p95_s": 0.0,
        "contacts_per_agent_hour": 14.0,
        "dials_per_agent_hour": 80.0,
        **more,
    }


def configuration(name: str, stationary: bool, predictive: float, best: float) -> dict[str, Any]:
    return {
        "name": name,
        "stationary": stationary,
        "modes": {
            "progressive": mode(0.5, 0.0),
            "predictive": mode(predictive, 0.025),
            "hindsight": mode(best, 0.029, ratio=2.5),
        },
        "grid": [[1.0, 0.5, 0.0], [2.5, best, 0.029], [2.75, best + 0.01, 0.04]],
    }


FIGURES = {
    "hours": 8.0,
    "seeds": list(range(1, 11)),
    "target": 0.03,
    "grid_step": 0.05,
    "model": {"ring_s": [5.0, 25.0], "no_answer_s": 30.0, "amd_s": 4.0, "talk_sigma": 0.8},
    "configurations": [
        configuration("steady", True, 0.70, 0.715),
        configuration("steady, far behind", True, 0.70, 0.73),
        configuration("changing", False, 0.70, 0.69),
        configuration("changing, behind", False, 0.70, 0.70),
    ],
}


def test_the_section_shows_every_mode_and_judges_each_goal() -> None:
    lines, goals = dialing(FIGURES)
    rows = [line for line in lines if line.startswith("| steady |")]
    assert [row.split(" | ")[1] for row in rows] == [
        "progressive, ratio 1.0",
        "best static ratio in hindsight: 2.50",
        "predictive, defaults",
    ]
    verdicts = {figure: met for figure, _, _, met in goals}
    assert verdicts["dialing, predictive: abandoned in every run of every configuration"]
    assert verdicts["dialing, predictive: abandoned in the worst simulated hour"] is None
    against = "predictive occupancy against the best static ratio"
    assert verdicts[f"dialing, steady: {against}"] is True  # 1.5 points behind
    assert verdicts[f"dialing, steady, far behind: {against}"] is False
    assert verdicts[f"dialing, changing: {against}"] is True
    assert verdicts[f"dialing, changing, behind: {against}"] is False  # level is not above
    assert "![dialing](benchmarks-dialing.png)" in lines


PAGE = """# Benchmarks

Old head.

## Machine and run

| | |
|---|---|
| cores (`nproc`) | 2 |

Note.

## Summary

| figure | goal | measured | |
|---|---|---|---|
| pacing 1/s: mean rate / budget | >= 0.99 | 0.9945 | met |
| dialing, an old configuration: predictive | above | 1% | met |

## 1. Pacing accuracy

`python -m bench`, 198 s.

| budget | runs |

![pacing](benchmarks-pacing.png)

## 6. Dialing efficiency: a simulated call centre

Old dialing figures.

## Findings

Old findings.
"""


def test_the_simulated_part_alone_keeps_the_other_parts_of_the_page(tmp_path: Path) -> None:
    results, docs = tmp_path / "results", tmp_path / "docs"
    results.mkdir()
    docs.mkdir()
    (docs / "benchmarks.md").write_text(PAGE)
    part = {
        "part": "dialing",
        "quick": False,
        "command": "python -m bench dialing",
        "commit": "abc1234",
        "elapsed_s": 300.0,
        "machine": {"date": "2026-12-07 10:00 UTC"},
        "figures": FIGURES,
    }
    (results / "dialing.json").write_text(json.dumps(part))

    written = report.write(results, docs)

    assert written == [docs / "benchmarks.md", docs / "benchmarks-dialing.png"]
    page = (docs / "benchmarks.md").read_text()
    assert "| cores (`nproc`) | 2 |" in page
    assert "## 1. Pacing accuracy\n\n`python -m bench`, 198 s.\n\n| budget | runs |" in page
    assert "| pacing 1/s: mean rate / budget | >= 0.99 | 0.9945 | met |" in page
    assert "an old configuration" not in page
    assert "Old dialing figures." not in page
    assert "| dialing, steady: predictive occupancy against the best static ratio |" in page
    assert "Commit abc1234, 2026-12-07 10:00 UTC" in page
    assert page.index("## 1. Pacing") < page.index("## 6. Dialing") < page.index("## Findings")
    assert page.count("## Findings") == 1
