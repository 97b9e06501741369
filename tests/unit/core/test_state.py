"""The queue state machine: the table, its no-ops, and a rule-based model of the contract."""

from __future__ import annotations

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from queue_core.domain.errors import IllegalTransition
from queue_core.domain.state import (
    LIVE_STATES,
    TERMINAL_STATES,
    QueueState,
    QueueStateMachine,
    Trigger,
)

S, T = QueueState, Trigger
COMMANDS = (T.START, T.STOP, T.PAUSE, T.RESUME)


@pytest.mark.parametrize(
    ("state", "trigger"),
    [(S.RUNNING, T.START), (S.PAUSED, T.PAUSE), (S.RUNNING, T.RESUME), (S.STOPPING, T.STOP)],
)
def test_the_contracts_idempotent_commands_are_noops(state: QueueState, trigger: Trigger) -> None:
    assert QueueStateMachine.is_noop(state, trigger)
    assert QueueStateMachine.next(state, trigger) is state


def test_an_illegal_move_raises_the_one_named_error() -> None:
    with pytest.raises(IllegalTransition) as caught:
        QueueStateMachine.next(S.IDLE, T.PAUSE)
    assert caught.value.state is S.IDLE
    assert caught.value.trigger is T.PAUSE
    assert not QueueStateMachine.allows(S.COMPLETED, T.RESUME)


def test_only_running_launches() -> None:
    assert [s for s in QueueState if QueueStateMachine.launches(s)] == [S.RUNNING]


class QueueModel(RuleBasedStateMachine):
    """A second, independent statement of the rules, driven against the table."""

    def __init__(self) -> None:
        super().__init__()
        self.state = S.IDLE
        self.cache_empty = False
        self.in_flight = 0

    def _apply(self, trigger: Trigger) -> QueueState | None:
        try:
            return QueueStateMachine.next(self.state, trigger)
        except IllegalTransition:
            return None

    @rule(trigger=st.sampled_from(COMMANDS))
    def command(self, trigger: Trigger) -> None:
        before = self.state
        after = self._apply(trigger)
        if trigger is T.START:
            if before in (S.IDLE, *TERMINAL_STATES):
                assert after is S.RUNNING
                self.cache_empty = False
            elif before is S.STOPPING:
                assert after is None  # refused: wait for `stopped`, then start again
            else:
                assert after is before  # start on a live execution changes nothing
        elif trigger is T.STOP:
            if before in (S.RUNNING, S.PAUSED, S.DRAINING, S.STOPPING):
                assert after is S.STOPPING
            elif before in TERMINAL_STATES:
                assert after is before
            else:
                assert after is None
        elif trigger is T.PAUSE:
            expected = {S.RUNNING: S.PAUSED, S.PAUSED: S.PAUSED, S.DRAINING: S.PAUSED}
            assert after is expected.get(before)
        else:
            expected = {S.PAUSED: S.RUNNING, S.RUNNING: S.RUNNING, S.DRAINING: S.DRAINING}
            assert after is expected.get(before)
        if after is not None:
            self.state = after

    @rule()
    def cache_runs_out(self) -> None:
        after = self._apply(T.CACHE_EMPTY)
        if self.state in (S.RUNNING, S.DRAINING):
            assert after is S.DRAINING
            self.state = after
            self.cache_empty = True
        else:
            assert after is None

    @rule()
    def last_call_finishes(self) -> None:
        after = self._apply(T.DRAINED)
        expected = {S.DRAINING: S.COMPLETED, S.STOPPING: S.STOPPED}
        assert after is expected.get(self.state)
        if after is not None:
            self.state = after

    @rule()
    def fatal_error(self) -> None:
        after = self._apply(T.FATAL)
        if self.state in LIVE_STATES:
            assert after is S.FAILED
            self.state = after
        else:
            assert after is None

    @invariant()
    def completed_only_after_the_cache_ran_out(self) -> None:
        if self.state is S.COMPLETED:
            assert self.cache_empty

    @invariant()
    def no_state_is_a_dead_end(self) -> None:
        assert any(QueueStateMachine.allows(self.state, t) for t in Trigger)


TestQueueModel = QueueModel.TestCase
TestQueueModel.settings = settings(max_examples=200, stateful_step_count=30, deadline=None)
