"""Contacts with no terminal event after the contact timeout get their disposition; an
execution's contacts are read again only once one of them can have timed out: the oldest in
flight, or one launched since, reaches the timeout."""

from __future__ import annotations

import math
from collections.abc import Iterable

from queue_core.ports import ActiveCallRegistry, Clock
from queue_core.services.tracker import ContactTracker

__all__ = ["TimeoutReaper"]


class TimeoutReaper:
    """Times out the contacts of the executions it is given (`reap`)."""

    def __init__(
        self, calls: ActiveCallRegistry, tracker: ContactTracker, clock: Clock, timeout_s: float
    ) -> None:
        self._calls = calls
        self._tracker = tracker
        self._clock = clock
        self.timeout_s = timeout_s
        # When the reaper next needs to look at an execution's contacts (wall clock): no
        # contact of it can reach the contact timeout before then.
        self._reap_at: dict[str, float] = {}

    async def reap(self, execution_ids: Iterable[str]) -> int:
        """Time out the due contacts of these executions; return how many settled."""
        done = 0
        timeout = self.timeout_s
        for execution_id in list(execution_ids):
            asked = self._clock.now()
            if asked < self._reap_at.get(execution_id, -math.inf):
                continue
            attempts = await self._calls.in_flight(execution_id)
            done += await self._tracker.time_out(attempts, timeout)
            # One timed out just now is looked at again next time (it should be gone).
            self._reap_at[execution_id] = min(
                [a.launched_at + timeout for a in attempts], default=asked + timeout
            )
        return done

    def forget(self, execution_id: str) -> None:
        """The execution is no longer run here."""
        self._reap_at.pop(execution_id, None)
