"""Ports wrapped to count and time what passes through them, for `/metrics`."""

from __future__ import annotations

import time
from collections.abc import Sequence

from queue_adapters.http.metrics import QueueMetrics
from queue_core.domain.contacts import ClaimedRecord, ContactAttempt
from queue_core.domain.disposition import Disposition
from queue_core.domain.launch import Launched, LaunchOutcome, LaunchRequest
from queue_core.domain.launch_schedule import SendTurn
from queue_core.ports import CallLauncher, Clock, ContactCache

__all__ = ["CountingCache", "CountingLauncher"]

_OUTCOMES = {
    "Launched": "launched",
    "RateLimited": "rate_limited",
    "Rejected": "rejected",
    "Ambiguous": "ambiguous",
}


class CountingLauncher:
    """Counts each launch by outcome, and times Twilio's answer: from when the create's bytes
    left (`Launched.sent_at`, on `time.monotonic()`), or, for an outcome that does not tell,
    from the call (the wait for its send turn included)."""

    def __init__(self, inner: CallLauncher, metrics: QueueMetrics) -> None:
        self._inner = inner
        self._metrics = metrics

    async def launch(self, request: LaunchRequest, turn: SendTurn | None = None) -> LaunchOutcome:
        called = time.monotonic()
        outcome = await self._inner.launch(request, turn)
        answered = time.monotonic()
        left = outcome.sent_at if isinstance(outcome, Launched) else None
        outcome_name = _OUTCOMES[type(outcome).__name__]
        seconds = answered - (called if left is None else left)
        self._metrics.twilio_create.labels(outcome_name).observe(max(0.0, seconds))
        execution = str(request.parameters.get("campaign_execution_id", ""))
        self._metrics.count_launch(execution, outcome_name)
        return outcome

    async def find_execution(self, flow_sid: str, to: str, created_after: float) -> str | None:
        return await self._inner.find_execution(flow_sid, to, created_after)


class CountingCache:
    """Counts each disposition published, by status, and times it from its launch (for a
    contact that was launched)."""

    def __init__(self, inner: ContactCache, metrics: QueueMetrics, clock: Clock) -> None:
        self._inner = inner
        self._metrics = metrics
        self._clock = clock

    async def claim(
        self, campaign_execution_id: str, owner: str, count: int, now: float
    ) -> list[ClaimedRecord]:
        return await self._inner.claim(campaign_execution_id, owner, count, now)

    async def return_to_head(
        self, campaign_execution_id: str, records: Sequence[ClaimedRecord]
    ) -> int:
        return await self._inner.return_to_head(campaign_execution_id, records)

    async def settle(
        self,
        campaign_execution_id: str,
        claim_id: str,
        disposition: Disposition,
        release: ContactAttempt | None = None,
    ) -> bool:
        settled = await self._inner.settle(campaign_execution_id, claim_id, disposition, release)
        if settled:
            status = disposition.status.value
            self._metrics.count_disposition(campaign_execution_id, status)
            if disposition.execution_sid:
                since = self._clock.now() - disposition.launched_at
                self._metrics.launch_to_disposition.labels(status).observe(max(0.0, since))
        return settled

    async def remaining(self, campaign_execution_id: str) -> int:
        return await self._inner.remaining(campaign_execution_id)

    async def claimed(self, campaign_execution_id: str) -> list[ClaimedRecord]:
        return await self._inner.claimed(campaign_execution_id)

    async def recover(self, campaign_execution_id: str, dead_owner: str) -> int:
        return await self._inner.recover(campaign_execution_id, dead_owner)
