"""The `LaunchLimiter` port: the account's launch budget, shared by every instance."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

__all__ = ["LaunchLimiter", "LaunchSlot"]


@dataclass(frozen=True, slots=True)
class LaunchSlot:
    """An answer of `LaunchLimiter.acquire`. `reserved`: a launch slot is the caller's, due in
    `wait_s` seconds (0.0: now). Not reserved: nothing was taken, ask again in `wait_s`."""

    wait_s: float
    reserved: bool


class LaunchLimiter(Protocol):
    """The account's launch budget, shared by every instance: one schedule of launch slots on
    the store's own clock, so instances with skewed clocks still agree."""

    async def acquire(self, rate: float) -> LaunchSlot:
        """Reserve the account's next launch slot at `rate` launches/s. Slots follow one
        schedule, 1/`rate` s apart (a caller up to half a spacing or 20 ms late, whichever is
        longer, keeps the schedule's pace; one later starts it again, so there is never a
        burst), and at most
        max(1, floor(rate)) lie in any window of that many / `rate` seconds plus the limiter's
        guard. A slot further ahead than the limiter's horizon is not reserved. A rate of 0 (or
        NaN) reserves nothing; an infinite one raises ValueError."""
        ...
