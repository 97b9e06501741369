"""What one runner knows of its execution's stored state, and how it moves it.

The runner launches only on a state read recently enough (`read_at`), and reads it again
before launching anything more when a command here changed it (`dirty`). A state sweep may
also read it for the runner, with others', in one request (ADR 0010): such a read is
applied only if this runner did not read, move or hear of a command since it was asked for
(`version`), for it may predate that.
"""

from __future__ import annotations

import math

from queue_core.domain.state import QueueState, Trigger
from queue_core.ports import Clock, QueueStateStore
from queue_core.services.transitions import StateTransitions

__all__ = ["StoredState"]


class StoredState:
    """One runner's copy of its execution's stored state (module docstring)."""

    def __init__(self, execution_id: str, states: QueueStateStore, clock: Clock) -> None:
        self._id = execution_id
        self._states = states
        self._clock = clock
        self._transitions = StateTransitions(states, clock)
        self.state = QueueState.IDLE
        self.dirty = True  # a command here changed it since it was last read
        self.read_at = -math.inf  # on `clock.monotonic()`
        # Changes whenever this runner reads, moves or is told of a command: a state read by
        # someone else (`read_elsewhere`) from before such a change is not applied.
        self.version = 0

    def changed(self) -> None:
        """A command here changed the stored state: it is to be read again."""
        self.dirty = True
        self.version += 1

    def wanted(self, now: float, ahead_s: float, every_s: float) -> bool:
        """Whether a read made now by someone else is of use: the state, read every
        `every_s`, falls due before `now + ahead_s`, and no command here changed it."""
        due = self.read_at + every_s
        return not self.dirty and due <= now + ahead_s

    def read_elsewhere(self, state: QueueState, read_at: float, version: int) -> bool:
        """Apply the state someone else read from `read_at` on, unless `version` is past.
        True when that changed the state."""
        if version != self.version:
            return False
        self.version += 1
        self.read_at = max(self.read_at, read_at)
        if state is self.state:
            return False
        self.state = state
        return True

    async def read(self) -> None:
        """Read the stored state (IDLE when there is none). Raises `StoreUnavailable`."""
        now = self._clock.monotonic()
        self.dirty = False
        self.version += 1
        version = self.version
        status = await self._states.load(self._id)
        if version == self.version:  # else a later read or a command came meanwhile
            self.read_at = now
            self.state = QueueState.IDLE if status is None else status.state

    async def read_if_older(self, age_s: float) -> None:
        """Read the stored state if it was last read more than `age_s` ago."""
        if self._clock.monotonic() - self.read_at > age_s:
            await self.read()

    async def move(self, trigger: Trigger) -> None:
        """Apply `trigger` to the stored state through the table, on the condition that the
        state is still the one it was judged on (not the one read a moment ago: a command may
        have come since); the store announces what the move sets off (`completed`,
        `stopped`). Raises `StoreUnavailable`."""
        # A state a sweep reads for this runner meanwhile may predate the move.
        self.version += 1
        try:
            self.state = (await self._transitions.apply(self._id, trigger)).new
        finally:
            self.version += 1
