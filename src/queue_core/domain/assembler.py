"""The disposition assembler: a contact's facts, in any order, folded into its one disposition.

A pure function of the SET of facts (deduplicated on `fact.key`). Every field comes only from
the facts that made the set final, so facts added to a final set never change the disposition
unless they contradict it. Rules and reasons: docs/adr/0011-every-source-may-be-silent.md
(which supersedes ADR 0003).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace

from queue_core.domain.bounds import cut
from queue_core.domain.contacts import ClaimedRecord, ContactAttempt, ContactRecord
from queue_core.domain.disposition import Disposition, DispositionStatus
from queue_core.domain.facts import (
    TERMINAL_CALL_STATUSES,
    AmdEvent,
    CallStatusReport,
    ContactFact,
    ContactTimedOut,
    SettleGraceElapsed,
    StudioExecutionEvent,
    StudioStepEvent,
    VoiceCallEvent,
    VoiceEventKind,
    encode,
)
from queue_core.domain.launch import Rejected

__all__ = [
    "DispositionAssembler",
    "invalid_record_disposition",
    "launch_failed_disposition",
    "normalize_call_status",
]

_TERMINAL = TERMINAL_CALL_STATUSES
_ANSWERED = frozenset({"in-progress", "answered"})
_ALIASES = {"noanswer": "no-answer", "cancelled": "canceled", "inprogress": "in-progress"}
_MAX_PHONE_LENGTH = 64
# How far before the launch a voice event of our own call may be dated: Twilio's `Timestamp`
# has whole seconds, and the two clocks may differ a little (ADR 0011).
VOICE_CLOCK_ALLOWANCE_S = 5.0


def normalize_call_status(text: str) -> str:
    """A Twilio CallStatus or Studio transition name in CallStatus spelling: `noAnswer`,
    `no_answer` -> `no-answer`, `cancelled` -> `canceled`; "" stays ""."""
    status = text.strip().lower().replace("_", "-")
    return _ALIASES.get(status.replace("-", ""), status)


@dataclass(frozen=True, slots=True)
class _Admitted:
    """The facts that belong to the attempt under its mode, one per key, sorted by key."""

    voice: tuple[VoiceCallEvent, ...]
    ended: StudioExecutionEvent | None
    reports: tuple[CallStatusReport, ...]
    steps: tuple[StudioStepEvent, ...]
    timeout: ContactTimedOut | None
    grace: SettleGraceElapsed | None


@dataclass(frozen=True, slots=True)
class _Outcome:
    status: str
    call_sid: str = ""
    answered_by: str = ""
    duration_s: int = 0
    sip_response_code: str = ""
    error_code: str = ""
    error_message: str = ""


_Decision = tuple[_Outcome, float]  # and `ended_at`


def _unique(facts: Iterable[ContactFact]) -> list[ContactFact]:
    """One fact per key, sorted by key. Two deliveries of one key should be equal; when they
    are not (a retried post stamped later) the earliest, then the smallest encoding, wins."""
    best: dict[str, ContactFact] = {}
    for fact in facts:
        held = best.get(fact.key)
        # Encoding is the costly part: only two different deliveries of one key need it.
        if held is None or (held != fact and _rank(fact) < _rank(held)):
            best[fact.key] = fact
    return [best[key] for key in sorted(best)]


def _rank(fact: ContactFact) -> tuple[float, str]:
    return (math.inf if fact.at is None else fact.at, encode(fact))


def _admit(attempt: ContactAttempt, facts: Iterable[ContactFact]) -> _Admitted:
    voice: list[VoiceCallEvent] = []
    ended: list[StudioExecutionEvent] = []
    reports: list[CallStatusReport] = []
    steps: list[StudioStepEvent] = []
    timeout: ContactTimedOut | None = None
    grace: SettleGraceElapsed | None = None
    pair, ref = (attempt.to, attempt.from_), (attempt.ref.campaign_execution_id, attempt.record_id)
    for fact in _unique(facts):
        if isinstance(fact, AmdEvent):
            continue  # for the pacer only: see `answered_by_person`
        if isinstance(fact, VoiceCallEvent):
            if attempt.expect_voice_events and (fact.to, fact.from_) == pair:
                voice.append(fact)
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
    voice = _of_our_call(attempt, voice, reports, steps)
    return _Admitted(
        tuple(voice), next(iter(ended), None), tuple(reports), tuple(steps), timeout, grace
    )


def _of_our_call(
    attempt: ContactAttempt,
    voice: list[VoiceCallEvent],
    reports: list[CallStatusReport],
    steps: list[StudioStepEvent],
) -> list[VoiceCallEvent]:
    """The voice events of the attempt's own call (ADR 0011). A voice event is matched only by
    its (To, From) pair, so it may be a late delivery for an earlier call to the same number:
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
    return [event for event in voice if event.call_sid == bound]


def _latest_first(event: VoiceCallEvent) -> tuple[int, str]:
    """Highest SequenceNumber first, then smallest key: a fixed pick among disagreeing events."""
    return (1 if event.sequence_number is None else -event.sequence_number, event.key)


def _terminal_voice(admitted: _Admitted) -> VoiceCallEvent | None:
    terminal = [e for e in admitted.voice if normalize_call_status(e.call_status) in _TERMINAL]
    return min(terminal, key=_latest_first, default=None)


def _report_outcome(report: CallStatusReport, answered_counts: bool) -> str:
    """The status a report tells, or "": its terminal CallStatus; `failed` when it says no
    call was created; `completed` for an answered call when `answered_counts`."""
    status = normalize_call_status(report.call_status)
    if status in _TERMINAL:
        return status
    if _says_no_call(report):
        return "failed"
    return "completed" if answered_counts and status in _ANSWERED else ""


def _says_no_call(report: CallStatusReport) -> bool:
    """A report naming no call and telling no call status: the call widget failed before a
    call existed. (A report that tells a status without the call SID just left it out.)"""
    status = normalize_call_status(report.call_status)
    return not report.call_sid and status not in _TERMINAL | _ANSWERED


def _first_report(admitted: _Admitted) -> CallStatusReport | None:
    """The report that speaks for the flow: one telling a terminal status or that no call
    exists, else one telling an answer, else any; then the smallest key."""
    return min(
        admitted.reports,
        key=lambda r: (not _report_outcome(r, False), not _report_outcome(r, True), r.key),
        default=None,
    )


def _deciding_report(admitted: _Admitted, answered_counts: bool) -> CallStatusReport | None:
    report = _first_report(admitted)
    return report if report and _report_outcome(report, answered_counts) else None


def _from_voice(event: VoiceCallEvent, report: CallStatusReport | None) -> _Outcome:
    """What the terminal voice event tells; the error of a failed call is the flow report's."""
    status = normalize_call_status(event.call_status)
    error = report if report is not None and status == "failed" else None
    return _Outcome(
        status=status,
        call_sid=event.call_sid,
        answered_by=event.answered_by,
        duration_s=(event.duration_s or 0) if status == "completed" else 0,
        sip_response_code=event.sip_response_code,
        error_code=error.error_code if error else "",
        error_message=error.error_message if error else "",
    )


def _from_report(report: CallStatusReport, answered_counts: bool) -> _Outcome:
    status = _report_outcome(report, answered_counts)
    return _Outcome(
        status, report.call_sid, error_code=report.error_code, error_message=report.error_message
    )


def _from_step(step: StudioStepEvent, answered_counts: bool) -> _Outcome | None:
    """The outcome a call widget's step tells (context CallStatus, else the name of the
    transition it took): terminal, or `completed` for an answer when `answered_counts`. Other
    widgets' steps say nothing: their `failed` is not the call's."""
    context = step.context
    if "CallSid" not in context and "CallStatus" not in context:
        return None
    status = normalize_call_status(str(context.get("CallStatus", "")))
    if status not in _TERMINAL | _ANSWERED:
        status = normalize_call_status(step.name)
    if status in _ANSWERED and answered_counts:
        status = "completed"
    if status not in _TERMINAL:
        return None
    return _Outcome(status, str(context.get("CallSid", "")), str(context.get("AnsweredBy", "")))


def _studio_only(admitted: _Admitted) -> _Outcome | None:
    """What the report tells, else what a call widget's step tells. A failure waits for the
    report, which carries the error. Otherwise the report's error and the step's AnsweredBy are
    left out, so that either fact alone gives the same disposition."""
    report = _deciding_report(admitted, answered_counts=True)
    outcome = None if report is None else _from_report(report, answered_counts=True)
    if outcome is not None and outcome.status == "failed":
        return outcome
    if outcome is not None and outcome.call_sid:
        return _Outcome(outcome.status, outcome.call_sid)
    # A report that left the call SID out waits for the step that names it, or the grace.
    for step in admitted.steps:
        told = _from_step(step, answered_counts=True)
        if told is not None and told.status != "failed":
            return _Outcome(told.status, told.call_sid)
    return None


def _ended_at(attempt: ContactAttempt, *facts: ContactFact | None) -> float:
    """The latest time among the deciding facts, never before the launch."""
    return max([attempt.launched_at, *(f.at for f in facts if f and f.at is not None)])


def _no_call_or_failed(admitted: _Admitted) -> CallStatusReport | None:
    """A report that the call failed or was never created: it carries what no voice event
    does (the error, and a failed call's SID), and no other fact can tell more."""
    return next(
        (
            report
            for report in admitted.reports
            if _says_no_call(report) or normalize_call_status(report.call_status) == "failed"
        ),
        None,
    )


def _decide(attempt: ContactAttempt, admitted: _Admitted) -> _Decision | None:
    """The outcome once the set is final before the grace or the timeout, else None."""
    ended = admitted.ended
    if ended is None:
        return None
    if not attempt.expect_voice_events:
        outcome = _studio_only(admitted)
        return None if outcome is None else (outcome, _ended_at(attempt, ended))
    report = _no_call_or_failed(admitted)
    if report is not None:
        return _from_report(report, answered_counts=False), _ended_at(attempt, ended)
    event = _terminal_voice(admitted)
    if event is not None and normalize_call_status(event.call_status) != "failed":
        return _from_voice(event, None), _ended_at(attempt, event, ended)
    return None  # a failed call's report, or the terminal event, may still be on its way


def _live(admitted: _Admitted) -> bool:
    """A voice event shows our call answered and no fact shows it ended: the call was handed
    on (to an agent, a queue) and outlives its flow."""
    answered = any(
        event.kind is VoiceEventKind.ANSWERED
        or normalize_call_status(event.call_status) in _ANSWERED
        for event in admitted.voice
    )
    if not answered or _terminal_voice(admitted) is not None:
        return False
    if any(normalize_call_status(r.call_status) in _TERMINAL for r in admitted.reports):
        return False
    return not any(
        normalize_call_status(str(step.context.get("CallStatus", ""))) in _TERMINAL
        for step in admitted.steps
    )


def _best_known(
    attempt: ContactAttempt, admitted: _Admitted, answered_counts: bool
) -> _Decision | None:
    """The first terminal outcome the facts tell: the voice event, else a report, else a call
    widget's step; with `answered_counts` (the flow ended after an answer) an answer tells
    `completed`. None when nothing tells an outcome."""
    event, ended = _terminal_voice(admitted), admitted.ended
    if event is not None:
        return _from_voice(event, _first_report(admitted)), _ended_at(attempt, event, ended)
    report = _deciding_report(admitted, answered_counts)
    if report is not None:
        outcome = _from_report(report, answered_counts)
        if not outcome.call_sid and not _says_no_call(report):
            outcome = replace(outcome, call_sid=_unknown(admitted).call_sid)
        return outcome, _ended_at(attempt, report, ended)
    for step in admitted.steps:
        told = _from_step(step, answered_counts)
        if told is not None:
            return told, _ended_at(attempt, step, ended)
    return None


def _unknown(admitted: _Admitted) -> _Outcome:
    """`unknown`, with the call SID when any fact names one."""
    sids = [event.call_sid for event in sorted(admitted.voice, key=_latest_first)]
    sids += [report.call_sid for report in admitted.reports]
    sids += [str(step.context.get("CallSid", "")) for step in admitted.steps]
    return _Outcome("unknown", next(filter(None, sids), ""))


def _on_grace(attempt: ContactAttempt, admitted: _Admitted) -> _Decision | None:
    """The grace passed since the flow ended: the best outcome known, else `unknown`, unless
    the call is still live (then the terminal event or the timeout decides)."""
    ended = admitted.ended
    if ended is None or _live(admitted):
        return None
    known = _best_known(attempt, admitted, answered_counts=True)
    return known or (_unknown(admitted), _ended_at(attempt, ended))


def _on_timeout(
    attempt: ContactAttempt, admitted: _Admitted, timeout: ContactTimedOut
) -> _Decision:
    """The known terminal outcome when the contact times out, else `unknown`."""
    known = _best_known(attempt, admitted, answered_counts=False)
    return known or (_unknown(admitted), _ended_at(attempt, timeout))


class DispositionAssembler:
    """Folds one contact's facts into its disposition. Stateless: every method is pure."""

    @staticmethod
    def assemble(attempt: ContactAttempt, facts: Iterable[ContactFact]) -> Disposition | None:
        """The contact's one disposition once the facts are final, else None. A function of the
        SET of facts (deduplicated on `fact.key`): any order, any duplicates, same result."""
        admitted = _admit(attempt, facts)
        decided = _decide(attempt, admitted)
        if decided is None and admitted.grace is not None:
            decided = _on_grace(attempt, admitted)
        if decided is None and admitted.timeout is not None:
            decided = _on_timeout(attempt, admitted, admitted.timeout)
        if decided is None:
            return None
        outcome, ended_at = decided
        return Disposition(
            campaign_execution_id=attempt.ref.campaign_execution_id,
            record_id=attempt.record_id,
            to=attempt.to,
            from_=attempt.from_,
            launched_at=attempt.launched_at,
            ended_at=ended_at,
            execution_sid=attempt.execution_sid,
            **{**asdict(outcome), "status": DispositionStatus(outcome.status)},
        )

    @staticmethod
    def awaits_grace(attempt: ContactAttempt, facts: Iterable[ContactFact]) -> bool:
        """True when the flow has ended, the facts are not final, and no grace fact is in:
        the tracker starts the contact's settle grace (ADR 0011)."""
        admitted = _admit(attempt, facts)
        return (
            admitted.ended is not None
            and admitted.grace is None
            and admitted.timeout is None
            and _decide(attempt, admitted) is None
        )

    @staticmethod
    def answered_by_person(facts: Iterable[ContactFact]) -> bool:
        """True once the facts show the call answered and nothing shows a machine or fax did
        (AMD `unknown` counts as a person). For the pacer; voice events count in either mode."""
        answered_by: set[str] = set()
        statuses: set[str] = set()
        for fact in facts:
            if isinstance(fact, VoiceCallEvent | AmdEvent):
                answered_by.add(fact.answered_by)
            if isinstance(fact, VoiceCallEvent):
                statuses.add(normalize_call_status(fact.call_status))
                statuses |= {"in-progress"} if fact.kind is VoiceEventKind.ANSWERED else set()
            elif isinstance(fact, CallStatusReport) and fact.call_sid:
                statuses.add(normalize_call_status(fact.call_status))
            elif isinstance(fact, StudioStepEvent) and "CallSid" in fact.context:
                statuses.add(normalize_call_status(str(fact.context.get("CallStatus", ""))))
                answered_by.add(str(fact.context.get("AnsweredBy", "")))
        if any(value.startswith("machine") or value == "fax" for value in answered_by):
            return False
        return "human" in answered_by or bool(statuses & {*_ANSWERED, "completed"})


def invalid_record_disposition(
    campaign_execution_id: str, record: ClaimedRecord, error: str, now: float, from_: str
) -> Disposition:
    """The `invalid_record` disposition of a record that fails validation: never dialed, so
    launched and ended at `now`; `to` is the raw `phone_number` when it is a string, and
    `error_message` is `error` cut to MAX_ECHO_CHARS. A record that cannot be read within
    bounds (`ContactRecord.read`) has neither a record id nor a `to`."""
    record_id, phone = ContactRecord.salvage(record.raw)
    return Disposition(
        campaign_execution_id=campaign_execution_id,
        record_id=record_id,
        status=DispositionStatus.INVALID_RECORD,
        to=phone[:_MAX_PHONE_LENGTH],
        from_=from_,
        launched_at=now,
        ended_at=now,
        error_message=cut(error),
    )


def launch_failed_disposition(
    campaign_execution_id: str, record: ContactRecord, from_: str, rejected: Rejected, now: float
) -> Disposition:
    """The `launch_failed` disposition of a launch Twilio refused (no execution, no call), with
    Twilio's error code and message; launched and ended at `now`."""
    return Disposition(
        campaign_execution_id=campaign_execution_id,
        record_id=record.record_id,
        status=DispositionStatus.LAUNCH_FAILED,
        to=record.phone_number,
        from_=from_,
        launched_at=now,
        ended_at=now,
        error_code=rejected.error_code,
        error_message=rejected.error_message,
    )
