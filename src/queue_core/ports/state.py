"""The `QueueStateStore` port: each execution's stored state, counts and pacing report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from queue_core.domain.state import QueueState, Transition

__all__ = ["ExecutionStatus", "PacingReport", "QueueStateStore"]


@dataclass(frozen=True, slots=True)
class ExecutionStatus:
    """The stored state of one execution. Counts are maintained by the stores that change them
    (`record_launch` counts launches, `settle` counts dispositions and person-answered and
    abandoned calls). `campaign_id` is the one its `start` named ("" for none)."""

    campaign_execution_id: str
    state: QueueState
    launched: int = 0
    dispositions: int = 0
    owner: str = ""
    updated_at: float = 0.0
    reason: str = ""
    request_id: str = ""
    pacing: PacingReport | None = None
    human_answered: int = 0
    abandoned: int = 0
    campaign_id: str = ""


@dataclass(frozen=True, slots=True)
class PacingReport:
    """How an execution paces now, as its runner last reported it (for `status`)."""

    launch_rate: float  # launches/s over the last 10 s
    launch_budget: float  # launches/s this execution may use
    dial_ratio: float
    reason: str  # the pacer's last reason
    at: float  # when reported (unix s)


class QueueStateStore(Protocol):
    async def load(self, campaign_execution_id: str) -> ExecutionStatus | None:
        """None for an execution never started."""
        ...

    async def load_states(self, campaign_execution_ids: Sequence[str]) -> list[QueueState]:
        """The stored state of each execution, in the order asked, in one request: IDLE for
        one never started, or whose hash holds counts only (as `load` reads it). Not atomic
        across executions: each is its state at some moment of the request."""
        ...

    async def transition(
        self,
        campaign_execution_id: str,
        expected: QueueState,
        move: Transition,
        now: float,
        reason: str = "",
        request_id: str = "",
        campaign_id: str | None = None,
    ) -> bool:
        """Carry `move` out, in one atomic step, if the stored state is `expected` (IDLE:
        nothing stored, or counts only), and return True; else change nothing, return False.

        The step: store `move.new` at `now` with the reason and request id of what caused it
        (unless `move.keeps_cause`: those stored stay); zero the counts when
        `move.resets_counts`; store `campaign_id` when given ("": the execution names none;
        None: keep the stored one); nothing of that when not `move.stores`. And when
        `move.announces`, the event: at `now`, with the reason and request id (the stored
        ones when `move.keeps_cause`; None when empty), the counts and calls in flight right
        after the step, and the campaign's 30-day abandonment rate (`AbandonmentCounters`,
        read just before the step, rounded to four places) when a campaign is known. The
        events of one execution reach `queue_event_stream` in the order of its transitions,
        each once; one the step stored but could not publish yet (the stream unreachable, a
        crash) is published before the execution's next one.
        Raises `StoreUnavailable` when the step may not have happened."""
        ...

    async def save_pacing(self, campaign_execution_id: str, report: PacingReport) -> None:
        """Store the runner's latest pacing report (state and counts untouched)."""
        ...

    async def executions(self) -> list[str]:
        """Every execution with a stored state."""
        ...
