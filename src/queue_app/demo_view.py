"""What `queue-service demo` shows: on a terminal a live view redrawn in place and a summary
table; piped, one plain progress line a second and the summary as `name: value` lines. With
agents, both show how busy the call centre's agents are (occupancy: talk time over staffed
time, since the start and over the last seconds) and the abandoned calls the dispositions
count (a person answered and no agent accepted within 2 s)."""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table

from queue_app.client import ExecutionReport

__all__ = ["RECENT_S", "CentreFigures", "DemoDisplay", "OccupancyMeter", "Progress", "summary_rows"]

# Piped, a progress line at most this often (seconds).
_PLAIN_EVERY_S = 1.0
RECENT_S = 10.0  # the recent occupancy is over this many seconds


@dataclass(frozen=True, slots=True)
class CentreFigures:
    """The agents' occupancy since the campaign started, and over the last `RECENT_S`."""

    occupancy: float
    recent: float


def _share(part: float, whole: float) -> float:
    return part / whole if whole > 0 else 0.0


class OccupancyMeter:
    """Occupancy from the call centre's running totals of talk and staffed seconds, each
    sample taken at monotonic `now`; the first sample is the start."""

    def __init__(self, recent_s: float = RECENT_S) -> None:
        self._recent_s = recent_s
        self._samples: deque[tuple[float, float, float]] = deque()
        self._first: tuple[float, float, float] | None = None

    def add(self, now: float, talk_s: float, staffed_s: float) -> CentreFigures:
        sample = (now, talk_s, staffed_s)
        first = self._first = self._first or sample
        samples = self._samples
        samples.append(sample)
        # Keep the last sample at or before the window's start: the window is whole.
        while len(samples) > 1 and samples[1][0] <= now - self._recent_s:
            samples.popleft()
        _, talk_then, staffed_then = samples[0]
        return CentreFigures(
            _share(talk_s - first[1], staffed_s - first[2]),
            _share(talk_s - talk_then, staffed_s - staffed_then),
        )


def _abandoned(report: ExecutionReport | None) -> str:
    people, abandoned = (report.human_answered, report.abandoned) if report else (0, 0)
    return f"{abandoned} of {people} people ({_share(abandoned, people):.1%})"


@dataclass(frozen=True, slots=True)
class Progress:
    """The campaign as the demo sees it now."""

    execution: str
    mode: str
    contacts: int
    report: ExecutionReport | None
    by_status: Counter[str]
    rate: float
    budget: float
    elapsed: float
    centre: CentreFigures | None = None  # None: no agents

    @property
    def state(self) -> str:
        return self.report.state.value if self.report else "starting"

    @property
    def launched(self) -> int:
        return self.report.launched if self.report else 0

    @property
    def active(self) -> int:
        return self.report.active if self.report else 0

    def line(self) -> str:
        statuses = " ".join(f"{s}={n}" for s, n in sorted(self.by_status.items()))
        statuses = f" ({statuses})" if statuses else ""
        return (
            f"{self.elapsed:6.1f} s  {self.state:<9}  launched {self.launched}/{self.contacts}"
            f"  in flight {self.active}  launch rate {self.rate:.2f}/s of {self.budget:.2f}/s"
            f"{self._agents()}  dispositions {sum(self.by_status.values())}{statuses}"
        )

    def _agents(self) -> str:
        if self.centre is None:
            return ""
        return (
            f"  occupancy {self.centre.occupancy:.1%} (last {RECENT_S:g} s "
            f"{self.centre.recent:.1%})  abandoned {_abandoned(self.report)}"
        )

    def view(self) -> Group:
        head = Table.grid(padding=(0, 2))
        head.add_row("execution", self.execution, "state", self.state)
        head.add_row("elapsed", f"{self.elapsed:5.1f} s", "mode", self.mode)
        head.add_row(
            "launched", f"{self.launched} / {self.contacts}", "in flight", str(self.active)
        )
        head.add_row("launch rate", f"{self.rate:5.2f}/s", "budget", f"{self.budget:5.2f}/s")
        pacing = self.report.pacing if self.report else None
        if pacing is not None:
            head.add_row("dial ratio", f"{pacing.dial_ratio:.2f}", "pacing", pacing.reason)
        if self.centre is not None:
            head.add_row(
                "occupancy",
                f"{self.centre.occupancy:.1%}",
                f"last {RECENT_S:g} s",
                f"{self.centre.recent:.1%}",
            )
            head.add_row("abandoned", _abandoned(self.report))
        table = Table("status", "dispositions", title="Dispositions")
        for status, count in sorted(self.by_status.items()):
            table.add_row(status, str(count))
        table.add_row("[b]total[/b]", f"[b]{sum(self.by_status.values())}[/b]")
        return Group(head, table)


class DemoDisplay:
    """Shows each `Progress` it is given: live on a terminal, a line a second when piped."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self._live = (
            Live(console=console, refresh_per_second=8, transient=False)
            if console.is_terminal
            else None
        )
        self._printed_at = -_PLAIN_EVERY_S
        self._unprinted: Progress | None = None  # piped: the last one, when not yet printed

    def __enter__(self) -> DemoDisplay:
        if self._live is not None:
            self._live.__enter__()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._live is not None:
            self._live.__exit__(kind, error, traceback)
        elif self._unprinted is not None:
            self._print(self._unprinted)  # the final state, not only the last second's

    def show(self, progress: Progress) -> None:
        if self._live is not None:
            self._live.update(progress.view())
        elif time.monotonic() - self._printed_at >= _PLAIN_EVERY_S:
            self._print(progress)
        else:
            self._unprinted = progress

    def _print(self, progress: Progress) -> None:
        self._printed_at = time.monotonic()
        self._unprinted = None
        self._console.print(progress.line(), highlight=False, markup=False, soft_wrap=True)

    def summary(self, rows: Sequence[tuple[str, str]]) -> None:
        if self._console.is_terminal:
            table = Table(title="Summary", show_header=False)
            for name, value in rows:
                table.add_row(name, value)
            self._console.print(table)
            return
        self._console.print("Summary", highlight=False, markup=False)
        for name, value in rows:
            self._console.print(f"{name}: {value}", highlight=False, markup=False, soft_wrap=True)


def summary_rows(
    contacts: int,
    sources: str,
    report: ExecutionReport | None,
    by_status: Counter[str],
    stats: dict[str, Any],
    budget: float,
    elapsed: float,
    centre: CentreFigures | None = None,
) -> list[tuple[str, str]]:
    """The summary; with `centre` (agents took the calls), their occupancy and the abandoned
    calls too."""
    total = sum(by_status.values())
    once = "yes" if total == contacts else "NO"
    agents = []
    if centre is not None:
        agents = [("agent occupancy", f"{centre.occupancy:.1%}"), ("abandoned", _abandoned(report))]
    return [
        ("contacts", str(contacts)),
        ("Twilio sources", sources),
        ("dispositions", f"{total} (one per contact: {once})"),
        ("launched", str(report.launched if report else 0)),
        (
            "most launches in any second",
            f"{int(stats['max_launches_in_1s'])} (budget {budget:.2f}/s)",
        ),
        ("429 answers", str(stats["answered_429"])),
        *agents,
        ("took", f"{elapsed:.1f} s"),
        ("final state", report.state.value if report else "unknown"),
    ]
