"""Background work, supervised: every loop of the service runs through `Supervision.run`.

A task is a step run again and again: every `every_s` seconds (a periodic task, on a
drift-corrected schedule), back to back (`every_s=0`), or until it succeeds once
(`every_s=None`: start-up steps, a whole loop). `run` returns when the step succeeded once, or
as soon as the stop event is set, even in the middle of a wait. When the step raises:

- an error it `expected` (by default `StoreUnavailable`) is logged as a warning, once for as
  long as the step keeps failing with the same message; the step is run again after its
  `retry` backoff (a periodic task's: within one period);
- any other error is a crash: logged each time with its traceback and the task's name
  ("<name> stopped on an error"), counted (`restarted(name)`: the app counts it on `/metrics`
  as `dialer_queue_loop_restarts_total{loop=name}`), and the step is run again after `RESTART`.

Each wait is drawn at random between 0 and the backoff's ceiling ("full jitter"), which
doubles with each failure in a row up to a cap: instances that failed together do not ask
again together, and an outage costs the store or Twilio a bounded rate of asks. A success
starts the count again; so does a crash after a run of at least `RESTART.cap_s`. The
supervisor gives a crashed runner the same `RESTART` backoff before its execution is run
again.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from queue_core.domain.errors import StoreUnavailable
from queue_core.ports import Clock

__all__ = [
    "RESTART",
    "STORE_RETRY",
    "Backoff",
    "Jitter",
    "Restarts",
    "Supervision",
    "full_jitter",
]

log = logging.getLogger(__name__)

Jitter = Callable[[float], float]
"""The wait drawn for a backoff's ceiling (seconds in, seconds out)."""


def full_jitter(ceiling_s: float) -> float:
    """A wait drawn uniformly between 0 and `ceiling_s`."""
    return random.uniform(0.0, ceiling_s)  # noqa: S311 - spreads retries, guards nothing


@dataclass(frozen=True, slots=True)
class Backoff:
    """The ceiling of the wait after failures in a row: `first_s` after the first, doubled
    after each further one, never above `cap_s`."""

    first_s: float
    cap_s: float

    def ceiling(self, failures: int) -> float:
        """The ceiling after `failures` (>= 1) failures in a row."""
        return min(self.cap_s, self.first_s * 2.0 ** min(max(failures - 1, 0), 64))


RESTART = Backoff(first_s=0.5, cap_s=30.0)
"""After a crash: 0.5 s doubling to 30 s."""

STORE_RETRY = Backoff(first_s=0.2, cap_s=5.0)
"""After an expected failure of a task that is not periodic: 0.2 s doubling to 5 s."""


def _uncounted(name: str) -> None:
    """Counts nothing: for callers with no metrics."""


def _crashes_in_a_row(before: int, ran_s: float) -> int:
    """A crash after a run as long as `RESTART`'s cap is the first of a new row."""
    return 1 if ran_s >= RESTART.cap_s else before + 1


@dataclass(slots=True)
class Restarts:
    """When crashed work, by key (the supervisor's runners, by execution), may be started
    again: no sooner than a wait drawn below `RESTART`'s ceiling after its crash."""

    clock: Clock
    jitter: Jitter = full_jitter
    _crashes: dict[str, int] = field(default_factory=dict)
    _not_before: dict[str, float] = field(default_factory=dict)

    def crashed(self, key: str, ran_s: float) -> float:
        """Note that `key`'s work crashed after running `ran_s`; the wait before it may
        start again."""
        crashes = _crashes_in_a_row(self._crashes.get(key, 0), ran_s)
        self._crashes[key] = crashes
        wait = self.jitter(RESTART.ceiling(crashes))
        self._not_before[key] = self.clock.monotonic() + wait
        return wait

    def ended(self, key: str) -> None:
        """`key`'s work ended without a crash: its next crash is the first of a row."""
        self._crashes.pop(key, None)
        self._not_before.pop(key, None)

    def waiting(self, key: str) -> bool:
        """Whether `key`'s work crashed and its wait is not over."""
        return self._not_before.get(key, -math.inf) > self.clock.monotonic()


@dataclass(slots=True)
class _Failures:
    """The failures in a row of one task: how many, and the message last logged."""

    count: int = 0
    logged: str | None = None

    def over(self, name: str) -> None:
        """The task's step worked: say so if it had failed."""
        if self.count:
            log.info("%s works again after %d failures", name, self.count)
        self.count, self.logged = 0, None


@dataclass(frozen=True, slots=True)
class Supervision:
    """The clock, stop event, restart counter and jitter the tasks of one service share."""

    clock: Clock
    stop: asyncio.Event
    restarted: Callable[[str], None] = _uncounted
    jitter: Jitter = full_jitter

    async def run(
        self,
        name: str,
        step: Callable[[], Awaitable[object]],
        *,
        every_s: float | None = None,
        retry: Backoff | None = None,
        expected: tuple[type[Exception], ...] = (StoreUnavailable,),
        failed: Callable[[Exception], None] | None = None,
    ) -> bool:
        """Run `step` as the task `name` (module docstring) until `stop` is set, or, when
        `every_s` is None, until it succeeds once. True when it succeeded; `failed(error)` is
        told of each failure before the wait. `retry` defaults to waits within one period
        for a periodic task, else to `STORE_RETRY`."""
        if retry is None:
            retry = Backoff(every_s, every_s) if every_s else STORE_RETRY
        failures = _Failures()
        due = self.clock.monotonic()
        while not self.stop.is_set():
            began = self.clock.monotonic()
            try:
                await step()
            except Exception as error:
                if failed is not None:
                    failed(error)
                ran_s = self.clock.monotonic() - began
                ceiling = self._failed(name, error, expected, retry, failures, ran_s)
                if ceiling is None:
                    return False
                await self.pause(self.jitter(ceiling))
                due = self.clock.monotonic()
                continue
            failures.over(name)
            if every_s is None:
                return True
            due = max(due + every_s, self.clock.monotonic())
            await self.pause(due - self.clock.monotonic())
        return False

    def _failed(
        self,
        name: str,
        error: Exception,
        expected: tuple[type[Exception], ...],
        retry: Backoff,
        failures: _Failures,
        ran_s: float,
    ) -> float | None:
        """Log and count one failure; the ceiling of the wait before the next run, or None
        when the service is stopping (nothing runs again)."""
        if isinstance(error, expected):
            failures.count += 1
            ceiling = retry.ceiling(failures.count)
            message = f"{type(error).__name__}: {error}"
            if message != failures.logged and not self.stop.is_set():
                log.warning("%s: %s; again within %.1fs", name, message, ceiling)
                failures.logged = message
            return None if self.stop.is_set() else ceiling
        if self.stop.is_set():
            log.error("%s stopped on an error while stopping", name, exc_info=error)
            return None
        failures.count = _crashes_in_a_row(failures.count, ran_s)
        failures.logged = None
        ceiling = RESTART.ceiling(failures.count)
        log.error("%s stopped on an error; again within %.1fs", name, ceiling, exc_info=error)
        self.restarted(name)
        return ceiling

    async def pause(self, seconds: float) -> None:
        """Wait `seconds` on the clock, or until `stop` is set if that comes first."""
        if seconds <= 0 or self.stop.is_set():
            return
        sleeping = asyncio.ensure_future(self.clock.sleep(seconds))
        stopping = asyncio.ensure_future(self.stop.wait())
        try:
            await asyncio.wait((sleeping, stopping), return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeping.cancel()
            stopping.cancel()
