"""A controllable clock: virtual time that tests advance, and sleeps that wait for it."""

from __future__ import annotations

import asyncio
import heapq
import itertools


class FakeClock:
    """Virtual time. `sleep` parks the caller until `advance` (or `run_until`) passes its wake-up.

    `now()` is wall time (starts at a fixed date), `monotonic()` the same virtual seconds.
    """

    def __init__(self, start: float = 1_795_000_000.0) -> None:
        self._start = start
        self._elapsed = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._counter = itertools.count()

    def now(self) -> float:
        return self._start + self._elapsed

    def monotonic(self) -> float:
        return self._elapsed

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._elapsed + seconds, next(self._counter), future))
        try:
            await future
        finally:
            if not future.done():
                future.cancel()

    def next_wakeup(self) -> float | None:
        while self._sleepers and self._sleepers[0][2].done():
            heapq.heappop(self._sleepers)
        return self._sleepers[0][0] if self._sleepers else None

    def advance(self, seconds: float) -> None:
        """Move time forward and wake every sleeper whose time has come."""
        target = self._elapsed + seconds
        while self._sleepers and self._sleepers[0][0] <= target:
            wake, _, future = heapq.heappop(self._sleepers)
            self._elapsed = max(self._elapsed, wake)
            if not future.done():
                future.set_result(None)
        self._elapsed = target

    async def settle(self, rounds: int = 20) -> None:
        """Let every runnable task run until all are parked again."""
        for _ in range(rounds):
            await asyncio.sleep(0)

    async def run_until(
        self, done: asyncio.Future[object] | asyncio.Task[object], limit_s: float
    ) -> None:
        """Advance virtual time, sleeper by sleeper, until `done` finishes or `limit_s` passes."""
        deadline = self._elapsed + limit_s
        while not done.done():
            await self.settle()
            if done.done():
                break
            wake = self.next_wakeup()
            if wake is None or wake > deadline:
                raise TimeoutError(f"nothing left to wake before {limit_s} virtual seconds")
            self.advance(max(0.0, wake - self._elapsed))
