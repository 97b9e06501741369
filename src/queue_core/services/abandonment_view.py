"""What one runner knows of its abandonment counts (ADR 0025): its execution's, read with each
pacing decision for the pacer, and its campaign's 30 days, read at most every
`CAMPAIGN_READ_S` (thirty days move slowly), for the metrics."""

from __future__ import annotations

import math

from queue_core.domain.abandonment import AbandonmentCounts
from queue_core.ports import AbandonmentCounters, Clock

__all__ = ["CAMPAIGN_READ_S", "AbandonmentView"]

CAMPAIGN_READ_S = 10.0


class AbandonmentView:
    """The last counts read for one execution (zero without a counters port)."""

    def __init__(
        self,
        counters: AbandonmentCounters | None,
        execution_id: str,
        campaign_id: str | None,
        clock: Clock,
    ) -> None:
        self._counters = counters
        self._execution_id = execution_id
        self._campaign_id = campaign_id or ""
        self._clock = clock
        self._campaign_read_at = -math.inf
        self.execution = AbandonmentCounts()
        self.campaign: AbandonmentCounts | None = None  # None: no campaign, or not read yet

    async def refresh(self) -> AbandonmentCounts:
        """Read the execution's counts (and the campaign's, when due); returns the
        execution's. Raises `StoreUnavailable`."""
        if self._counters is None:
            return self.execution
        self.execution = await self._counters.of_execution(self._execution_id)
        now = self._clock.monotonic()
        if self._campaign_id and now - self._campaign_read_at >= CAMPAIGN_READ_S:
            self._campaign_read_at = now
            self.campaign = await self._counters.of_campaign(self._campaign_id, self._clock.now())
        return self.execution
