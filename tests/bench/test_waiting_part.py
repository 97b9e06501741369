"""The waiting part of the bench, quick, end to end: its figures have the right shape and the
counts the storage path implies, and run alone it rebuilds its section and keeps the rest of
the page already written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
PAGE = """# Benchmarks

## Machine and run

| | |
|---|---|
| cores (`nproc`) | 2 |

## Summary

| figure | goal | measured | |
|---|---|---|---|
| pacing 10/s: mean rate / budget | >= 0.99 | 1.0000 | met |

## 4. Redis cost

Kept as it was.
"""


def test_quick_waiting_part_measures_and_keeps_the_rest_of_the_page(tmp_path: Path) -> None:
    results, docs = tmp_path / "results", tmp_path / "docs"
    docs.mkdir()
    (docs / "benchmarks.md").write_text(PAGE)
    argv = ["--quick", "waiting", "--results", str(results), "--docs", str(docs)]
    done = subprocess.run(
        [sys.executable, "-m", "bench", *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert done.returncode == 0, done.stdout + done.stderr

    figures = json.loads((results / "waiting.json").read_text())["figures"]
    off = figures["round_trips"]["one script per step, rules off"]
    on = figures["round_trips"]["one script per step, rules on"]
    # Off: a claim per 10 (and a last one that finds the cache empty), then reserve, record
    # the launch, settle: one script each.
    claims = off["contacts"] // 10 + 1
    assert off["per_contact"] == pytest.approx(3 + claims / off["contacts"])
    assert off["dispositions"] == off["contacts"]
    # On: one contact in ten is listed (settled dnc), every other one is dialed twice.
    listed = on["contacts"] // 10
    assert on["dispositions"] == listed + 2 * (on["contacts"] - listed)
    assert on["by_command"]["smismember"] == pytest.approx(figures["lists"] / 10)
    assert figures["rates"]["taken"] == figures["rates"]["waiting"] == 10_000

    report = (docs / "benchmarks.md").read_text()
    assert "\n## 7. Dialing rules: the storage path\n" in report
    assert "\n## 4. Redis cost\n\nKept as it was.\n" in report
    assert "| pacing 10/s: mean rate / budget | >= 0.99 | 1.0000 | met |" in report
    assert "| storage of the dialing rules: taken back from 10,000 waiting records |" in report
