"""The quick live-page benchmark on a real `redis-server`: it runs and writes its section of
the right shape (the figures themselves are not checked: speed is never measured in tests)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def test_quick_ui_writes_its_figures_and_section(tmp_path: Path) -> None:
    results, docs = tmp_path / "results", tmp_path / "docs"
    argv = ["--quick", "ui", "--results", str(results), "--docs", str(docs)]
    done = subprocess.run(
        [sys.executable, "-m", "bench", *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert done.returncode == 0, done.stdout + done.stderr

    figures = json.loads((results / "ui.json").read_text())["figures"]
    assert figures["rows"] == figures["executions"] == 100
    assert figures["requests_per_refresh"] == 2
    assert figures["page"]["bytes"] > figures["filtered"]["bytes"] > 0
    report = (docs / "benchmarks.md").read_text()
    assert "## 8. Live page: one update with many executions" in report
    assert "| live page, server time of one update with 100 executions" in report
