"""The `PacingStatsSource` port: what the stats service knows of each task queue's agents."""

from __future__ import annotations

from typing import Protocol

from queue_core.domain.stats import QueueStats

__all__ = ["PacingStatsSource"]


class PacingStatsSource(Protocol):
    """The stats service's latest figures for each TaskRouter task queue (available agents,
    pending tasks), written by that service and only read here."""

    async def read(self, task_queue_sid: str) -> QueueStats | None:
        """The latest figures for the task queue; None when there are none or they cannot be
        read (`QueueStats.parse`: too large or too deeply nested included), never an error
        but `StoreUnavailable`. Staleness is the caller's to judge (`QueueStats.is_stale`)."""
        ...
