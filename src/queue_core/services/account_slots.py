"""One runner's launches waiting for their slot of the account's shared schedule (ADR 0010).

A launch reserves its slot (in this instance's `SlotLine`) right before it is sent, and waits
for it, so that little time passes between the slot and Twilio seeing the launch. A slot this
runner wakes up for too late is let go and another one reserved, so that a stalled loop never
sends its slots in a bunch. Without a `LaunchLimiter` every launch may go at once.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from queue_core.domain.budget import late_allowance
from queue_core.domain.errors import StoreUnavailable
from queue_core.ports import Clock
from queue_core.services.slot_line import SlotLine

__all__ = ["AccountSlots"]


class AccountSlots:
    """The slots one runner's launches reserve, and when those are due (`dues`, on
    `clock.monotonic()`, while their launch waits for them)."""

    def __init__(
        self,
        line: SlotLine | None,
        clock: Clock,
        lateness_s: float,
        log: logging.LoggerAdapter[logging.Logger],
    ) -> None:
        """`line`: None when the account has no shared schedule; `lateness_s`: how late a
        slot woken up for may still be used (see `lateness`)."""
        self._line = line
        self._clock = clock
        self._lateness_s = lateness_s
        self._log = log
        self.dues: list[float] = []

    async def take(
        self,
        rate: float,
        running: Callable[[], bool],
        refresh: Callable[[], Awaitable[None]],
    ) -> bool:
        """Reserve a slot of the account's schedule at `rate` and wait for it. False when
        `running()` turns false (the execution stopped running, the store became unavailable
        or the runner is leaving) or the stored state cannot be read meanwhile: do not launch
        (the slot goes unused). `refresh` reads the stored state again, once the slot is due,
        if the runner's read is too old to launch on."""
        line, clock = self._line, self._clock
        if line is None:
            return True
        while running():
            try:
                due = await line.reserve(rate, running)
            except StoreUnavailable as exc:
                self._log.warning("launch schedule unavailable, asking again: %s", exc)
                await clock.sleep(0.5)
                continue
            if due is None:
                return False
            self.dues.append(due)
            try:
                await clock.sleep(max(0.0, due - clock.monotonic()))
                await refresh()
            except StoreUnavailable:
                return False  # no launch while the store cannot say the execution runs
            finally:
                self.dues.remove(due)
            if clock.monotonic() - due <= self.lateness(rate):
                return running()
        return False

    def lateness(self, rate: float) -> float:
        """How late a slot may still be used: the setting (half the guard), but at least as
        late as the account's schedule keeps its pace for (`late_allowance`: a busy loop is
        always a little late, and letting every slot go would stop launching, not pace it)."""
        return max(self._lateness_s, late_allowance(rate))

    def due_within(self, now: float, within_s: float) -> bool:
        """A reserved slot is due within `within_s` of `now`."""
        return any(due - now <= within_s for due in self.dues)
