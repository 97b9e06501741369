"""What each kind of fact tells about a contact's outcome, as values the assembler's rules
pick from (ADR 0011). Private to the assembler."""

from __future__ import annotations

from dataclasses import dataclass

from queue_core.domain._admission import ANSWERED, TERMINAL, Admitted, normalize_call_status
from queue_core.domain.contacts import ContactAttempt
from queue_core.domain.facts import CallStatusReport, ContactFact, StudioStepEvent, VoiceCallEvent


@dataclass(frozen=True, slots=True)
class Outcome:
    status: str
    call_sid: str = ""
    answered_by: str = ""
    duration_s: int = 0
    sip_response_code: str = ""
    error_code: str = ""
    error_message: str = ""


Decision = tuple[Outcome, float]  # and `ended_at`


def latest_first(event: VoiceCallEvent) -> tuple[int, str]:
    """Highest SequenceNumber first, then smallest key: a fixed pick among disagreeing events."""
    return (1 if event.sequence_number is None else -event.sequence_number, event.key)


def terminal_voice(admitted: Admitted) -> VoiceCallEvent | None:
    terminal = [e for e in admitted.voice if normalize_call_status(e.call_status) in TERMINAL]
    return min(terminal, key=latest_first, default=None)


def report_outcome(report: CallStatusReport, answered_counts: bool) -> str:
    """The status a report tells, or "": its terminal CallStatus; `failed` when it says no
    call was created; `completed` for an answered call when `answered_counts`."""
    status = normalize_call_status(report.call_status)
    if status in TERMINAL:
        return status
    if says_no_call(report):
        return "failed"
    return "completed" if answered_counts and status in ANSWERED else ""


def says_no_call(report: CallStatusReport) -> bool:
    """A report naming no call and telling no call status: the call widget failed before a
    call existed. (A report that tells a status without the call SID just left it out.)"""
    status = normalize_call_status(report.call_status)
    return not report.call_sid and status not in TERMINAL | ANSWERED


def first_report(admitted: Admitted) -> CallStatusReport | None:
    """The report that speaks for the flow: one telling a terminal status or that no call
    exists, else one telling an answer, else any; then the smallest key."""
    return min(
        admitted.reports,
        key=lambda r: (not report_outcome(r, False), not report_outcome(r, True), r.key),
        default=None,
    )


def deciding_report(admitted: Admitted, answered_counts: bool) -> CallStatusReport | None:
    report = first_report(admitted)
    return report if report and report_outcome(report, answered_counts) else None


def from_voice(event: VoiceCallEvent, report: CallStatusReport | None) -> Outcome:
    """What the terminal voice event tells; the error of a failed call is the flow report's."""
    status = normalize_call_status(event.call_status)
    error = report if report is not None and status == "failed" else None
    return Outcome(
        status=status,
        call_sid=event.call_sid,
        answered_by=event.answered_by,
        duration_s=(event.duration_s or 0) if status == "completed" else 0,
        sip_response_code=event.sip_response_code,
        error_code=error.error_code if error else "",
        error_message=error.error_message if error else "",
    )


def from_report(report: CallStatusReport, answered_counts: bool) -> Outcome:
    status = report_outcome(report, answered_counts)
    return Outcome(
        status, report.call_sid, error_code=report.error_code, error_message=report.error_message
    )


def from_step(step: StudioStepEvent, answered_counts: bool) -> Outcome | None:
    """The outcome a call widget's step tells (context CallStatus, else the name of the
    transition it took): terminal, or `completed` for an answer when `answered_counts`. Other
    widgets' steps say nothing: their `failed` is not the call's."""
    context = step.context
    if "CallSid" not in context and "CallStatus" not in context:
        return None
    status = normalize_call_status(str(context.get("CallStatus", "")))
    if status not in TERMINAL | ANSWERED:
        status = normalize_call_status(step.name)
    if status in ANSWERED and answered_counts:
        status = "completed"
    if status not in TERMINAL:
        return None
    return Outcome(status, str(context.get("CallSid", "")), str(context.get("AnsweredBy", "")))


def ended_at(attempt: ContactAttempt, *facts: ContactFact | None) -> float:
    """The latest time among the deciding facts, never before the launch."""
    return max([attempt.launched_at, *(f.at for f in facts if f and f.at is not None)])


def unknown(admitted: Admitted) -> Outcome:
    """`unknown`, with the call SID when any fact names one."""
    sids = [event.call_sid for event in sorted(admitted.voice, key=latest_first)]
    sids += [report.call_sid for report in admitted.reports]
    sids += [str(step.context.get("CallSid", "")) for step in admitted.steps]
    return Outcome("unknown", next(filter(None, sids), ""))
