"""Whether a person answered the contact's call, and how soon an agent took it (ADR 0025).
Private to the assembler.

The measure is TaskRouter's `timestamp` of the first accept of the call's task (milliseconds)
less the answer: the time of the call's `call.answered` event (voice mode; to the millisecond
when its CloudEvent time agrees with its whole-second `Timestamp`), or of the call widget's
step that took the answer (Studio-only mode). Those are the facts a contact waits for; once
the grace has passed, what is in decides, down to an AMD event or the task's creation.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from queue_core.domain._admission import ANSWERED, Admitted, normalize_call_status
from queue_core.domain._outcomes import Outcome
from queue_core.domain.abandonment import is_abandoned
from queue_core.domain.contacts import ContactAttempt
from queue_core.domain.facts import (
    ContactFact,
    ReservationAccepted,
    TaskCanceled,
    TaskCreated,
    TaskFact,
)


@dataclass(frozen=True, slots=True)
class PersonAndAgent:
    """The disposition's fields about the person and the agent."""

    human_answered: bool = False
    agent_connected_s: float | None = None
    abandoned: bool = False
    task_sid: str = ""


def _machine(told: Iterable[str]) -> bool:
    return any(value.startswith("machine") or value == "fax" for value in told)


def _call_answered(admitted: Admitted, outcome: Outcome) -> bool:
    """The call was answered: its outcome is `completed`, or (when nothing told how it ended)
    a voice event of the call shows the answer."""
    if outcome.status == "completed":
        return True
    return outcome.status == "unknown" and bool(_answer_events(admitted))


def person_answered(attempt: ContactAttempt, admitted: Admitted, outcome: Outcome) -> bool:
    """Answered, and no AnsweredBy says a machine or a fax did (AMD off, `human` and `unknown`
    count as a person). Without task events only the deciding facts tell (the outcome's
    AnsweredBy), so that the set stays final; with them every AMD answer in counts, since a
    person-answered contact waits for its task anyway."""
    if not _call_answered(admitted, outcome):
        return False
    told = {outcome.answered_by}
    if attempt.expect_task_events:
        told |= {event.answered_by for event in admitted.voice}
        told |= {event.answered_by for event in admitted.amd}
        told |= {str(step.context.get("AnsweredBy", "")) for step in admitted.steps}
    return not _machine(told)


def _answer_events(admitted: Admitted) -> list[ContactFact]:
    return [
        event
        for event in admitted.voice
        if event.kind.value == "answered" or normalize_call_status(event.call_status) in ANSWERED
    ]


def _answer_steps(admitted: Admitted) -> list[ContactFact]:
    """The call widget's steps that took the answer (context CallStatus, or transition)."""
    out: list[ContactFact] = []
    for step in admitted.steps:
        if "CallSid" not in step.context and "CallStatus" not in step.context:
            continue
        told = normalize_call_status(str(step.context.get("CallStatus", "")))
        if told in ANSWERED or normalize_call_status(step.name) in ANSWERED:
            out.append(step)
    return out


def _earliest(facts: Iterable[ContactFact]) -> float | None:
    return min((fact.at for fact in facts if fact.at is not None), default=None)


def answer_instant(attempt: ContactAttempt, admitted: Admitted, *, waited: bool) -> float | None:
    """When the person answered: the mode's own answer fact (see the module). Once the contact
    no longer waits (`waited`: the grace or the timeout is in), the next best in turn: the
    call step, the AMD event, the task's creation. None when nothing tells."""
    own = _answer_events(admitted) if attempt.expect_voice_events else _answer_steps(admitted)
    found = _earliest(own)
    if found is not None or not waited:
        return found
    for facts in (_answer_steps(admitted), admitted.amd, _tasks(admitted, TaskCreated)):
        found = _earliest(facts)
        if found is not None:
            return found
    return None


def _tasks(admitted: Admitted, kind: type[TaskFact]) -> list[TaskFact]:
    return [task for task in admitted.tasks if isinstance(task, kind)]


def first_accept(admitted: Admitted) -> ReservationAccepted | None:
    """The earliest accept of the call's tasks (then the smallest key): the first agent."""
    accepts = [task for task in admitted.tasks if isinstance(task, ReservationAccepted)]
    return min(accepts, key=lambda a: (math.inf if a.at is None else a.at, a.key), default=None)


def awaits_task(attempt: ContactAttempt, admitted: Admitted, outcome: Outcome) -> bool:
    """The facts are final but for the task: the attempt expects task events, a person
    answered, and neither an accept (with the answer it is measured from) nor a cancel is in.
    An accept decides over a cancel of another task of the call."""
    if not attempt.expect_task_events or not person_answered(attempt, admitted, outcome):
        return False
    if first_accept(admitted) is not None:
        return answer_instant(attempt, admitted, waited=False) is None
    return not _tasks(admitted, TaskCanceled)


def person_and_agent(
    attempt: ContactAttempt, admitted: Admitted, outcome: Outcome, *, waited: bool
) -> PersonAndAgent:
    """The fields: task facts say nothing of a call no person answered."""
    if not person_answered(attempt, admitted, outcome):
        return PersonAndAgent()
    accept = first_accept(admitted)
    answer = answer_instant(attempt, admitted, waited=waited)
    connected = None
    if accept is not None and accept.at is not None and answer is not None:
        connected = round(max(0.0, accept.at - answer), 3)
    tasks: list[TaskFact] = [accept] if accept is not None else []
    tasks += sorted(_tasks(admitted, TaskCanceled), key=lambda t: t.key)
    tasks += sorted(_tasks(admitted, TaskCreated), key=lambda t: t.key)
    task_sid = tasks[0].task_sid if tasks else ""
    return PersonAndAgent(True, connected, is_abandoned(True, connected), task_sid)
