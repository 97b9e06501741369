"""`queue-service demo`, the README's first command, runs a campaign to the end on its own:
an embedded Redis, the built-in emulator, no settings."""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from tests.system.processes import queue_service

pytestmark = pytest.mark.slow


def test_the_demo_runs_a_campaign_to_the_end_with_no_settings() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QUEUE_", "TWILIO_"))}
    done = subprocess.run(
        [queue_service(), "demo", "--contacts", "60", "--cps", "20"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    # Piped: plain lines, one progress line a second, then the summary as `name: value`.
    lines = done.stdout.splitlines()
    assert "dispositions: 60 (one per contact: yes)" in lines
    assert "final state: completed" in lines
    assert "\x1b[" not in done.stdout
    progress = [line for line in lines if re.match(r"\s*\d+\.\d s  ", line)]
    assert len(progress) >= 2
    assert "launched 60/60" in progress[-1]


def test_the_demo_paces_predictively_and_shows_occupancy_and_abandons_live() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QUEUE_", "TWILIO_"))}
    argv = ["demo", "--mode", "predictive", "--contacts", "60", "--agents", "10", "--cps", "20"]
    done = subprocess.run(
        [queue_service(), *argv], env=env, capture_output=True, text=True, timeout=120, check=False
    )

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert "dispositions: 60 (one per contact: yes)" in lines
    progress = [line for line in lines if re.match(r"\s*\d+\.\d s  ", line)]
    live = re.compile(r"  occupancy \d+\.\d% \(last 10 s \d+\.\d%\)  abandoned \d+ of \d+ people ")
    assert all(live.search(line) for line in progress)
    [occupancy] = [line for line in lines if line.startswith("agent occupancy: ")]
    assert 0 < float(occupancy.split()[-1].rstrip("%")) <= 100
    [abandoned] = [line for line in lines if line.startswith("abandoned: ")]
    people = int(re.findall(r"of (\d+) people", abandoned)[0])
    assert people > 0
