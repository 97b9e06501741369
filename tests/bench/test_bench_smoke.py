"""The quick pacing benchmark, end to end on real processes: it runs and writes a report of
the right shape (the figures themselves are not checked: speed is never measured in tests)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def test_quick_pacing_writes_the_report_and_the_plot(tmp_path: Path) -> None:
    results, docs = tmp_path / "results", tmp_path / "docs"
    argv = ["--quick", "pacing", "--results", str(results), "--docs", str(docs)]
    done = subprocess.run(
        [sys.executable, "-m", "bench", *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert done.returncode == 0, done.stdout + done.stderr

    figures = json.loads((results / "pacing.json").read_text())["figures"]
    (budget,) = figures["budgets"]
    (run,) = budget["runs"]
    assert run["launches"] == run["contacts"] > 1  # every contact launched, each one timed
    if os.geteuid() == 0:  # the loopback capture needs CAP_NET_RAW
        assert run["wire"] == f"{run['launches']} of {run['launches']} creates seen"
        assert run["max_in_1s_sent"] >= 1
    assert len(budget["series"]) > 1

    report = (docs / "benchmarks.md").read_text()
    for heading in ("# Benchmarks", "## Machine and run", "## Summary", "## 1. Pacing accuracy"):
        assert f"\n{heading}\n" in f"\n{report}"
    for fact in ("cores (`nproc`)", "CPU (/proc/cpuinfo)", "memory", "Python", "date"):
        assert f"| {fact} |" in report
    assert f"`python -m bench {' '.join(argv)}`" in report
    assert "| pacing 10/s: mean rate / budget | >= 0.99 |" in report
    assert "![pacing](benchmarks-pacing.png)" in report

    png = (docs / "benchmarks-pacing.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(png) > 1000
