"""The queue state machine: the table, its no-ops, what each move sets off, and a rule-based
model of the contract."""

from __future__ import annotations

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from queue_core.domain.errors import IllegalTransition
from queue_core.domain.queue_events import QueueEventType
from queue_core.domain.state import (
    LIVE_STATES,
    TERMINAL_STATES,
    QueueState,
    QueueStateMachine,
    Transition,
    Trigger,
)

S, T, E = QueueState, Trigger, QueueEventType
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


ENTRIES = [(s, t) for s in QueueState for t in Trigger if QueueStateMachine.allows(s, t)]


def test_each_move_announces_the_contracts_event_for_it() -> None:
    announced = {
        (s, t): QueueStateMachine.transition(s, t).announces
        for s, t in ENTRIES
        if not QueueStateMachine.is_noop(s, t)
    }
    moves = {key: QueueStateMachine.next(*key) for key in announced}

    for (state, trigger), event in announced.items():
        new = moves[(state, trigger)]
        if new is S.RUNNING:
            assert event is (E.RESUMED if state is S.PAUSED else E.STARTED)
        elif new in (S.STOPPING, S.DRAINING):
            assert event is None  # `stopped` and `completed` come when the calls are done
        else:
            assert event is E(new.value)  # paused, completed, stopped, failed


def test_only_a_start_after_an_ended_run_resets_the_counts() -> None:
    resets = {(s, t) for s, t in ENTRIES if QueueStateMachine.transition(s, t).resets_counts}

    assert resets == {(state, T.START) for state in TERMINAL_STATES}


def test_only_stopped_keeps_the_cause_of_the_stop_it_answers() -> None:
    kept = {(s, t) for s, t in ENTRIES if QueueStateMachine.transition(s, t).keeps_cause}

    assert kept == {(S.STOPPING, T.DRAINED)}
    assert all(QueueStateMachine.transition(s, t).stores for s, t in ENTRIES)


def test_a_noop_is_an_entry_back_to_its_state_that_sets_nothing_off() -> None:
    for state, trigger in ENTRIES:
        entry = QueueStateMachine.transition(state, trigger)
        assert QueueStateMachine.is_noop(state, trigger) == (entry == Transition(state))
    # A start with an unusable document on a failed execution fails it again, announced.
    assert QueueStateMachine.next(S.FAILED, T.INVALID_DOCUMENT) is S.FAILED
    assert not QueueStateMachine.is_noop(S.FAILED, T.INVALID_DOCUMENT)


def test_a_refused_command_is_announced_and_stores_nothing_a_refused_fact_is_silent() -> None:
    for state in QueueState:
        for trigger in Trigger:
            if QueueStateMachine.allows(state, trigger):
                continue
            refusal = QueueStateMachine.refusal(state, trigger)
            if trigger in (T.CACHE_EMPTY, T.DRAINED, T.FATAL):
                assert refusal is None
            else:
                assert refusal == Transition(state, E.COMMAND_REJECTED, stores=False)
    assert (
        QueueStateMachine.refusal_reason(S.STOPPING, T.INVALID_DOCUMENT)
        == "cannot start an execution that is stopping"
    )


def test_a_start_with_an_unusable_document_is_judged_as_a_start() -> None:
    for state in QueueState:
        allowed = QueueStateMachine.allows(state, T.START)
        assert QueueStateMachine.allows(state, T.INVALID_DOCUMENT) == allowed
        if allowed and QueueStateMachine.is_noop(state, T.START):
            assert QueueStateMachine.is_noop(state, T.INVALID_DOCUMENT)
        elif allowed:
            failed = QueueStateMachine.transition(state, T.INVALID_DOCUMENT)
            assert failed == Transition(S.FAILED, E.FAILED)


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
