"""The disposition assembler: a contact's facts, in any order, folded into its one disposition.

A pure function of the SET of facts (deduplicated on `fact.key`). Every field comes only from
the facts that made the set final, so facts added to a final set never change the disposition
unless they contradict it. Rules and reasons: docs/adr/0003-disposition-assembly-and-correlation.md.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from queue_core.bounds import cut
from queue_core.contacts import ClaimedRecord, ContactAttempt, ContactRecord
from queue_core.disposition import Disposition, DispositionStatus
from queue_core.facts import (
    TERMINAL_CALL_STATUSES,
    AmdEvent,
    CallStatusReport,
    ContactFact,
    ContactTimedOut,
    StudioExecutionEvent,
    StudioStepEvent,
    VoiceCallEvent,
    VoiceEventKind,
    encode,
)
from queue_core.launch import Rejected

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
    pair, ref = (attempt.to, attempt.from_), (attempt.ref.campaign_execution_id, attempt.record_id)
    for fact in _unique(facts):
        if isinstance(fact, AmdEvent):
            continue  # for the pacer only: see `answered_by_person`
        if isinstance(fact, VoiceCallEvent):
            if attempt.expect_voice_events and (fact.to, fact.from_) == pair:
                voice.append(fact)
        elif isinstance(fact, ContactTimedOut):
            timeout = fact
        elif fact.execution_sid != attempt.execution_sid:
            continue  # another execution's: never ours, whatever routed it here
        elif isinstance(fact, StudioExecutionEvent):
            ended += [fact] if fact.ended else []
        elif isinstance(fact, StudioStepEvent):
            steps.append(fact)
        elif (fact.campaign_execution_id, fact.record_id) == ref:
            reports.append(fact)
    # The flow's report names its call: voice events of another call to the same pair are late
    # deliveries for an earlier contact and must not decide this one.
    named = {report.call_sid for report in reports if report.call_sid}
    voice = [event for event in voice if event.call_sid in named] if named else voice
    return _Admitted(tuple(voice), next(iter(ended), None), tuple(reports), tuple(steps), timeout)


def _latest_first(event: VoiceCallEvent) -> tuple[int, str]:
    """Highest SequenceNumber first, then smallest key: a fixed pick among disagreeing events."""
    return (1 if event.sequence_number is None else -event.sequence_number, event.key)


def _terminal_voice(admitted: _Admitted) -> VoiceCallEvent | None:
    terminal = [e for e in admitted.voice if normalize_call_status(e.call_status) in _TERMINAL]
    return min(terminal, key=_latest_first, default=None)


def _report_outcome(report: CallStatusReport, answered_counts: bool) -> str:
    """The status a report tells, or "": its terminal CallStatus; `failed` when it names no
    call (none was created); `completed` for an answered call when `answered_counts`."""
    status = normalize_call_status(report.call_status)
    if status in _TERMINAL:
        return status
    if not report.call_sid:
        return "failed"
    return "completed" if answered_counts and status in _ANSWERED else ""


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
    if report is not None:
        outcome = _from_report(report, answered_counts=True)
        return outcome if outcome.status == "failed" else _Outcome(outcome.status, outcome.call_sid)
    for step in admitted.steps:
        told = _from_step(step, answered_counts=True)
        if told is not None and told.status != "failed":
            return _Outcome(told.status, told.call_sid)
    return None


def _ended_at(attempt: ContactAttempt, *facts: ContactFact | None) -> float:
    """The latest time among the deciding facts, never before the launch."""
    return max([attempt.launched_at, *(f.at for f in facts if f and f.at is not None)])


def _decide(attempt: ContactAttempt, admitted: _Admitted) -> _Decision | None:
    """The outcome once the set is final without a timeout, else None."""
    ended = admitted.ended
    if ended is None:
        return None
    if not attempt.expect_voice_events:
        outcome = _studio_only(admitted)
        return None if outcome is None else (outcome, _ended_at(attempt, ended))
    event = _terminal_voice(admitted)
    if event is not None:
        report = _first_report(admitted)
        if normalize_call_status(event.call_status) == "failed" and report is None:
            return None  # the flow's report carries the error: wait for it
        return _from_voice(event, report), _ended_at(attempt, event, ended)
    no_call = [report for report in admitted.reports if not report.call_sid]
    if no_call:
        return _from_report(no_call[0], answered_counts=False), _ended_at(attempt, ended)
    return None


def _on_timeout(
    attempt: ContactAttempt, admitted: _Admitted, timeout: ContactTimedOut
) -> _Decision:
    """The known terminal outcome when the contact times out, else `unknown`."""
    event, ended = _terminal_voice(admitted), admitted.ended
    if event is not None:
        return _from_voice(event, _first_report(admitted)), _ended_at(attempt, event, ended)
    report = _deciding_report(admitted, answered_counts=False)
    if report is not None:
        return _from_report(report, answered_counts=False), _ended_at(attempt, report, ended)
    for step in admitted.steps:
        outcome = _from_step(step, answered_counts=False)
        if outcome is not None:
            return outcome, _ended_at(attempt, step, ended)
    sids = [event.call_sid for event in sorted(admitted.voice, key=_latest_first)]
    sids += [report.call_sid for report in admitted.reports]
    sids += [str(step.context.get("CallSid", "")) for step in admitted.steps]
    return _Outcome("unknown", next(filter(None, sids), "")), _ended_at(attempt, timeout)


class DispositionAssembler:
    """Folds one contact's facts into its disposition. Stateless: every method is pure."""

    @staticmethod
    def assemble(attempt: ContactAttempt, facts: Iterable[ContactFact]) -> Disposition | None:
        """The contact's one disposition once the facts are final, else None. A function of the
        SET of facts (deduplicated on `fact.key`): any order, any duplicates, same result."""
        admitted = _admit(attempt, facts)
        decided = _decide(attempt, admitted)
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
