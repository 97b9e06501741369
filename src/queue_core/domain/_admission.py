"""Which facts belong to a contact attempt: one per key, of its execution, record and pair,
voice and AMD events of its own call only (ADR 0011), and the tasks of that call when the
attempt expects them (ADR 0025). Private to the assembler."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TypeVar

from queue_core.domain.contacts import ContactAttempt
from queue_core.domain.facts import (
    TERMINAL_CALL_STATUSES,
    AmdEvent,
    CallStatusReport,
    ContactFact,
    ContactTimedOut,
    ReservationAccepted,
    SettleGraceElapsed,
    StudioExecutionEvent,
    StudioStepEvent,
    TaskCanceled,
    TaskCreated,
    TaskFact,
    VoiceCallEvent,
    VoiceEventKind,
    encode,
)

TERMINAL = TERMINAL_CALL_STATUSES
ANSWERED = frozenset({"in-progress", "answered"})
_ALIASES = {"noanswer": "no-answer", "cancelled": "canceled", "inprogress": "in-progress"}

# How far before the launch a voice event of our own call may be dated: Twilio's `Timestamp`
# has whole seconds, and the two clocks may differ a little (ADR 0011).
VOICE_CLOCK_ALLOWANCE_S = 5.0


def normalize_call_status(text: str) -> str:
    """A Twilio CallStatus or Studio transition name in CallStatus spelling: `noAnswer`,
    `no_answer` -> `no-answer`, `cancelled` -> `canceled`; "" stays ""."""
    status = text.strip().lower().replace("_", "-")
    return _ALIASES.get(status.replace("-", ""), status)


@dataclass(frozen=True, slots=True)
class Admitted:
    """The facts that belong to the attempt under its modes, one per key, sorted by key, and
    the call they bind it to ("" while none)."""

    voice: tuple[VoiceCallEvent, ...]
    ended: StudioExecutionEvent | None
    reports: tuple[CallStatusReport, ...]
    steps: tuple[StudioStepEvent, ...]
    timeout: ContactTimedOut | None
    grace: SettleGraceElapsed | None
    amd: tuple[AmdEvent, ...] = ()
    tasks: tuple[TaskFact, ...] = ()
    call_sid: str = ""


def unique(facts: Iterable[ContactFact]) -> list[ContactFact]:
    """One fact per key, sorted by key. Two deliveries of one key should be equal; when they
    are not (a retried post stamped later) the earliest, then the smallest encoding, wins."""
    best: dict[str, ContactFact] = {}
    for fact in facts:
        held = best.get(fact.key)
        # Encoding is the costly part: only two different deliveries of one key need it.
        if held is None or (held != fact and rank(fact) < rank(held)):
            best[fact.key] = fact
    return [best[key] for key in sorted(best)]


def rank(fact: ContactFact) -> tuple[float, str]:
    return (math.inf if fact.at is None else fact.at, encode(fact))


def admit(attempt: ContactAttempt, facts: Iterable[ContactFact]) -> Admitted:
    voice: list[VoiceCallEvent] = []
    amd: list[AmdEvent] = []
    tasks: list[TaskFact] = []
    ended: list[StudioExecutionEvent] = []
    reports: list[CallStatusReport] = []
    steps: list[StudioStepEvent] = []
    timeout: ContactTimedOut | None = None
    grace: SettleGraceElapsed | None = None
    pair, ref = (attempt.to, attempt.from_), (attempt.ref.campaign_execution_id, attempt.record_id)
    voice_mode = attempt.expect_voice_events
    for fact in unique(facts):
        if isinstance(fact, VoiceCallEvent):
            voice += [fact] if voice_mode and (fact.to, fact.from_) == pair else []
        elif isinstance(fact, AmdEvent):
            amd += [fact] if voice_mode and (fact.to, fact.from_) == pair else []
        elif isinstance(fact, TaskCreated | ReservationAccepted | TaskCanceled):
            tasks += [fact] if attempt.expect_task_events else []
        elif isinstance(fact, ContactTimedOut):
            timeout = fact
        elif isinstance(fact, SettleGraceElapsed):
            grace = fact
        elif fact.execution_sid != attempt.execution_sid:
            continue  # another execution's: never ours, whatever routed it here
        elif isinstance(fact, StudioExecutionEvent):
            ended += [fact] if fact.ended else []
        elif isinstance(fact, StudioStepEvent):
            steps.append(fact)
        elif (fact.campaign_execution_id, fact.record_id) == ref:
            reports.append(fact)
    voice, bound = of_our_call(attempt, voice, reports, steps)
    ended_event = next(iter(ended), None)
    admitted = Admitted(tuple(voice), ended_event, tuple(reports), tuple(steps), timeout, grace)
    return replace(admitted, amd=of_call(amd, bound), tasks=of_call(tasks, bound), call_sid=bound)


_F = TypeVar("_F", AmdEvent, TaskFact)


def of_call(facts: list[_F], call_sid: str) -> tuple[_F, ...]:
    """The facts about call `call_sid` (none while no call is bound)."""
    return tuple(fact for fact in facts if call_sid and fact.call_sid == call_sid)


def of_our_call(
    attempt: ContactAttempt,
    voice: list[VoiceCallEvent],
    reports: list[CallStatusReport],
    steps: list[StudioStepEvent],
) -> tuple[list[VoiceCallEvent], str]:
    """The voice events of the attempt's own call (ADR 0011), and its SID ("" when none). A
    voice event is matched only by its (To, From) pair, so it may be a late delivery for an
    earlier call to the same number:
    - one dated before the launch (less `VOICE_CLOCK_ALLOWANCE_S`) is an earlier call's;
    - the call SID a report or the call widget's step names (both matched by the execution
      SID, so they are this attempt's) binds the contact: other calls' events are dropped;
    - with no such name, a call initiated since the launch is ours (an earlier call to the
      pair was initiated before it), else the call whose earliest event is the latest."""
    earliest = attempt.launched_at - VOICE_CLOCK_ALLOWANCE_S
    voice = [event for event in voice if event.at is None or event.at >= earliest]
    named = [report.call_sid for report in reports if report.call_sid]
    named += [str(step.context.get("CallSid", "")) for step in steps]
    bound = next(filter(None, named), "")
    if not bound:
        started: dict[str, tuple[bool, float, str]] = {}
        for event in voice:
            at = -math.inf if event.at is None else event.at
            initiated, first, _ = started.get(event.call_sid, (False, math.inf, ""))
            initiated = initiated or event.kind is VoiceEventKind.INITIATED
            started[event.call_sid] = (initiated, min(first, at), event.call_sid)
        bound = max(started.values(), default=(False, 0.0, ""))[2]
    return [event for event in voice if event.call_sid == bound], bound
