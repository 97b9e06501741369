"""The disposition assembler: a contact's facts, in any order, folded into its one disposition.

A pure function of the SET of facts (deduplicated on `fact.key`). Every field comes only from
the facts that made the set final, so facts added to a final set never change the disposition
unless they contradict it. Which facts are the attempt's: `_admission`; what each fact tells:
`_outcomes`; whether a person answered and how soon an agent took the call: `_person`; the
rules below say which of them decide, and when. Rules and reasons:
docs/adr/0011-every-source-may-be-silent.md (which supersedes ADR 0003), and
docs/adr/0025-taskrouter-and-abandonment.md for a person-answered call's task.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, replace

from queue_core.domain._admission import (
    ANSWERED,
    TERMINAL,
    VOICE_CLOCK_ALLOWANCE_S,
    Admitted,
    admit,
    normalize_call_status,
)
from queue_core.domain._outcomes import (
    Decision,
    Outcome,
    deciding_report,
    ended_at,
    first_report,
    from_report,
    from_step,
    from_voice,
    says_no_call,
    terminal_voice,
    unknown,
)
from queue_core.domain._person import awaits_task, person_and_agent
from queue_core.domain.contacts import ContactAttempt
from queue_core.domain.disposition import Disposition, DispositionStatus
from queue_core.domain.facts import (
    AmdEvent,
    CallStatusReport,
    ContactFact,
    ContactTimedOut,
    StudioStepEvent,
    VoiceCallEvent,
    VoiceEventKind,
)
from queue_core.domain.record_dispositions import (
    invalid_record_disposition,
    launch_failed_disposition,
)

__all__ = [
    "VOICE_CLOCK_ALLOWANCE_S",
    "DispositionAssembler",
    "invalid_record_disposition",
    "launch_failed_disposition",
    "normalize_call_status",
]


def _studio_only(admitted: Admitted) -> Outcome | None:
    """What the report tells, else what a call widget's step tells. A failure waits for the
    report, which carries the error. Otherwise the report's error and the step's AnsweredBy are
    left out, so that either fact alone gives the same disposition."""
    report = deciding_report(admitted, answered_counts=True)
    outcome = None if report is None else from_report(report, answered_counts=True)
    if outcome is not None and outcome.status == "failed":
        return outcome
    if outcome is not None and outcome.call_sid:
        return Outcome(outcome.status, outcome.call_sid)
    # A report that left the call SID out waits for the step that names it, or the grace.
    for step in admitted.steps:
        told = from_step(step, answered_counts=True)
        if told is not None and told.status != "failed":
            return Outcome(told.status, told.call_sid)
    return None


def _no_call_or_failed(admitted: Admitted) -> CallStatusReport | None:
    """A report that the call failed or was never created: it carries what no voice event
    does (the error, and a failed call's SID), and no other fact can tell more."""
    return next(
        (
            report
            for report in admitted.reports
            if says_no_call(report) or normalize_call_status(report.call_status) == "failed"
        ),
        None,
    )


def _decide(attempt: ContactAttempt, admitted: Admitted) -> Decision | None:
    """The outcome once the set is final before the grace or the timeout, else None."""
    ended = admitted.ended
    if ended is None:
        return None
    if not attempt.expect_voice_events:
        outcome = _studio_only(admitted)
        return None if outcome is None else (outcome, ended_at(attempt, ended))
    report = _no_call_or_failed(admitted)
    if report is not None:
        return from_report(report, answered_counts=False), ended_at(attempt, ended)
    event = terminal_voice(admitted)
    if event is not None and normalize_call_status(event.call_status) != "failed":
        return from_voice(event, None), ended_at(attempt, event, ended)
    return None  # a failed call's report, or the terminal event, may still be on its way


def _final_early(attempt: ContactAttempt, admitted: Admitted) -> Decision | None:
    """`_decide`, unless a person answered and the contact waits for its task (ADR 0025)."""
    decided = _decide(attempt, admitted)
    if decided is not None and awaits_task(attempt, admitted, decided[0]):
        return None
    return decided


def _live(admitted: Admitted) -> bool:
    """A voice event shows our call answered and no fact shows it ended: the call was handed
    on (to an agent, a queue) and outlives its flow."""
    answered = any(
        event.kind is VoiceEventKind.ANSWERED
        or normalize_call_status(event.call_status) in ANSWERED
        for event in admitted.voice
    )
    if not answered or terminal_voice(admitted) is not None:
        return False
    if any(normalize_call_status(r.call_status) in TERMINAL for r in admitted.reports):
        return False
    return not any(
        normalize_call_status(str(step.context.get("CallStatus", ""))) in TERMINAL
        for step in admitted.steps
    )


def _best_known(
    attempt: ContactAttempt, admitted: Admitted, answered_counts: bool
) -> Decision | None:
    """The first terminal outcome the facts tell: the voice event, else a report, else a call
    widget's step; with `answered_counts` (the flow ended after an answer) an answer tells
    `completed`. None when nothing tells an outcome."""
    event, ended = terminal_voice(admitted), admitted.ended
    if event is not None:
        return from_voice(event, first_report(admitted)), ended_at(attempt, event, ended)
    report = deciding_report(admitted, answered_counts)
    if report is not None:
        outcome = from_report(report, answered_counts)
        if not outcome.call_sid and not says_no_call(report):
            outcome = replace(outcome, call_sid=unknown(admitted).call_sid)
        return outcome, ended_at(attempt, report, ended)
    for step in admitted.steps:
        told = from_step(step, answered_counts)
        if told is not None:
            return told, ended_at(attempt, step, ended)
    return None


def _on_grace(attempt: ContactAttempt, admitted: Admitted) -> Decision | None:
    """The grace passed since the flow ended: the best outcome known, else `unknown`, unless
    the call is still live (then the terminal event or the timeout decides)."""
    ended = admitted.ended
    if ended is None or _live(admitted):
        return None
    known = _best_known(attempt, admitted, answered_counts=True)
    return known or (unknown(admitted), ended_at(attempt, ended))


def _on_timeout(attempt: ContactAttempt, admitted: Admitted, timeout: ContactTimedOut) -> Decision:
    """The known terminal outcome when the contact times out, else `unknown`."""
    known = _best_known(attempt, admitted, answered_counts=False)
    return known or (unknown(admitted), ended_at(attempt, timeout))


class DispositionAssembler:
    """Folds one contact's facts into its disposition. Stateless: every method is pure."""

    @staticmethod
    def assemble(attempt: ContactAttempt, facts: Iterable[ContactFact]) -> Disposition | None:
        """The contact's one disposition once the facts are final, else None. A function of the
        SET of facts (deduplicated on `fact.key`): any order, any duplicates, same result. It
        carries the attempt's number, and says whether another attempt follows and when
        (`RetryPolicy.mark`)."""
        admitted = admit(attempt, facts)
        decided = _final_early(attempt, admitted)
        if decided is None and admitted.grace is not None:
            decided = _on_grace(attempt, admitted)
        if decided is None and admitted.timeout is not None:
            decided = _on_timeout(attempt, admitted, admitted.timeout)
        if decided is None:
            return None
        outcome, ended_at = decided
        waited = admitted.grace is not None or admitted.timeout is not None
        person = person_and_agent(attempt, admitted, outcome, waited=waited)
        disposition = Disposition(
            campaign_execution_id=attempt.ref.campaign_execution_id,
            record_id=attempt.record_id,
            to=attempt.to,
            from_=attempt.from_,
            launched_at=attempt.launched_at,
            ended_at=ended_at,
            execution_sid=attempt.execution_sid,
            campaign_id=attempt.campaign_id,
            **{**asdict(outcome), "status": DispositionStatus(outcome.status)},
            **asdict(person),
        )
        return attempt.retry.mark(disposition, attempt.attempt)

    @staticmethod
    def awaits_grace(attempt: ContactAttempt, facts: Iterable[ContactFact]) -> bool:
        """True when the flow has ended, the facts are not final, and no grace fact is in:
        the tracker starts the contact's settle grace (ADR 0011)."""
        admitted = admit(attempt, facts)
        return (
            admitted.ended is not None
            and admitted.grace is None
            and admitted.timeout is None
            and _final_early(attempt, admitted) is None
        )

    @staticmethod
    def call_sid(attempt: ContactAttempt, facts: Iterable[ContactFact]) -> str:
        """The SID of the call the facts bind the attempt to (ADR 0011), "" while none: the
        call whose TaskRouter tasks are the contact's."""
        return admit(attempt, facts).call_sid

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
        return "human" in answered_by or bool(statuses & {*ANSWERED, "completed"})
