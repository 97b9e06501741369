"""The pacing part's record of what launching took of the machine, and its report table."""

from __future__ import annotations

import math
import os
import time

from bench.pacing import scheduled_s
from bench.sections import pacing


def test_scheduled_time_of_this_process_grows_as_it_runs() -> None:
    ran, waited = scheduled_s(os.getpid())
    deadline = time.process_time() + 0.05
    while time.process_time() < deadline:
        pass
    ran_after, waited_after = scheduled_s(os.getpid())
    assert ran_after - ran >= 0.04
    assert waited_after >= waited >= 0


def test_a_process_that_is_gone_has_no_scheduled_time() -> None:
    assert all(math.isnan(v) for v in scheduled_s(2**22 + 1))


def _budget(machine: bool) -> dict[str, object]:
    run = {"mean_ratio": 0.99, "max_in_1s": 11, "max1s_ratio": 1.1, "contacts": 81}
    if machine:
        run |= {"service_ran_s": 2.5, "service_waited_s": 7.25}
    budget: dict[str, object] = {
        "budget": 10.0,
        "command": "queue-service serve",
        "runs": [run],
        "median_mean_ratio": 0.99,
        "median_max1s_ratio": 1.1,
    }
    if machine:
        budget |= {"median_service_cpu_ms": 4.25, "median_emulator_cpu_ms": 3.5}
    return budget


def test_the_machine_table_shows_cpu_per_launch_and_waiting() -> None:
    lines, _ = pacing({"budgets": [_budget(machine=True)], "storm": None})
    assert "| 10/s | 4.2 | 3.5 | 2.5 s / 7.2 s |" in lines


def test_figures_from_before_the_machine_record_still_render() -> None:
    lines, goals = pacing({"budgets": [_budget(machine=False)], "storm": None})
    assert not any("emulator CPU" in line for line in lines)
    assert len(goals) == 2


def test_the_sends_at_the_wire_are_judged_apart_from_the_emulator_times() -> None:
    budget = _budget(machine=False)
    budget["sent_measured"] = True
    budget["runs"] = [
        {
            "mean_ratio": 0.99,
            "max_in_1s": 11,
            "max1s_ratio": 1.1,
            "max_in_1s_sent": 10,
            "max1s_sent_ratio": 1.0,
            "contacts": 81,
        }
    ]
    lines, goals = pacing({"budgets": [budget], "storm": None})
    assert any("| 0.9900, 11 / 10 |" in line for line in lines)
    verdicts = {figure: met for figure, _, _, met in goals}
    assert verdicts["pacing 10/s: most creates sent in any 1 s (at the wire) / budget"] is True
    assert verdicts["pacing 10/s: most creates timed by the emulator in any 1 s / budget"] is False
