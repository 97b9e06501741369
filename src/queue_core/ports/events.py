"""The `EventPublisher` port: the queue events other services watch."""

from __future__ import annotations

from typing import Protocol

from queue_core.domain.queue_events import QueueEvent

__all__ = ["EventPublisher"]


class EventPublisher(Protocol):
    """The queue events stream (the contract's `queue_event_stream`): what happened to each
    execution (started, paused, completed...), for the campaign manager and others to watch."""

    async def publish(self, event: QueueEvent) -> str:
        """Append the event to the stream, after every event appended before it; returns the
        id the stream gave it (what a reader resumes after). Not idempotent: an event retried
        after `StoreUnavailable` may appear twice, so readers get queue events at least once."""
        ...
