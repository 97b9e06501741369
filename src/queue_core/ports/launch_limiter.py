"""The `LaunchLimiter` port: the account's launch budget, shared by every instance."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from queue_core.domain.launch_schedule import SlotTerms

__all__ = ["LaunchLimiter", "LaunchSlot"]


@dataclass(frozen=True, slots=True)
class LaunchSlot:
    """An answer of `LaunchLimiter.acquire`. `reserved`: a launch slot is the caller's, due in
    `wait_s` seconds (0.0: now). Not reserved: nothing was taken, ask again in `wait_s`."""

    wait_s: float
    reserved: bool


class LaunchLimiter(Protocol):
    """The account's launch slots, shared by every instance: one schedule of slots on the
    store's own clock, so instances with skewed clocks still agree. The terms are the core's
    (`LaunchSchedule.slot_terms`); the store keeps them atomically across its callers."""

    async def acquire(self, terms: SlotTerms) -> LaunchSlot:
        """Reserve the account's next slot. Slots follow one schedule, `terms.spacing_s`
        apart: a caller on time or early gets the schedule's next slot; one up to
        `terms.late_s` late gets "now" and the schedule keeps its pace; one later starts the
        schedule again from now (idle time never becomes a burst). Whatever the schedule says,
        at most `terms.capacity` slots lie in any window of `terms.window_s`. A slot further
        ahead than the store's horizon is not reserved. Terms of capacity 0 reserve nothing
        (ask again in 1 s)."""
        ...
