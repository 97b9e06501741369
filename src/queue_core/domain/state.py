"""The queue state machine of one campaign execution: one transition table, one error.

    idle ──start──▶ running ──pause──▶ paused ──resume──▶ running
                     │  │                 │
                     │  └─cache_empty─▶ draining ──drained──▶ completed
                     └──────stop──────▶ stopping ──drained──▶ stopped
    any live state ──fatal──▶ failed;  completed | stopped | failed ──start──▶ running

The contract's idempotent commands (`start` on a running execution, `pause` on a paused one,
`resume` on a running one, and `stop` on one already stopping or ended) are entries that lead
back to the same state: `is_noop` tells them apart. A pair missing from the table raises
`IllegalTransition`.
"""

from __future__ import annotations

import enum

from queue_core.domain.errors import IllegalTransition

__all__ = ["LIVE_STATES", "TERMINAL_STATES", "QueueState", "QueueStateMachine", "Trigger"]


class QueueState(enum.StrEnum):
    IDLE = "idle"
    RUNNING = "running"
    PAUSED = "paused"
    STOPPING = "stopping"
    DRAINING = "draining"
    COMPLETED = "completed"
    STOPPED = "stopped"
    FAILED = "failed"


class Trigger(enum.StrEnum):
    # commands of the control stream
    START = "start"
    STOP = "stop"
    PAUSE = "pause"
    RESUME = "resume"
    # facts the runner observes
    CACHE_EMPTY = "cache_empty"
    DRAINED = "drained"
    FATAL = "fatal"


S, T = QueueState, Trigger

TERMINAL_STATES = frozenset({S.COMPLETED, S.STOPPED, S.FAILED})
LIVE_STATES = frozenset({S.RUNNING, S.PAUSED, S.STOPPING, S.DRAINING})

_TABLE: dict[tuple[QueueState, Trigger], QueueState] = {
    (S.IDLE, T.START): S.RUNNING,
    (S.RUNNING, T.START): S.RUNNING,
    (S.RUNNING, T.RESUME): S.RUNNING,
    (S.RUNNING, T.PAUSE): S.PAUSED,
    (S.RUNNING, T.STOP): S.STOPPING,
    (S.RUNNING, T.CACHE_EMPTY): S.DRAINING,
    (S.RUNNING, T.FATAL): S.FAILED,
    (S.PAUSED, T.START): S.PAUSED,
    (S.PAUSED, T.PAUSE): S.PAUSED,
    (S.PAUSED, T.RESUME): S.RUNNING,
    (S.PAUSED, T.STOP): S.STOPPING,
    (S.PAUSED, T.FATAL): S.FAILED,
    (S.DRAINING, T.START): S.DRAINING,
    (S.DRAINING, T.RESUME): S.DRAINING,
    (S.DRAINING, T.CACHE_EMPTY): S.DRAINING,
    (S.DRAINING, T.PAUSE): S.PAUSED,
    (S.DRAINING, T.STOP): S.STOPPING,
    (S.DRAINING, T.DRAINED): S.COMPLETED,
    (S.DRAINING, T.FATAL): S.FAILED,
    (S.STOPPING, T.STOP): S.STOPPING,
    (S.STOPPING, T.DRAINED): S.STOPPED,
    (S.STOPPING, T.FATAL): S.FAILED,
    (S.COMPLETED, T.START): S.RUNNING,
    (S.COMPLETED, T.STOP): S.COMPLETED,
    (S.STOPPED, T.START): S.RUNNING,
    (S.STOPPED, T.STOP): S.STOPPED,
    (S.FAILED, T.START): S.RUNNING,
    (S.FAILED, T.STOP): S.FAILED,
}


class QueueStateMachine:
    """Pure transition function over the table above."""

    @staticmethod
    def next(state: QueueState, trigger: Trigger) -> QueueState:
        try:
            return _TABLE[(state, trigger)]
        except KeyError:
            raise IllegalTransition(state, trigger) from None

    @staticmethod
    def is_noop(state: QueueState, trigger: Trigger) -> bool:
        """True when the table sends (state, trigger) back to `state`."""
        return _TABLE.get((state, trigger)) is state

    @staticmethod
    def allows(state: QueueState, trigger: Trigger) -> bool:
        return (state, trigger) in _TABLE

    @staticmethod
    def launches(state: QueueState) -> bool:
        """Only a running execution launches new contacts."""
        return state is QueueState.RUNNING
