"""A person-answered call and its TaskRouter task (ADR 0025): each rule, by hand. The properties
over every order and source are in `test_assembler.py` and `test_assembler_sources.py`."""

from __future__ import annotations

from dataclasses import replace

import pytest

from queue_core.domain.assembler import DispositionAssembler
from queue_core.domain.contacts import ContactAttempt
from queue_core.domain.facts import (
    AmdEvent,
    ContactFact,
    ContactTimedOut,
    ReservationAccepted,
    SettleGraceElapsed,
    TaskCanceled,
    TaskCreated,
)
from tests.unit.core.test_assembler import (
    CALL,
    FROM,
    T0,
    TO,
    WT,
    make_attempt,
    report,
    step,
    studio,
    voice,
)

assemble = DispositionAssembler.assemble
ANSWER = T0 + 10.250  # the `call.answered` event's instant, to the millisecond
OTHER_CALL = "CA" + "9" * 32


def attempt(voice_mode: bool = True, *, tasks: bool = True) -> ContactAttempt:
    return replace(make_attempt(voice_mode), expect_task_events=tasks, campaign_id="c-7")


def call(*, amd: str = "human") -> list[ContactFact]:
    """A person's call: initiated, answered (AMD `amd`), completed; the flow ended."""
    return [
        voice("EZinit", "initiated", "initiated", T0 + 1, 0),
        voice("EZans", "answered", "in-progress", ANSWER, 2, answered_by=amd),
        voice("EZdone", "completed", "completed", T0 + 90, 3, duration_s=80, answered_by=amd),
        studio("EZend", True, T0 + 91),
    ]


def accepted(after_s: float, call_sid: str = CALL, event_id: str = "EZacc") -> ContactFact:
    return ReservationAccepted(event_id, WT, call_sid, "WK1", at=ANSWER + after_s)


@pytest.mark.parametrize(
    ("after_s", "abandoned"), [(0.0, False), (1.999, False), (2.0, False), (2.001, True)]
)
def test_an_agent_within_2_s_of_the_answer_is_not_an_abandon(
    after_s: float, abandoned: bool
) -> None:
    disposition = assemble(attempt(), [*call(), accepted(after_s)])
    assert disposition is not None
    assert disposition.human_answered is True
    assert disposition.agent_connected_s == after_s
    assert disposition.abandoned is abandoned
    assert disposition.task_sid == WT
    assert disposition.campaign_id == "c-7"
    assert disposition.to_fields()["agent_connected_s"] == f"{after_s:.3f}"


def test_a_task_canceled_by_a_hang_up_is_an_abandon() -> None:
    canceled = TaskCanceled("EZcan", WT, CALL, "hangup", at=ANSWER + 6)
    disposition = assemble(attempt(), [*call(), canceled])
    assert disposition is not None
    assert (disposition.human_answered, disposition.abandoned) == (True, True)
    assert (disposition.agent_connected_s, disposition.task_sid) == (None, WT)


def test_a_person_answered_contact_waits_for_its_task_until_the_grace() -> None:
    created = TaskCreated("EZtask", WT, CALL, at=ANSWER + 0.5)
    facts = [*call(), created]
    assert assemble(attempt(), facts) is None
    assert DispositionAssembler.awaits_grace(attempt(), facts) is True
    settled = assemble(attempt(), [*facts, SettleGraceElapsed(at=T0 + 121)])
    assert settled is not None
    assert (settled.human_answered, settled.abandoned, settled.task_sid) == (True, True, WT)
    assert settled.ended_at == T0 + 91  # the grace moves no time of the call


def test_an_accept_with_no_answer_event_waits_then_measures_from_what_is_known() -> None:
    facts = [f for f in call() if f.key != "ce:EZans"]
    facts += [AmdEvent("EZamd", CALL, TO, FROM, "human", at=ANSWER + 1.0), accepted(2.5)]
    assert assemble(attempt(), facts) is None  # the answer it is measured from is not in
    settled = assemble(attempt(), [*facts, SettleGraceElapsed(at=T0 + 121)])
    assert settled is not None
    assert settled.agent_connected_s == 1.5  # from the AMD event, the next best
    assert settled.abandoned is False


def test_a_machine_needs_no_task() -> None:
    disposition = assemble(attempt(), call(amd="machine_end_beep"))
    assert disposition is not None
    assert (disposition.human_answered, disposition.abandoned) == (False, False)


def test_an_accept_decides_over_the_cancel_of_another_task() -> None:
    canceled = TaskCanceled("EZcan", "WT" + "0" * 32, CALL, "hangup", at=ANSWER + 1)
    for facts in ([*call(), canceled, accepted(1.2)], [accepted(1.2), canceled, *call()]):
        disposition = assemble(attempt(), facts)
        assert disposition is not None
        assert (disposition.agent_connected_s, disposition.task_sid) == (1.2, WT)


def test_the_earliest_accept_is_the_first_agent() -> None:
    later = accepted(9.0, event_id="EZacc2")
    disposition = assemble(attempt(), [*call(), later, accepted(1.0)])
    assert disposition is not None
    assert disposition.agent_connected_s == 1.0


def test_tasks_of_another_call_are_not_the_contacts() -> None:
    facts = [*call(), accepted(0.5, OTHER_CALL, event_id="EZother")]
    assert assemble(attempt(), facts) is None  # still waits for its own call's task
    assert assemble(attempt(), [*facts, accepted(3.0)]) == assemble(
        attempt(), [*call(), accepted(3.0)]
    )


def test_without_task_events_expected_tasks_change_nothing() -> None:
    without = attempt(tasks=False)
    alone = assemble(without, call())
    assert alone is not None
    assert (alone.human_answered, alone.abandoned, alone.task_sid) == (True, True, "")
    assert assemble(without, [*call(), accepted(0.5)]) == alone


def test_studio_only_measures_from_the_call_widgets_answer() -> None:
    answered_step = step(
        "EZcall", "answered", ANSWER, CallSid=CALL, CallStatus="in-progress", AnsweredBy="human"
    )
    facts = [studio("EZend", True, T0 + 91), report("completed", T0 + 90), answered_step]
    disposition = assemble(attempt(voice_mode=False), [*facts, accepted(0.75)])
    assert disposition is not None
    assert disposition.agent_connected_s == 0.75
    assert assemble(attempt(voice_mode=False), [*facts[:2], accepted(0.75)]) is None


def test_a_timed_out_live_call_tells_what_it_knows() -> None:
    facts: list[ContactFact] = [*call()[:2], studio("EZend", True, T0 + 5), accepted(4.0)]
    assert assemble(attempt(), facts) is None  # answered and live: no grace ends it
    timed_out = assemble(attempt(), [*facts, ContactTimedOut(at=T0 + 7200)])
    assert timed_out is not None
    assert timed_out.status == "unknown"
    assert (timed_out.human_answered, timed_out.agent_connected_s) == (True, 4.0)
    assert timed_out.abandoned is True


def test_call_sid_is_the_call_the_facts_bind() -> None:
    assert DispositionAssembler.call_sid(attempt(), []) == ""
    assert DispositionAssembler.call_sid(attempt(), call()[:1]) == CALL
    only_tasks = [accepted(1.0)]
    assert DispositionAssembler.call_sid(attempt(), only_tasks) == ""  # a task binds nothing
