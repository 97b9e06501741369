"""This instance's launches in line for what its `LaunchSchedule` decides (ADR 0017).

A launch its execution's schedule lets go waits here twice, and decides nothing itself:

- for a slot of the account's schedule (the `LaunchLimiter` port, shared by every instance),
  right before it is sent. The runners ask one at a time, in the order they came: when the
  schedule is booked up to its horizon only the first waits and asks again, so that a thousand
  runners do not poll the store in a herd. The launch waits for its slot, and lets it go when
  it woke up too late for it (`LaunchSchedule.slot_in_time`) and reserves another, so that a
  stalled loop never sends its slots in a bunch.
- for its send turn, one at a time in the order they came, until the schedule lets one more
  create go (`LaunchSchedule.send_delay`). The launcher gets the `SendTurn` with the create.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from queue_core.domain.errors import StoreUnavailable
from queue_core.domain.launch_schedule import LaunchSchedule, SendTurn
from queue_core.ports import Clock, LaunchLimiter

__all__ = ["REASK_MIN_S", "LaunchLine"]

# A schedule booked up asked again no sooner than this: one that says "again in 0 s" (its
# slot is just reaching the horizon, give or take a rounding) is not asked in a tight loop.
REASK_MIN_S = 0.001
UNAVAILABLE_RETRY_S = 0.5  # the store did not answer: ask it again this much later


class LaunchLine:
    """The line for the account's slots and for the send turns of one instance's runners.
    `slots`: None when the account has no shared schedule (every slot is had at once)."""

    def __init__(self, schedule: LaunchSchedule, slots: LaunchLimiter | None, clock: Clock) -> None:
        self.schedule = schedule
        self._slots = slots
        self._clock = clock
        self._asking = asyncio.Lock()  # wakes its waiters in the order they came
        self._sending = asyncio.Lock()

    async def slot(
        self,
        running: Callable[[], bool],
        refresh: Callable[[], Awaitable[None]],
        dues: list[float],
        log: logging.LoggerAdapter[logging.Logger],
    ) -> bool:
        """Reserve a slot of the account's schedule and wait for it; True when the launch may
        be sent now. False when `running()` turns false (the execution stopped running, the
        store became unavailable or the runner is leaving) or the stored state cannot be read
        meanwhile: do not launch (the slot goes unused). `refresh` reads the stored state
        again once the slot is due, if the runner's read is too old to launch on; `dues` holds
        the slot's due time (on `clock.monotonic()`) while the launch waits for it."""
        clock = self._clock
        if self._slots is None:
            return True
        while running():
            try:
                due = await self._reserve(running)
            except StoreUnavailable as exc:
                log.warning("launch schedule unavailable, asking again: %s", exc)
                await clock.sleep(UNAVAILABLE_RETRY_S)
                continue
            if due is None:
                return False
            dues.append(due)
            try:
                await clock.sleep(max(0.0, due - clock.monotonic()))
                await refresh()
            except StoreUnavailable:
                return False  # no launch while the store cannot say the execution runs
            finally:
                dues.remove(due)
            if self.schedule.slot_in_time(due, clock.monotonic()):
                return running()
        return False

    async def _reserve(self, wanted: Callable[[], bool]) -> float | None:
        """At this caller's turn, reserve the schedule's next slot: when it is due, on
        `clock.monotonic()`. While the schedule is booked up, ask again when it says. None
        when `wanted()` is false at the turn or turns false meanwhile (nothing reserved).
        Raises `StoreUnavailable` (the turn passes to the next caller)."""
        slots, clock = self._slots, self._clock
        assert slots is not None
        async with self._asking:
            terms = self.schedule.slot_terms()
            while wanted():
                asked = clock.monotonic()
                slot = await slots.acquire(terms)
                # The store read its clock somewhere between the ask and the answer.
                due = (asked + clock.monotonic()) / 2 + slot.wait_s
                if slot.reserved:
                    return due
                await clock.sleep(max(REASK_MIN_S, due - clock.monotonic()))
        return None

    async def send_turn(self) -> SendTurn:
        """Wait for this create's turn among the process's sends (in the order they asked)
        and let it go. A caller cancelled while it waits takes no turn."""
        clock, schedule = self._clock, self.schedule
        async with self._sending:
            while (wait := schedule.send_delay(clock.monotonic())) > 0:
                await clock.sleep(wait)
            return schedule.let_go(clock.monotonic())
