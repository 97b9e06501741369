"""The queue state machine of one campaign execution: one transition table, one error.

    idle ──start──▶ running ──pause──▶ paused ──resume──▶ running
                     │  │                 │
                     │  └─cache_empty─▶ draining ──drained──▶ completed
                     └──────stop──────▶ stopping ──drained──▶ stopped
    any live state ──fatal──▶ failed;  completed | stopped | failed ──start──▶ running
    idle | completed | stopped | failed ──invalid_document──▶ failed

Each entry is a `Transition`: the state the trigger leads to and everything the move sets off
(the event it announces, whether it starts the counts again, whether it keeps the cause of the
move before). A store carries an entry out in one atomic step, on the condition that the stored
state is still the one the move was decided on (`QueueStateStore.transition`, ADR 0018).

The contract's idempotent commands (`start` on a running execution, `pause` on a paused one,
`resume` on a running one, and `stop` on one already stopping or ended) are entries that lead
back to the same state and set nothing off: `is_noop` tells them apart. A pair missing from
the table raises `IllegalTransition`; `refusal` says what refusing it sets off: a command is
announced as `command_rejected` (nothing stored), a fact the runner observes changes nothing.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from queue_core.domain.errors import IllegalTransition
from queue_core.domain.queue_events import QueueEventType

__all__ = [
    "LIVE_STATES",
    "TERMINAL_STATES",
    "QueueState",
    "QueueStateMachine",
    "Transition",
    "Trigger",
]


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
    # a `start` whose execution document is missing or invalid: judged as a start, but it
    # fails the execution where a start would run it
    INVALID_DOCUMENT = "invalid_document"
    # facts the runner observes
    CACHE_EMPTY = "cache_empty"
    DRAINED = "drained"
    FATAL = "fatal"


@dataclass(frozen=True, slots=True)
class Transition:
    """One entry of the table: where a trigger takes a state, and what the move sets off."""

    new: QueueState
    announces: QueueEventType | None = None  # the event, in the order of the moves
    resets_counts: bool = False  # a new run: its counts (launched, dispositions...) from 0
    keeps_cause: bool = False  # the stored reason and request id stay; the event echoes them
    stores: bool = True  # False for a refusal: nothing is stored, the event is announced


S, T, E = QueueState, Trigger, QueueEventType

TERMINAL_STATES = frozenset({S.COMPLETED, S.STOPPED, S.FAILED})
LIVE_STATES = frozenset({S.RUNNING, S.PAUSED, S.STOPPING, S.DRAINING})

_STARTED = Transition(S.RUNNING, E.STARTED)
_RESTARTED = Transition(S.RUNNING, E.STARTED, resets_counts=True)
_PAUSED = Transition(S.PAUSED, E.PAUSED)
_STOPPING = Transition(S.STOPPING)
_FAILED = Transition(S.FAILED, E.FAILED)

_TABLE: dict[tuple[QueueState, Trigger], Transition] = {
    (S.IDLE, T.START): _STARTED,
    (S.IDLE, T.INVALID_DOCUMENT): _FAILED,
    (S.RUNNING, T.START): Transition(S.RUNNING),
    (S.RUNNING, T.INVALID_DOCUMENT): Transition(S.RUNNING),
    (S.RUNNING, T.RESUME): Transition(S.RUNNING),
    (S.RUNNING, T.PAUSE): _PAUSED,
    (S.RUNNING, T.STOP): _STOPPING,
    (S.RUNNING, T.CACHE_EMPTY): Transition(S.DRAINING),
    (S.RUNNING, T.FATAL): _FAILED,
    (S.PAUSED, T.START): Transition(S.PAUSED),
    (S.PAUSED, T.INVALID_DOCUMENT): Transition(S.PAUSED),
    (S.PAUSED, T.PAUSE): Transition(S.PAUSED),
    (S.PAUSED, T.RESUME): Transition(S.RUNNING, E.RESUMED),
    (S.PAUSED, T.STOP): _STOPPING,
    (S.PAUSED, T.FATAL): _FAILED,
    (S.DRAINING, T.START): Transition(S.DRAINING),
    (S.DRAINING, T.INVALID_DOCUMENT): Transition(S.DRAINING),
    (S.DRAINING, T.RESUME): Transition(S.DRAINING),
    (S.DRAINING, T.CACHE_EMPTY): Transition(S.DRAINING),
    (S.DRAINING, T.PAUSE): _PAUSED,
    (S.DRAINING, T.STOP): _STOPPING,
    (S.DRAINING, T.DRAINED): Transition(S.COMPLETED, E.COMPLETED),
    (S.DRAINING, T.FATAL): _FAILED,
    (S.STOPPING, T.STOP): Transition(S.STOPPING),
    # `stopped` answers the stop command: it echoes that command's request id and reason
    (S.STOPPING, T.DRAINED): Transition(S.STOPPED, E.STOPPED, keeps_cause=True),
    (S.STOPPING, T.FATAL): _FAILED,
    (S.COMPLETED, T.START): _RESTARTED,
    (S.COMPLETED, T.INVALID_DOCUMENT): _FAILED,
    (S.COMPLETED, T.STOP): Transition(S.COMPLETED),
    (S.STOPPED, T.START): _RESTARTED,
    (S.STOPPED, T.INVALID_DOCUMENT): _FAILED,
    (S.STOPPED, T.STOP): Transition(S.STOPPED),
    (S.FAILED, T.START): _RESTARTED,
    (S.FAILED, T.INVALID_DOCUMENT): _FAILED,
    (S.FAILED, T.STOP): Transition(S.FAILED),
}

# Triggers that come from a command: refusing one is announced.
_COMMANDS = frozenset({T.START, T.STOP, T.PAUSE, T.RESUME, T.INVALID_DOCUMENT})


class QueueStateMachine:
    """Pure transition function over the table above."""

    @staticmethod
    def transition(state: QueueState, trigger: Trigger) -> Transition:
        """The table's entry for (state, trigger); `IllegalTransition` when it has none."""
        try:
            return _TABLE[(state, trigger)]
        except KeyError:
            raise IllegalTransition(state, trigger) from None

    @staticmethod
    def next(state: QueueState, trigger: Trigger) -> QueueState:
        return QueueStateMachine.transition(state, trigger).new

    @staticmethod
    def is_noop(state: QueueState, trigger: Trigger) -> bool:
        """True when the table sends (state, trigger) back to `state` and sets nothing off."""
        return _TABLE.get((state, trigger)) == Transition(state)

    @staticmethod
    def allows(state: QueueState, trigger: Trigger) -> bool:
        return (state, trigger) in _TABLE

    @staticmethod
    def refusal(state: QueueState, trigger: Trigger) -> Transition | None:
        """What refusing a pair missing from the table sets off: a command is announced as
        `command_rejected` and the state stays as it is; a fact changes nothing (None)."""
        if trigger not in _COMMANDS:
            return None
        return Transition(state, E.COMMAND_REJECTED, stores=False)

    @staticmethod
    def refusal_reason(state: QueueState, trigger: Trigger) -> str:
        """The reason a refused command's `command_rejected` gives."""
        command = T.START if trigger is T.INVALID_DOCUMENT else trigger
        return f"cannot {command.value} an execution that is {state.value}"

    @staticmethod
    def launches(state: QueueState) -> bool:
        """Only a running execution launches new contacts."""
        return state is QueueState.RUNNING
