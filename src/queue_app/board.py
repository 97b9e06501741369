"""`LiveBoard`: what the live page shows, read from Redis once per tick for every viewer.

One loop (`run`) reads every stored execution (`RedisExecutionBoard`: one pipelined request
per 200) every `WATCHED_EVERY_S` while a page is open, every `HISTORY_STEP_S` otherwise (so
that the launch-rate charts have their last minutes when a page opens), and each campaign's
30-day abandonment at most every `CAMPAIGN_EVERY_S`. Each open page then gets its own
filtered page of the rows (`board_rows.page_document`) after each tick: the cost of a tick
does not grow with the viewers, and what one viewer is sent does not grow with the
executions. The board shows every execution in the store, whichever instance runs it.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from typing import Any, Protocol

from queue_adapters.redis import ExecutionCounts
from queue_app.board_rows import (
    HISTORY_STEP_S,
    PageQuery,
    RateHistory,
    page_document,
    row_document,
)
from queue_core.domain.abandonment import AbandonmentCounts
from queue_core.domain.errors import StoreUnavailable
from queue_core.ports import AbandonmentCounters, Clock

__all__ = ["CAMPAIGN_EVERY_S", "WATCHED_EVERY_S", "BoardReads", "LiveBoard"]

log = logging.getLogger("queue_app.board")

WATCHED_EVERY_S = 1.0
CAMPAIGN_EVERY_S = 10.0
# The recent dispositions of one execution are looked for among the stream's newest entries.
DISPOSITIONS_SCAN = 5000
DISPOSITIONS_SHOWN = 50


class BoardReads(Protocol):
    """What the board reads (`queue_adapters.redis.RedisExecutionBoard`)."""

    async def executions(self) -> list[str]: ...

    async def read(self, execution_ids: Sequence[str]) -> list[ExecutionCounts]: ...

    async def recent_dispositions(
        self, execution_id: str, *, scan: int = 5000
    ) -> list[dict[str, str]]: ...


class LiveBoard:
    """The rows of every stored execution, refreshed by `run`, and a tick per refresh."""

    def __init__(self, reads: BoardReads, abandonment: AbandonmentCounters, clock: Clock) -> None:
        self._reads = reads
        self._abandonment = abandonment
        self._clock = clock
        self.rows: list[dict[str, Any]] = []
        self.at = 0.0
        self.problem = ""  # why the last refresh failed, "" when it worked
        self.watchers = 0
        self.stopped = False
        self._histories: dict[str, RateHistory] = {}
        self._campaigns: dict[str, tuple[float, AbandonmentCounts]] = {}
        self._tick = asyncio.Event()
        self._wake = asyncio.Event()

    async def refresh(self) -> None:
        """Read every stored execution and make the rows. Raises `StoreUnavailable`."""
        now = self._clock.now()
        found = await self._reads.read(await self._reads.executions())
        campaigns = await self._campaign_counts(found, now)
        rows = []
        for counts in found:
            status = counts.status
            history = self._histories.setdefault(status.campaign_execution_id, RateHistory())
            if status.pacing is not None:
                history.add(now, status.pacing.launch_rate, status.pacing.launch_budget)
            rows.append(row_document(counts, campaigns.get(status.campaign_id), history))
        kept = {row["id"] for row in rows}
        self._histories = {k: v for k, v in self._histories.items() if k in kept}
        self.rows, self.at = rows, now

    async def _campaign_counts(
        self, found: Sequence[ExecutionCounts], now: float
    ) -> dict[str, AbandonmentCounts]:
        """Each named campaign's 30-day counts, read again once `CAMPAIGN_EVERY_S` old."""
        named = {c.status.campaign_id for c in found if c.status.campaign_id}
        for campaign in named:
            read_at, _ = self._campaigns.get(campaign, (float("-inf"), None))
            if now - read_at >= CAMPAIGN_EVERY_S:
                counts = await self._abandonment.of_campaign(campaign, now)
                self._campaigns[campaign] = (now, counts)
        self._campaigns = {k: v for k, v in self._campaigns.items() if k in named}
        return {campaign: counts for campaign, (_, counts) in self._campaigns.items()}

    def page(self, query: PageQuery) -> dict[str, Any]:
        """One viewer's page of the rows as last refreshed."""
        document = page_document(self.rows, query, self.at)
        document["problem"] = self.problem or None
        return document

    def row(self, execution_id: str) -> dict[str, Any] | None:
        return next((row for row in self.rows if row["id"] == execution_id), None)

    async def detail(self, execution_id: str) -> dict[str, Any] | None:
        """One execution's row, its newest dispositions and the count of each status among
        the dispositions read; None when it was never started. Raises `StoreUnavailable`."""
        found = await self._reads.read([execution_id])
        if not found:
            return None
        campaign = await self._campaign_counts(found, self._clock.now())
        row = row_document(
            found[0], campaign.get(found[0].status.campaign_id), self._histories.get(execution_id)
        )
        dispositions = await self._reads.recent_dispositions(execution_id, scan=DISPOSITIONS_SCAN)
        return {
            "at": self._clock.now(),
            "execution": row,
            "dispositions": dispositions[:DISPOSITIONS_SHOWN],
            "breakdown": dict(Counter(d.get("status", "") for d in dispositions)),
            "scanned": DISPOSITIONS_SCAN,
        }

    async def ticks(self) -> AsyncIterator[None]:
        """One item now, then one after each refresh, for as long as the caller iterates;
        counts the caller as a watcher meanwhile (refreshes are then every second). Ends
        when the board stops."""
        self.watchers += 1
        self._wake.set()
        try:
            yield None
            while not self.stopped:
                await self._tick.wait()
                if not self.stopped:
                    yield None
        finally:
            self.watchers -= 1

    async def run(self, stop: asyncio.Event) -> None:
        """Refresh until `stop` is set: every `WATCHED_EVERY_S` while someone watches, every
        `HISTORY_STEP_S` otherwise. A failed refresh keeps the last rows and says why. When
        stopped, every `ticks` ends."""
        try:
            await self._refreshing(stop)
        finally:
            self.stopped = True
            self._tick.set()

    async def _refreshing(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.refresh()
                self.problem = ""
            except StoreUnavailable as exc:
                if not self.problem:
                    log.warning("live page: store unavailable: %s", exc)
                self.problem = f"store unavailable: {exc}"
            tick, self._tick = self._tick, asyncio.Event()
            tick.set()
            self._wake.clear()
            every = WATCHED_EVERY_S if self.watchers else HISTORY_STEP_S
            waits = [asyncio.ensure_future(e.wait()) for e in (stop, self._wake)]
            _, pending = await asyncio.wait(waits, timeout=every, return_when="FIRST_COMPLETED")
            for waiting in pending:
                waiting.cancel()
