"""Store steps run until the store answers: nothing a runner owes the store is dropped."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from queue_core.domain.errors import StoreUnavailable
from queue_core.ports import Clock

__all__ = ["StoreRetry"]


class StoreRetry:
    """Backs off between asks of a store that raised `StoreUnavailable`: doubling from 0.2 s,
    capped at `cap_s`. Any other error goes through."""

    def __init__(self, clock: Clock, cap_s: float, log: logging.LoggerAdapter[logging.Logger]):
        self._clock = clock
        self._cap_s = cap_s
        self._log = log

    async def back_off(self, failures: int, exc: StoreUnavailable) -> None:
        """Wait before asking the store again, after `failures` failures in a row."""
        delay = min(self._cap_s, 0.1 * 2**failures)
        self._log.warning("store unavailable, retrying in %.1fs: %s", delay, exc)
        await self._clock.sleep(delay)

    async def until_done(self, step: Callable[[], Awaitable[object]]) -> None:
        """Run a store step until the store answers (capped backoff)."""
        failures = 0
        while True:
            try:
                await step()
                return
            except StoreUnavailable as exc:
                failures += 1
                await self.back_off(failures, exc)
