"""`PacingStatsSource` on Redis: one field of the stats service's `task_queue_stats` hash."""

from __future__ import annotations

from queue_adapters.redis._errors import unavailable
from queue_adapters.redis.connection import RedisClient
from queue_adapters.redis.keys import RedisKeys
from queue_core.domain.stats import QueueStats

__all__ = ["RedisPacingStatsSource"]


class RedisPacingStatsSource:
    """The `PacingStatsSource` port: HGET, then the core's tolerant parse."""

    def __init__(self, client: RedisClient, *, keys: RedisKeys | None = None) -> None:
        self._client = client
        self._key = (keys or RedisKeys()).task_queue_stats

    async def read(self, task_queue_sid: str) -> QueueStats | None:
        with unavailable():
            raw = await self._client.hget(self._key, task_queue_sid)
        return QueueStats.parse(raw)
