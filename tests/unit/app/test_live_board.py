"""The live board: rows with blanks for what is unknown, the launch-rate history, the
server-side filter and paging, and one tick per refresh for every viewer (no I/O)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from queue_adapters.redis import ExecutionCounts
from queue_app.board import LiveBoard
from queue_app.board_rows import HISTORY_POINTS, HISTORY_STEP_S, PageQuery, RateHistory
from queue_core.domain.abandonment import AbandonmentCounts
from queue_core.domain.state import QueueState
from queue_core.ports import ExecutionStatus, PacingReport
from tests.fakes.clock import FakeClock


class StubReads:
    def __init__(self, statuses: list[ExecutionStatus]) -> None:
        self.statuses = {s.campaign_execution_id: s for s in statuses}
        self.reads = 0

    async def executions(self) -> list[str]:
        return sorted(self.statuses)

    async def read(self, execution_ids: Sequence[str]) -> list[ExecutionCounts]:
        self.reads += 1
        found = [self.statuses[i] for i in execution_ids if i in self.statuses]
        return [ExecutionCounts(s, remaining=10, active=2, claimed=3, waiting=4) for s in found]

    async def recent_dispositions(
        self, execution_id: str, *, scan: int = 5000
    ) -> list[dict[str, str]]:
        return [{"status": s, "record_id": f"r-{i}"} for i, s in enumerate(["busy", "busy", "ok"])]


class StubCampaigns:
    def __init__(self) -> None:
        self.asked: list[str] = []

    async def of_execution(self, campaign_execution_id: str) -> AbandonmentCounts:
        return AbandonmentCounts()

    async def of_campaign(self, campaign_id: str, now: float) -> AbandonmentCounts:
        self.asked.append(campaign_id)
        return AbandonmentCounts(human_answered=200, abandoned=5)


def status(
    execution_id: str, state: QueueState = QueueState.RUNNING, **kw: object
) -> ExecutionStatus:
    return ExecutionStatus(execution_id, state, **kw)  # type: ignore[arg-type]


PACING = PacingReport(launch_rate=4.5, launch_budget=9.0, dial_ratio=1.5, reason="", at=0.0)


async def test_a_row_leaves_unknown_figures_blank_and_fills_known_ones() -> None:
    reads = StubReads(
        [
            status("ce-new"),
            status("ce-run", launched=40, human_answered=20, abandoned=1, campaign_id="c-7",
                   pacing=PACING),
        ]
    )  # fmt: skip
    board = LiveBoard(reads, StubCampaigns(), FakeClock())

    await board.refresh()

    new, run = board.rows
    assert new["id"] == "ce-new"
    for blank in ("abandon_rate", "campaign_abandon_rate_30d", "dial_ratio", "launch_rate"):
        assert new[blank] is None, blank
    assert new["waiting"] == 4
    assert (run["abandon_rate"], run["campaign_abandon_rate_30d"]) == (0.05, 0.025)
    assert (run["launch_rate"], run["launch_budget"], run["dial_ratio"]) == (4.5, 9.0, 1.5)
    assert (run["cache_remaining"], run["active"], run["claimed"]) == (10, 2, 3)
    assert run["history"] == {"rate": [4.5], "budget": [9.0]}


async def test_campaign_counts_are_read_once_per_period_and_shared() -> None:
    reads = StubReads([status(f"ce-{i}", campaign_id="c-1") for i in range(5)])
    campaigns = StubCampaigns()
    clock = FakeClock()
    board = LiveBoard(reads, campaigns, clock)

    await board.refresh()
    clock.advance(1.0)
    await board.refresh()
    clock.advance(10.0)
    await board.refresh()

    assert campaigns.asked == ["c-1", "c-1"]


def test_the_history_keeps_one_point_per_step_for_the_last_minutes() -> None:
    history = RateHistory()
    for second in range(0, 1000):
        history.add(float(second), rate=second / 100, budget=9.0)

    assert len(history.rate) == HISTORY_POINTS
    assert history.rate[-1] == round(995 / 100, 3)
    assert history.rate[-2] == round((995 - HISTORY_STEP_S) / 100, 3)


async def test_the_page_is_filtered_and_paged_on_the_server() -> None:
    statuses = [status(f"ce-{i:04d}") for i in range(1000)]
    statuses += [status(f"ce-p{i}", QueueState.PAUSED) for i in range(3)]
    board = LiveBoard(StubReads(statuses), StubCampaigns(), FakeClock())
    await board.refresh()

    first = board.page(PageQuery(size=50))
    some = board.page(PageQuery.parse({"q": "ce-09", "offset": "20", "size": "30"}))
    paused = board.page(PageQuery.parse({"state": "paused"}))

    assert (first["total"], first["matched"], len(first["rows"])) == (1003, 1003, 50)
    assert first["states"] == {"running": 1000, "paused": 3}
    assert some["matched"] == 100
    assert [r["id"] for r in some["rows"]][:2] == ["ce-0920", "ce-0921"]
    assert len(some["rows"]) == 30
    assert [r["id"] for r in paused["rows"]] == ["ce-p0", "ce-p1", "ce-p2"]


def test_page_queries_hold_their_bounds() -> None:
    assert PageQuery.parse({"size": "100000", "offset": "-3"}) == PageQuery(size=200)
    assert PageQuery.parse({"size": "0"}).size == 1
    assert PageQuery.parse({"q": "x" * 500}).text == "x" * 128


async def test_every_viewer_gets_a_tick_per_refresh_and_the_ticks_end_when_it_stops() -> None:
    reads = StubReads([status("ce-1")])
    board = LiveBoard(reads, StubCampaigns(), FakeClock())
    stop = asyncio.Event()
    seen = {"a": 0, "b": 0}

    async def viewer(name: str) -> None:
        async for _ in board.ticks():
            seen[name] += 1
            if min(seen.values()) >= 3:
                stop.set()

    runner = asyncio.create_task(board.run(stop))
    await asyncio.wait_for(asyncio.gather(viewer("a"), viewer("b"), runner), timeout=10)

    assert min(seen.values()) >= 3  # each viewer's first tick at once, then one per refresh
    assert reads.reads <= max(seen.values()) + 1  # one read per tick, whoever watches
    assert board.watchers == 0
    assert board.stopped


async def test_detail_counts_the_statuses_of_the_recent_dispositions() -> None:
    board = LiveBoard(StubReads([status("ce-1")]), StubCampaigns(), FakeClock())

    detail = await board.detail("ce-1")
    missing = await board.detail("ce-none")

    assert detail is not None
    assert detail["breakdown"] == {"busy": 2, "ok": 1}
    assert [d["record_id"] for d in detail["dispositions"]] == ["r-0", "r-1", "r-2"]
    assert missing is None
