"""`AbandonmentCounters` on Redis: what the settle and publish scripts counted (ADR 0025).

An execution's counts are fields of its state hash (`human_answered`, `abandoned`), moved by
the settle script and reset with its other counts; a campaign's are one hash per UTC day in
the slot of `call_dispositions`, moved by the script that publishes a disposition. Reading a
campaign's 30 days is one pipeline to the node of that slot.
"""

from __future__ import annotations

from queue_adapters.redis._abandonment import campaign_counts, execution_counts
from queue_adapters.redis._errors import unavailable
from queue_adapters.redis.connection import RedisClient
from queue_adapters.redis.keys import RedisKeys
from queue_core.domain.abandonment import AbandonmentCounts

__all__ = ["RedisAbandonmentCounters"]


class RedisAbandonmentCounters:
    """The `AbandonmentCounters` port on one Redis server or cluster."""

    def __init__(self, client: RedisClient, *, keys: RedisKeys | None = None) -> None:
        self._client = client
        self._keys = keys or RedisKeys()

    async def of_execution(self, campaign_execution_id: str) -> AbandonmentCounts:
        with unavailable():
            return await execution_counts(self._client, self._keys, campaign_execution_id)

    async def of_campaign(self, campaign_id: str, now: float) -> AbandonmentCounts:
        with unavailable():
            return await campaign_counts(self._client, self._keys, campaign_id, now)
