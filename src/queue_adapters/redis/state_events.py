"""The events of state transitions, published in the order of the transitions, each once.

`transition.lua` keeps the event of a transition in the execution's state hash (`events`:
the ones not yet published, oldest first) in the step that makes the transition. Publishing
is a second script in the slot of `queue_event_stream` (XADD plus a `published` marker,
skipped when the marker exists), then a third drops the event from the hash. Whoever
publishes takes every event still kept, oldest first, so no event reaches the stream before
an earlier one of its execution; the marker makes two publishers (the one that made the
transition and the next one, or the relay) harmless. ADR 0018.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from queue_adapters.redis._errors import unavailable
from queue_adapters.redis._scripts import Scripts
from queue_adapters.redis.connection import RedisClient
from queue_adapters.redis.keys import RedisKeys
from queue_adapters.redis.options import RedisOptions
from queue_core.domain.queue_events import QueueEvent

__all__ = ["Pending", "StateEvents", "decode_pending"]

Pending = list[tuple[str, QueueEvent]]  # (event id, event), oldest first


def decode_pending(raw: str | bytes) -> Pending:
    """The events a transition script returns (or the hash keeps), as values."""
    return [(str(event_id), QueueEvent.from_fields(fields)) for event_id, fields in json.loads(raw)]


class StateEvents:
    """Publishes the events that transitions keep in `queue:state:{<id>}`."""

    def __init__(self, client: RedisClient, keys: RedisKeys, options: RedisOptions) -> None:
        self._client = client
        self._keys = keys
        self._options = options
        self._scripts = Scripts(client)

    async def publish(self, execution_id: str, pending: Pending) -> int:
        """Publish `pending` in order, each unless already published, and drop each from the
        hash. Returns how many this call added to the stream. Raises `StoreUnavailable`."""
        added = 0
        state = self._keys.execution(execution_id).state
        for event_id, event in pending:
            args: list[str | int | float] = [
                self._options.published_marker_ttl_s,
                self._options.stream_maxlen or 0,
            ]
            for name, value in event.to_fields().items():
                args += [name, value]
            marker = self._keys.published_event(execution_id, event_id)
            with unavailable():
                entry = await self._scripts.run(
                    "publish", [self._keys.queue_event_stream, marker], args
                )
                await self._scripts.run("announced", [state], [event_id])
            added += entry is not None
        return added

    async def relay(self, execution_id: str) -> int:
        """Publish the events of the execution still kept (a crash, or the stream out of
        reach, between a transition and its publication). Returns how many were added."""
        with unavailable():
            raw = await self._client.hget(self._keys.execution(execution_id).state, "events")
        return 0 if raw is None else await self.publish(execution_id, decode_pending(raw))

    async def with_events(self, execution_ids: Sequence[str]) -> list[str]:
        """The executions among these that keep events not yet published, in one request."""
        if not execution_ids:
            return []
        with unavailable():
            pipe = self._client.pipeline(transaction=False)
            for execution_id in execution_ids:
                pipe.hexists(self._keys.execution(execution_id).state, "events")
            kept: list[Any] = await pipe.execute()
        return [e for e, has in zip(execution_ids, kept, strict=True) if has]
