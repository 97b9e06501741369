"""Moving an execution's stored state: one trigger at a time, on a condition.

A trigger is judged against the state as stored, and the move (or the refusal) is made only
if the state is still that one when it is stored (`QueueStateStore.transition`): if not,
someone else moved it meanwhile, and the trigger is judged again against the new state. So
concurrent triggers (two instances handling commands, a command and the runner's own move)
take effect as if one came after the other, events included (ADR 0018).
"""

from __future__ import annotations

from dataclasses import dataclass

from queue_core.domain.bounds import MAX_ID_ECHO_CHARS, cut
from queue_core.domain.state import QueueState, QueueStateMachine, Transition, Trigger
from queue_core.ports import Clock, QueueStateStore

__all__ = ["Applied", "StateTransitions"]


@dataclass(frozen=True, slots=True)
class Applied:
    """What a trigger did: the state it met (`old`) and the one stored after it (`new`)."""

    old: QueueState
    new: QueueState
    allowed: bool  # False: the table refused it (a command's refusal was announced)
    moved: bool  # the table's move was stored (False for a refusal and for a no-op)


class StateTransitions:
    """Applies triggers to stored states through the table (module docstring)."""

    def __init__(self, states: QueueStateStore, clock: Clock) -> None:
        self._states = states
        self._clock = clock

    async def apply(
        self,
        execution_id: str,
        trigger: Trigger,
        reason: str = "",
        request_id: str = "",
        campaign_id: str | None = None,
    ) -> Applied:
        """Apply `trigger` to the stored state, with the reason and request id of what caused
        it (cut to their bounds), and the campaign its document names (`start`; None: the
        stored one stays). Raises `StoreUnavailable`."""
        reason, request_id = cut(reason), cut(request_id, MAX_ID_ECHO_CHARS)
        while True:
            status = await self._states.load(execution_id)
            old = QueueState.IDLE if status is None else status.state
            allowed = QueueStateMachine.allows(old, trigger)
            move, why = self._judge(old, trigger, reason)
            if move is None:
                return Applied(old, old, allowed, moved=False)
            now = self._clock.now()
            moved = await self._states.transition(
                execution_id, old, move, now, why, request_id, campaign_id=campaign_id
            )
            if moved:
                new = move.new if move.stores else old
                return Applied(old, new, allowed, moved=allowed)
            # Moved by someone else since it was read: judge the trigger again.

    @staticmethod
    def _judge(old: QueueState, trigger: Trigger, reason: str) -> tuple[Transition | None, str]:
        """The move to make (None: nothing to store or announce) and the reason it gives."""
        if not QueueStateMachine.allows(old, trigger):
            why = QueueStateMachine.refusal_reason(old, trigger)
            return QueueStateMachine.refusal(old, trigger), why
        if QueueStateMachine.is_noop(old, trigger):
            return None, reason
        return QueueStateMachine.transition(old, trigger), reason
