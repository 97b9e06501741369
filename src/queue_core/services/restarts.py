"""Background work started again when it dies of an unexpected error, never silently gone.

`keep_running` runs one loop of the service (the control consumer, the reaper, the outbox
relay, the lease renewal and takeover, start-up) and, when it raises anything but a
cancellation, logs the traceback, counts the restart (`restarted(name)`: the app counts it on
`/metrics` as `queue_loop_restarts_total{loop=name}`) and starts it again after a capped
backoff. The supervisor gives a crashed runner the same backoff (`RestartBackoff`) before its
execution is run again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from queue_core.ports import Clock

__all__ = ["RestartBackoff", "keep_running"]

log = logging.getLogger(__name__)


@dataclass(slots=True)
class RestartBackoff:
    """How long to wait before starting crashed work again: `first_s`, doubled after each
    crash up to `cap_s`; back to `first_s` after a run of at least `cap_s` (a crash now and
    then is not a crash loop)."""

    first_s: float = 0.5
    cap_s: float = 30.0
    _next_s: float = 0.0

    def crashed(self, ran_s: float) -> float:
        """The wait before the next start, for work that ran `ran_s` seconds, then crashed."""
        if ran_s >= self.cap_s or self._next_s == 0.0:
            self._next_s = self.first_s
        else:
            self._next_s = min(self._next_s * 2, self.cap_s)
        return self._next_s


async def keep_running(
    name: str,
    work: Callable[[], Awaitable[object]],
    *,
    clock: Clock,
    stop: asyncio.Event,
    restarted: Callable[[str], None],
    backoff: RestartBackoff | None = None,
) -> None:
    """Await `work()` until it returns (or `stop` is set); each time it raises an unexpected
    error, log it, call `restarted(name)` and await it again after `backoff`."""
    backoff = backoff or RestartBackoff()
    while not stop.is_set():
        began = clock.monotonic()
        try:
            await work()
            return
        except Exception:
            log.exception("%s stopped on an error", name)
        if stop.is_set():
            return
        restarted(name)
        await clock.sleep(backoff.crashed(clock.monotonic() - began))
