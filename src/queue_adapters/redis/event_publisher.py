"""`EventPublisher` on Redis: XADD to `queue_event_stream`."""

from __future__ import annotations

from queue_adapters.redis._errors import unavailable
from queue_adapters.redis._wire import stream_fields, text
from queue_adapters.redis.connection import RedisClient
from queue_adapters.redis.keys import RedisKeys
from queue_adapters.redis.options import RedisOptions
from queue_core.domain.queue_events import QueueEvent

__all__ = ["RedisEventPublisher"]


class RedisEventPublisher:
    """The `EventPublisher` port; trims approximately to `stream_maxlen` when that is set."""

    def __init__(
        self,
        client: RedisClient,
        *,
        keys: RedisKeys | None = None,
        options: RedisOptions | None = None,
    ) -> None:
        self._client = client
        self._stream = (keys or RedisKeys()).queue_event_stream
        self._maxlen = (options or RedisOptions()).stream_maxlen

    async def publish(self, event: QueueEvent) -> str:
        with unavailable():
            entry_id = await self._client.xadd(
                self._stream,
                stream_fields(event.to_fields()),
                maxlen=self._maxlen,
                approximate=True,
            )
        return text(entry_id)
