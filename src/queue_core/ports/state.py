"""The `QueueStateStore` port: each execution's stored state, counts and pacing report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from queue_core.domain.state import QueueState

__all__ = ["ExecutionStatus", "PacingReport", "QueueStateStore"]


@dataclass(frozen=True, slots=True)
class ExecutionStatus:
    """The stored state of one execution. Counts are maintained by the stores that change them
    (`record_launch` counts launches, `settle` counts dispositions)."""

    campaign_execution_id: str
    state: QueueState
    launched: int = 0
    dispositions: int = 0
    owner: str = ""
    updated_at: float = 0.0
    reason: str = ""
    request_id: str = ""
    pacing: PacingReport | None = None


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

    async def save_state(
        self,
        campaign_execution_id: str,
        state: QueueState,
        now: float,
        reason: str = "",
        request_id: str = "",
    ) -> None:
        """Store the state, with the reason and request id of the command that changed it
        (echoed on the event that ends the change, such as `stopped`); counts untouched."""
        ...

    async def save_pacing(self, campaign_execution_id: str, report: PacingReport) -> None:
        """Store the runner's latest pacing report (state and counts untouched)."""
        ...

    async def reset_counts(self, campaign_execution_id: str) -> None:
        """Zero the counts: a new `start` after an ended run."""
        ...

    async def executions(self) -> list[str]:
        """Every execution with a stored state."""
        ...
