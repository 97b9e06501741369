"""The runners of one instance in line for the account's launch slots (ADR 0010).

A runner whose launch may go asks the account's schedule (`LaunchLimiter`) for a slot. When
the schedule is booked up to its horizon it answers "nothing reserved, ask again in w": a
thousand runners asking again each would poll the store in a herd, and a slot would go to
whichever happened to ask at the right moment. In line, the runners ask one at a time, in the
order they came; only the first waits for the schedule while it is booked up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from queue_core.ports import Clock, LaunchLimiter

__all__ = ["REASK_MIN_S", "SlotLine"]

# A schedule booked up asked again no sooner than this: one that says "again in 0 s" (its
# slot is just reaching the horizon, give or take a rounding) is not asked in a tight loop.
REASK_MIN_S = 0.001


class SlotLine:
    """Reserves slots of the account's schedule for one runner at a time, first come first
    served (`asyncio.Lock` wakes its waiters in order)."""

    def __init__(self, limiter: LaunchLimiter, clock: Clock) -> None:
        self._limiter = limiter
        self._clock = clock
        self._turn = asyncio.Lock()

    async def reserve(self, rate: float, wanted: Callable[[], bool]) -> float | None:
        """Wait for this caller's turn, then reserve the schedule's next slot at `rate`: when
        it is due, on `clock.monotonic()`. While the schedule is booked up, ask again when it
        says. None when `wanted()` is false at the caller's turn or turns false meanwhile
        (nothing reserved). Raises `StoreUnavailable` (the turn passes to the next caller)."""
        async with self._turn:
            while wanted():
                asked = self._clock.monotonic()
                slot = await self._limiter.acquire(rate)
                # The store read its clock somewhere between the ask and the answer.
                due = (asked + self._clock.monotonic()) / 2 + slot.wait_s
                if slot.reserved:
                    return due
                await self._clock.sleep(max(REASK_MIN_S, due - self._clock.monotonic()))
        return None
