"""The live page's rows: each execution's figures as JSON, its launch-rate history, and the
server-side filter and paging that keep one update small with thousands of executions.

Pure: no I/O. A figure that is not known is `None` (the page leaves its cell blank).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from queue_adapters.redis import ExecutionCounts
from queue_core.domain.abandonment import AbandonmentCounts

__all__ = [
    "HISTORY_POINTS",
    "HISTORY_STEP_S",
    "PAGE_SIZE_MAX",
    "PageQuery",
    "RateHistory",
    "page_document",
    "row_document",
]

# The chart shows the last 5 minutes, one point per 5 s.
HISTORY_STEP_S = 5.0
HISTORY_POINTS = 60
PAGE_SIZE_MAX = 200


@dataclass
class RateHistory:
    """One execution's launch rate and budget (launches/s), one point per `HISTORY_STEP_S`,
    the newest last, at most `HISTORY_POINTS`."""

    rate: deque[float] = field(default_factory=lambda: deque(maxlen=HISTORY_POINTS))
    budget: deque[float] = field(default_factory=lambda: deque(maxlen=HISTORY_POINTS))
    last_at: float = float("-inf")

    def add(self, at: float, rate: float, budget: float) -> None:
        """Take the point at `at` (unix s) if a step has passed since the last one taken."""
        if at - self.last_at < HISTORY_STEP_S:
            return
        self.last_at = at
        self.rate.append(round(rate, 3))
        self.budget.append(round(budget, 3))


@dataclass(frozen=True, slots=True)
class PageQuery:
    """Which rows one viewer sees: ids containing `text`, in `state` ("" for any), from
    `offset`, at most `size`."""

    text: str = ""
    state: str = ""
    offset: int = 0
    size: int = 50

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> PageQuery:
        """From a request's query parameters (`q`, `state`, `offset`, `size`); bad numbers
        fall back to the defaults, sizes are held within 1 and `PAGE_SIZE_MAX`."""
        offset = params.get("offset", "0")
        size = params.get("size", "50")
        return cls(
            text=params.get("q", "")[:128],
            state=params.get("state", "")[:32],
            offset=int(offset) if offset.isdigit() else 0,
            size=min(max(int(size), 1), PAGE_SIZE_MAX) if size.isdigit() else 50,
        )


def _rate(counts: AbandonmentCounts | None) -> float | None:
    """A rate to four places; None when nobody answered (nothing to divide by)."""
    if counts is None or not counts.human_answered:
        return None
    return round(counts.rate, 4)


def row_document(
    row: ExecutionCounts, campaign: AbandonmentCounts | None, history: RateHistory | None
) -> dict[str, Any]:
    """One execution's row, as the page reads it."""
    status, pacing = row.status, row.status.pacing
    own = AbandonmentCounts(status.human_answered, status.abandoned)
    return {
        "id": status.campaign_execution_id,
        "state": status.state.value,
        "reason": status.reason,
        "updated_at": status.updated_at or None,
        "cache_remaining": row.remaining,
        "claimed": row.claimed,
        "launched": status.launched,
        "dispositions": status.dispositions,
        "waiting": row.waiting,  # records waiting for their window or a retry
        "active": row.active,
        "human_answered": status.human_answered,
        "abandoned": status.abandoned,
        "abandon_rate": _rate(own),
        "campaign_id": status.campaign_id or None,
        "campaign_abandon_rate_30d": _rate(campaign) if status.campaign_id else None,
        "launch_rate": None if pacing is None else round(pacing.launch_rate, 3),
        "launch_budget": None if pacing is None else round(pacing.launch_budget, 3),
        "dial_ratio": None if pacing is None else round(pacing.dial_ratio, 3),
        "history": {
            "rate": [] if history is None else list(history.rate),
            "budget": [] if history is None else list(history.budget),
        },
    }


def page_document(rows: Sequence[dict[str, Any]], query: PageQuery, at: float) -> dict[str, Any]:
    """The rows `query` selects (`rows` sorted by id), with the counts a pager needs and the
    count of executions in each state (of all rows, before the filter)."""
    states: dict[str, int] = {}
    for row in rows:
        states[row["state"]] = states.get(row["state"], 0) + 1
    text = query.text.lower()
    matched = [
        row
        for row in rows
        if (not text or text in row["id"].lower())
        and (not query.state or row["state"] == query.state)
    ]
    return {
        "at": at,
        "total": len(rows),
        "matched": len(matched),
        "offset": query.offset,
        "size": query.size,
        "states": states,
        "rows": matched[query.offset : query.offset + query.size],
    }
