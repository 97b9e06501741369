"""The in-memory `AbandonmentCounters`: what `FakeContactCache.settle` counted in the shared
`InMemoryBackend` (the execution's counts on its status, the campaign's per UTC day)."""

from __future__ import annotations

from queue_core.domain.abandonment import AbandonmentCounts
from tests.fakes.stores import InMemoryBackend


class FakeAbandonmentCounters:
    def __init__(self, backend: InMemoryBackend) -> None:
        self.backend = backend

    async def of_execution(self, campaign_execution_id: str) -> AbandonmentCounts:
        status = self.backend.states.get(campaign_execution_id)
        if status is None:
            return AbandonmentCounts()
        return AbandonmentCounts(status.human_answered, status.abandoned)

    async def of_campaign(self, campaign_id: str, now: float) -> AbandonmentCounts:
        return self.backend.campaign_counts(campaign_id, now)
