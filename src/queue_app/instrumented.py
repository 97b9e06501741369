"""Ports wrapped to count what passes through them, for `/metrics`."""

from __future__ import annotations

from collections.abc import Sequence

from queue_adapters.http.metrics import QueueMetrics
from queue_core.domain.contacts import ClaimedRecord, ContactAttempt
from queue_core.domain.disposition import Disposition
from queue_core.domain.launch import LaunchOutcome, LaunchRequest
from queue_core.domain.launch_schedule import SendTurn
from queue_core.ports import CallLauncher, ContactCache

__all__ = ["CountingCache", "CountingLauncher"]

_OUTCOMES = {
    "Launched": "launched",
    "RateLimited": "rate_limited",
    "Rejected": "rejected",
    "Ambiguous": "ambiguous",
}


class CountingLauncher:
    def __init__(self, inner: CallLauncher, metrics: QueueMetrics) -> None:
        self._inner = inner
        self._metrics = metrics

    async def launch(self, request: LaunchRequest, turn: SendTurn | None = None) -> LaunchOutcome:
        outcome = await self._inner.launch(request, turn)
        execution = str(request.parameters.get("campaign_execution_id", ""))
        self._metrics.launches.labels(execution, _OUTCOMES[type(outcome).__name__]).inc()
        return outcome

    async def find_execution(self, flow_sid: str, to: str, created_after: float) -> str | None:
        return await self._inner.find_execution(flow_sid, to, created_after)


class CountingCache:
    def __init__(self, inner: ContactCache, metrics: QueueMetrics) -> None:
        self._inner = inner
        self._metrics = metrics

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
            self._metrics.dispositions.labels(campaign_execution_id, disposition.status.value).inc()
        return settled

    async def remaining(self, campaign_execution_id: str) -> int:
        return await self._inner.remaining(campaign_execution_id)

    async def claimed(self, campaign_execution_id: str) -> list[ClaimedRecord]:
        return await self._inner.claimed(campaign_execution_id)

    async def recover(self, campaign_execution_id: str, dead_owner: str) -> int:
        return await self._inner.recover(campaign_execution_id, dead_owner)
