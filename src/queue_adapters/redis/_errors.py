"""Translate the Redis client's transient failures into the core's `StoreUnavailable`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from redis import exceptions as redis_errors

from queue_core.domain.errors import StoreUnavailable

__all__ = ["unavailable"]

# Failures that say "Redis cannot serve this now", not "this request is wrong": the caller
# retries with backoff. ConnectionError covers BusyLoadingError and MaxConnectionsError.
_TRANSIENT: tuple[type[Exception], ...] = (
    redis_errors.ConnectionError,
    redis_errors.TimeoutError,
    redis_errors.ClusterDownError,
    redis_errors.TryAgainError,
    redis_errors.ReadOnlyError,
    redis_errors.OutOfMemoryError,
    redis_errors.SlotNotCoveredError,
    TimeoutError,
)


@contextmanager
def unavailable() -> Iterator[None]:
    """Run a block of Redis calls; raise `StoreUnavailable` when Redis cannot be reached."""
    try:
        yield
    except _TRANSIENT as exc:
        raise StoreUnavailable(f"redis: {type(exc).__name__}: {exc}") from exc
