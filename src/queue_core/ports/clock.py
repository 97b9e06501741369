"""The `Clock` port: time, injected so the core never reads it."""

from __future__ import annotations

from typing import Protocol

__all__ = ["Clock"]


class Clock(Protocol):
    """Two clocks and a way to wait on them. `now` and `monotonic` are plain methods, not
    coroutines; they never fail."""

    def now(self) -> float:
        """Wall-clock unix seconds: timestamps of events and dispositions. May jump (the
        machine's clock is set); never use it to measure a duration."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back, from an arbitrary origin: pacing and
        timeouts. Only differences of two readings of the same clock mean anything."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait `seconds` of `monotonic` time (a fake clock advances virtually); 0 or less
        only lets other tasks run."""
        ...
