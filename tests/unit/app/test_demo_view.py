"""What the demo prints: piped, plain lines a second and a `name: value` summary; on a
terminal, a summary table without an empty header row."""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import replace

from rich.console import Console

from queue_app.client import ExecutionReport
from queue_app.demo_view import (
    CentreFigures,
    DemoDisplay,
    OccupancyMeter,
    Progress,
    summary_rows,
)
from queue_core.domain.state import QueueState
from queue_core.ports import PacingReport

STATS = {"max_launches_in_1s": 18, "answered_429": 0}


def report(state: QueueState, launched: int) -> ExecutionReport:
    return ExecutionReport("demo-1", state, launched, launched, 0, 0, 0, "", 1.0)


def progress(state: QueueState, launched: int, elapsed: float) -> Progress:
    statuses = Counter({"completed": launched - 1, "busy": 1})
    return Progress(
        "demo-1", "progressive", 30, report(state, launched), statuses, 9.5, 18.0, elapsed
    )


def rows() -> list[tuple[str, str]]:
    done = Counter({"completed": 29, "busy": 1})
    return summary_rows(30, "description", report(QueueState.COMPLETED, 30), done, STATS, 18.0, 7.8)


def test_piped_the_demo_prints_a_plain_line_a_second_and_the_last_state() -> None:
    out = io.StringIO()
    piped = Console(file=out, width=80)

    with DemoDisplay(piped) as display:
        display.show(progress(QueueState.RUNNING, 10, 0.5))
        display.show(progress(QueueState.RUNNING, 20, 0.75))  # within the second: held back
        display.show(progress(QueueState.COMPLETED, 30, 1.0))
    display.summary(rows())

    lines = out.getvalue().splitlines()
    assert "\x1b[" not in out.getvalue()
    assert lines[0].split()[:5] == ["0.5", "s", "running", "launched", "10/30"]
    assert lines[1].split()[:5] == ["1.0", "s", "completed", "launched", "30/30"]
    assert lines[1].endswith("dispositions 30 (busy=1 completed=29)")
    assert lines[2:] == [
        "Summary",
        "contacts: 30",
        "Twilio sources: description",
        "dispositions: 30 (one per contact: yes)",
        "launched: 30",
        "most launches in any second: 18 (budget 18.00/s)",
        "429 answers: 0",
        "took: 7.8 s",
        "final state: completed",
    ]


def test_on_a_terminal_the_summary_table_has_no_empty_header_row() -> None:
    out = io.StringIO()
    terminal = Console(file=out, force_terminal=True, width=80, color_system=None)

    DemoDisplay(terminal).summary(rows())

    table = out.getvalue().splitlines()
    assert table[0].strip() == "Summary"
    assert "contacts" in table[2]  # the top border, then the first row
    assert not any(line.strip("│ ") == "" for line in table[1:] if "│" in line)


def test_occupancy_counts_from_the_first_sample_and_over_the_last_ten_seconds() -> None:
    meter = OccupancyMeter()
    assert meter.add(100.0, talk_s=500.0, staffed_s=1000.0) == CentreFigures(0.0, 0.0)
    meter.add(105.0, talk_s=500.0, staffed_s=1050.0)  # 10 agents idle for 5 s
    figures = meter.add(110.0, talk_s=550.0, staffed_s=1100.0)  # then all of them talking
    assert figures == CentreFigures(0.5, 0.5)
    figures = meter.add(115.0, talk_s=600.0, staffed_s=1150.0)
    assert figures.occupancy == 100 / 150
    assert figures.recent == 1.0  # the idle span is older than 10 s


def test_with_agents_the_line_and_the_summary_show_occupancy_and_abandons() -> None:
    counted = replace(report(QueueState.RUNNING, 10), human_answered=40, abandoned=1)
    centre = CentreFigures(0.625, 0.7)
    line = replace(progress(QueueState.RUNNING, 10, 3.0), report=counted, centre=centre).line()
    assert "  occupancy 62.5% (last 10 s 70.0%)  abandoned 1 of 40 people (2.5%)  " in line
    assert "occupancy" not in progress(QueueState.RUNNING, 10, 3.0).line()  # no agents

    done = Counter({"completed": 30})
    summary = summary_rows(30, "description", counted, done, STATS, 18.0, 7.8, centre)
    assert ("agent occupancy", "62.5%") in summary
    assert ("abandoned", "1 of 40 people (2.5%)") in summary
    assert [name for name, _ in rows()].count("abandoned") == 0


def test_on_a_terminal_the_live_view_shows_the_dial_ratio_occupancy_and_abandons() -> None:
    out = io.StringIO()
    terminal = Console(file=out, force_terminal=True, width=100, color_system=None)
    pacing = PacingReport(5.0, 18.0, 1.8, "predictive", 1.0)
    counted = replace(report(QueueState.RUNNING, 10), pacing=pacing, human_answered=8)
    live = replace(progress(QueueState.RUNNING, 10, 3.0), report=counted)
    terminal.print(replace(live, centre=CentreFigures(0.5, 0.25)).view())
    text = out.getvalue()
    for shown in ("dial ratio", "1.80", "occupancy", "50.0%", "last 10 s", "25.0%"):
        assert shown in text
    assert "0 of 8 people (0.0%)" in text
