"""The disposition assembler (ADR 0003): properties over realistic fact sets, and each outcome."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from queue_core.domain.assembler import (
    DispositionAssembler,
    invalid_record_disposition,
    launch_failed_disposition,
    normalize_call_status,
)
from queue_core.domain.contacts import ClaimedRecord, ContactAttempt, ContactRecord, ContactRef
from queue_core.domain.disposition import Disposition, DispositionStatus, parse_iso_utc
from queue_core.domain.facts import (
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
    VoiceCallEvent,
    VoiceEventKind,
)
from queue_core.domain.launch import Rejected

EXECUTION = "ce-42"
FLOW = "FW0123456789abcdef0123456789abcdef"
FN = "FN0123456789abcdef0123456789abcdef"
CALL = "CA0123456789abcdef0123456789abcdef"
TO, FROM = "+14155550100", "+15005550006"
T0 = parse_iso_utc("2026-11-28T09:59:59.500Z")
assemble = DispositionAssembler.assemble
answered_by_person = DispositionAssembler.answered_by_person
S = DispositionStatus


def make_attempt(voice: bool) -> ContactAttempt:
    return ContactAttempt(ContactRef(EXECUTION, "claim-1"), "r-1001", TO, FROM, FLOW, FN, T0, voice)


def voice(
    eid: str,
    kind: str,
    status: str,
    at: float,
    seq: int,
    *,
    call_sid: str = CALL,
    duration_s: int | None = None,
    answered_by: str = "",
    sip_response_code: str = "",
) -> VoiceCallEvent:
    return VoiceCallEvent(
        event_id=eid,
        kind=VoiceEventKind(kind),
        call_sid=call_sid,
        call_status=status,
        to=TO,
        from_=FROM,
        sequence_number=seq,
        duration_s=duration_s,
        sip_response_code=sip_response_code,
        answered_by=answered_by,
        at=at,
    )


def studio(eid: str, ended: bool, at: float, execution_sid: str = FN) -> StudioExecutionEvent:
    status = "ended" if ended else "active"
    return StudioExecutionEvent(eid, ended, execution_sid, FLOW, TO, status, at=at)


def report(
    status: str, at: float, call_sid: str = CALL, code: str = "", message: str = ""
) -> CallStatusReport:
    return CallStatusReport(FN, EXECUTION, "r-1001", call_sid, status, code, message, at=at)


def step(eid: str, name: str, at: float, **context: str) -> StudioStepEvent:
    return StudioStepEvent(eid, FN, FLOW, name, "call_user", "next", dict(context), at=at)


def expected(
    status: DispositionStatus,
    ended_at: float,
    *,
    call_sid: str = "",
    answered_by: str = "",
    duration_s: int = 0,
    sip_response_code: str = "",
    error_code: str = "",
    error_message: str = "",
) -> Disposition:
    """This module's contact (r-1001 of ce-42, launched at T0) with the given outcome. Without
    task events (ADR 0025) an answered call is a person's unless its AnsweredBy says a machine
    or a fax, and no agent is known to have taken it: abandoned."""
    human = status is S.COMPLETED and not answered_by.startswith(("machine", "fax"))
    return Disposition(
        campaign_execution_id=EXECUTION,
        record_id="r-1001",
        status=status,
        to=TO,
        from_=FROM,
        launched_at=T0,
        ended_at=ended_at,
        execution_sid=FN,
        call_sid=call_sid,
        answered_by=answered_by,
        duration_s=duration_s,
        sip_response_code=sip_response_code,
        error_code=error_code,
        error_message=error_message,
        human_answered=human,
        abandoned=human,
    )


def final(attempt: ContactAttempt, facts: Sequence[ContactFact]) -> Disposition:
    disposition = assemble(attempt, facts)
    assert disposition is not None
    return disposition


# ---------------------------------------------------------------- generated contacts

VOICE_OUTCOMES = ["human", "machine", "busy", "no-answer", "canceled", "failed", "failed-no-call"]
STUDIO_OUTCOMES = ["human", "machine", "busy", "no-answer", "failed", "failed-no-call"]
TRANSITION = {"busy": "busy", "no-answer": "noAnswer", "failed": "failed", "canceled": "failed"}
SIP = {"busy": "486", "no-answer": "487", "failed": "404", "canceled": ""}
ERRORS = {"failed": ("32009", "Call failed"), "failed-no-call": ("13224", "Invalid number")}


@dataclass(frozen=True)
class Contact:
    """One contact's complete fact set, with what the rules say about it."""

    attempt: ContactAttempt
    facts: tuple[ContactFact, ...]
    status: DispositionStatus  # the outcome the facts tell
    deciding: tuple[frozenset[str], ...]  # the set is final once all keys of one are in
    terminal: frozenset[str]  # keys of facts that each tell a terminal outcome
    expected: Disposition | None  # of the complete set
    noise: tuple[ContactFact, ...] = ()  # voice facts a Studio-only contact must ignore


@st.composite
def contacts(draw: st.DrawFn, voice_mode: bool, outcomes: Sequence[str] = ()) -> Contact:
    """A realistic contact: Studio started/ended, the call's voice events with AMD, the call
    widget's step and another widget's, and the flow's report. The report is always there for
    a failure in voice mode, sometimes for the other outcomes; in Studio-only mode it may be
    lost, and the call widget's step may carry no context. `outcomes`: drawn from (all by
    default)."""
    outcomes = outcomes or (VOICE_OUTCOMES if voice_mode else STUDIO_OUTCOMES)
    outcome = draw(st.sampled_from(outcomes))
    attempt = make_attempt(voice_mode)
    answered, dialled = outcome in ("human", "machine"), outcome != "failed-no-call"
    status = S.COMPLETED if answered else S(outcome.removesuffix("-no-call"))
    amd = {"human": "human", "machine": "machine_end_beep"}.get(outcome, "")
    error_code, error_message = ERRORS.get(outcome, ("", ""))
    t = T0 + draw(st.integers(-1, 2))  # Twilio's stamps may precede the launch (clock skew)
    calls: list[ContactFact] = []
    duration, completed = 0, None
    if dialled:
        calls += [voice("EZinit", "initiated", "initiated", t + 1, 0)]
        calls += [voice("EZring", "ringing", "ringing", t + 2, 1)]
        t += 2 + draw(st.integers(1, 30))
        if answered:
            calls += [voice("EZans", "answered", "in-progress", t, 2, answered_by=amd)]
            calls += [AmdEvent("EZamd", CALL, TO, FROM, amd, at=t + 3)]
            duration = draw(st.integers(1, 900))
            t += duration
        # With asynchronous AMD the completed event may not repeat AnsweredBy.
        told = amd if draw(st.booleans()) else ""
        completed = voice(
            "EZdone",
            "completed",
            status.value,
            t,
            3,
            duration_s=duration,
            answered_by=told,
            sip_response_code=SIP.get(status.value, "200"),
        )
        calls.append(completed)
    # The flow may end before the call does (the call was handed on) or after it.
    ended = studio("EZend", True, t + draw(st.integers(-duration, 5)))
    context = {"CallStatus": "in-progress" if answered else status.value, "AnsweredBy": amd}
    step_tells = voice_mode or draw(st.booleans())
    context = context if step_tells else {}
    widget = step(
        "EZcall",
        "answered" if answered else TRANSITION[status.value],
        t,
        **context,
        **({"CallSid": CALL} if dialled and step_tells else {}),
    )
    facts: list[ContactFact] = [studio("EZstart", False, T0), ended, widget, step("EZsay", "x", t)]
    flow_report = report(
        "in-progress" if answered else status.value,
        t,
        CALL if dialled else "",
        error_code,
        error_message,
    )
    reported = status is S.FAILED or draw(st.booleans()) if voice_mode else draw(st.booleans())
    facts += [flow_report] if reported else []
    terminal = {widget.key} if step_tells and not answered else set()
    terminal |= {flow_report.key} if reported and not answered else set()
    if not voice_mode:
        # Final on the report or on the call widget's step, but a failure waits for the report.
        ways = [frozenset({ended.key, flow_report.key})] if reported else []
        if step_tells and status is not S.FAILED:
            ways.append(frozenset({ended.key, widget.key}))
        result = expected(
            status,
            max(T0, ended.at or T0),
            call_sid=CALL if dialled else "",
            error_code=error_code,
            error_message=error_message,
        )
        return Contact(
            attempt,
            tuple(facts),
            status,
            tuple(ways),
            frozenset(terminal),
            result if ways else None,
            tuple(calls),
        )
    facts += calls
    if completed is None or status is S.FAILED:
        # The flow's report of a failure decides with the end: it carries the error and the
        # call SID, and a voice event of the failure adds nothing (ADR 0011).
        result = expected(
            status,
            max(T0, ended.at or T0),
            call_sid=CALL if dialled else "",
            error_code=error_code,
            error_message=error_message,
        )
        way = frozenset({ended.key, flow_report.key})
        terminal |= {completed.key} if completed is not None else set()
        return Contact(attempt, tuple(facts), status, (way,), frozenset(terminal), result)
    terminal.add(completed.key)
    needed = {ended.key, completed.key}
    result = expected(
        status,
        max(T0, ended.at or T0, completed.at or T0),
        call_sid=CALL,
        answered_by=completed.answered_by,
        duration_s=duration,
        sip_response_code=completed.sip_response_code,
        error_code=error_code,
        error_message=error_message,
    )
    return Contact(attempt, tuple(facts), status, (frozenset(needed),), frozenset(terminal), result)


# ---------------------------------------------------------------- with TaskRouter (ADR 0025)

WT = "WT" + "ab" * 16
WORKER = "WK" + "cd" * 16


def _tellers(contact: Contact) -> list[str]:
    """Keys of the admitted facts that carry the call's AnsweredBy."""
    keys = []
    for fact in contact.facts:
        told = fact.context.get("AnsweredBy") if isinstance(fact, StudioStepEvent) else None
        if isinstance(fact, VoiceCallEvent | AmdEvent):
            told = fact.answered_by if contact.attempt.expect_voice_events else None
        keys += [fact.key] if told else []
    return keys


def _answer(contact: Contact) -> ContactFact | None:
    """The fact an agent's accept is measured from: the `call.answered` event in voice mode,
    the call widget's step (when it names the call) in Studio-only mode."""
    facts = {fact.key: fact for fact in contact.facts}
    if contact.attempt.expect_voice_events:
        return facts.get("ce:EZans")
    step = facts.get("ce:EZcall")
    return step if isinstance(step, StudioStepEvent) and step.context else None


@st.composite
def task_contacts(draw: st.DrawFn, voice_mode: bool) -> Contact:
    """`contacts`, launched expecting task events: a person-answered call gets a task, and is
    final only once its task's outcome is in (an agent's accept, with the answer it is
    measured from, or a cancel); a machine-answered one once a fact tells the machine."""
    base = draw(contacts(voice_mode, ("human", "human", "human", "machine", "busy")))
    contact = replace(base, attempt=replace(base.attempt, expect_task_events=True))
    everything = (*base.facts, *base.noise)
    amd = next((f.answered_by for f in everything if isinstance(f, AmdEvent)), "")
    if base.status is not S.COMPLETED or base.expected is None:
        return contact
    if amd != "human":
        ways = tuple(way | {key} for way in base.deciding for key in _tellers(contact))
        machine = replace(base.expected, human_answered=False, abandoned=False)
        return replace(contact, deciding=ways, expected=machine if ways else None)
    answer = _answer(contact)
    answered_at = T0 if answer is None or answer.at is None else answer.at
    created = TaskCreated("EZtask", WT, CALL, at=answered_at + 0.25)
    world = draw(st.sampled_from(["accepted", "canceled", "silent", "created-only"]))
    if world in ("silent", "created-only"):
        extra = (created,) if world == "created-only" else ()
        return replace(contact, facts=base.facts + extra, deciding=(), expected=None)
    if world == "canceled":
        canceled = TaskCanceled("EZcancel", WT, CALL, "hangup", at=answered_at + 4)
        ways = tuple(way | {canceled.key} for way in base.deciding)
        facts = (*base.facts, created, canceled)
        return replace(
            contact, facts=facts, deciding=ways, expected=replace(base.expected, task_sid=WT)
        )
    delay = draw(st.sampled_from([0, 1999, 2000, 2001]) | st.integers(0, 30_000)) / 1000
    accepted = ReservationAccepted("EZaccept", WT, CALL, WORKER, at=answered_at + delay)
    facts = (*base.facts, created, accepted)
    if answer is None:
        return replace(contact, facts=facts, deciding=(), expected=None)
    ways = tuple(way | {accepted.key, answer.key} for way in base.deciding)
    measured = round(answered_at + delay - answered_at, 3)
    told = replace(base.expected, agent_connected_s=measured, abandoned=measured > 2, task_sid=WT)
    return replace(contact, facts=facts, deciding=ways, expected=told)


def any_contacts(voice_mode: bool) -> st.SearchStrategy[Contact]:
    """A contact launched with or without expecting task events."""
    return st.one_of(contacts(voice_mode), task_contacts(voice_mode))


@st.composite
def deliveries(draw: st.DrawFn, contact: Contact, with_noise: bool = False) -> list[ContactFact]:
    """The contact's facts as a webhook sink may see them: any order, some delivered again."""
    pool = list(contact.facts) + (list(contact.noise) if with_noise else [])
    again = draw(st.lists(st.sampled_from(pool), max_size=6))
    return draw(st.permutations(pool + again))


def first_final_index(contact: Contact, delivered: Sequence[ContactFact]) -> int | None:
    """Where the rules say the delivered facts turn final: None when they never do."""
    first: dict[str, int] = {}
    for index, fact in enumerate(delivered):
        first.setdefault(fact.key, index)
    return min((max(first[key] for key in way) for way in contact.deciding), default=None)


modes = st.sampled_from([True, False])


@settings(max_examples=300, deadline=None)
@given(st.data(), modes)
def test_any_order_and_duplicates_give_the_one_disposition(data: st.DataObject, mode: bool) -> None:
    contact = data.draw(any_contacts(mode))
    delivered = data.draw(deliveries(contact))
    assert assemble(contact.attempt, delivered) == contact.expected


@settings(max_examples=300, deadline=None)
@given(st.data(), modes)
def test_fed_one_by_one_it_turns_final_once_and_stays(data: st.DataObject, mode: bool) -> None:
    contact = data.draw(any_contacts(mode))
    delivered = data.draw(deliveries(contact))
    results = [assemble(contact.attempt, delivered[: i + 1]) for i in range(len(delivered))]
    final_at = first_final_index(contact, delivered)
    if final_at is None:
        assert results == [None] * len(results)
    else:
        assert results[:final_at] == [None] * final_at
        assert results[final_at:] == [contact.expected] * (len(results) - final_at)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_voice_events_change_nothing_when_not_expected(data: st.DataObject) -> None:
    contact = data.draw(any_contacts(voice_mode=False))
    delivered = data.draw(deliveries(contact, with_noise=True))
    timeout = ContactTimedOut(at=T0 + 7200)
    for i in range(len(delivered) + 1):
        prefix = delivered[:i]
        without = [f for f in prefix if not isinstance(f, VoiceCallEvent | AmdEvent)]
        assert assemble(contact.attempt, prefix) == assemble(contact.attempt, without)
        with_timeout = assemble(contact.attempt, [*prefix, timeout])
        assert with_timeout == assemble(contact.attempt, [*without, timeout])


@settings(max_examples=200, deadline=None)
@given(st.data(), modes, st.integers(0, 100_000))
def test_a_timeout_is_final_at_once(data: st.DataObject, mode: bool, late: int) -> None:
    contact = data.draw(any_contacts(mode))
    delivered = data.draw(deliveries(contact))
    timeout = ContactTimedOut(at=T0 + 7200 + late)
    for i in range(len(delivered) + 1):
        prefix = delivered[:i]
        before = assemble(contact.attempt, prefix)
        after = assemble(contact.attempt, [*prefix, timeout])
        assert after is not None
        if before is not None:
            assert after == before  # a timeout never changes a final set
        elif contact.terminal & {f.key for f in prefix}:
            assert after.status is contact.status
        else:
            assert after.status is S.UNKNOWN
            assert after.ended_at == timeout.at


# ---------------------------------------------------------------- the sample batch, by hand


def sample_facts() -> list[ContactFact]:
    """`samples/eventstreams-batch.json` as the parsing adapter would hand it over."""
    return [
        StudioExecutionEvent(
            "EZ00000000000000000000000000000001",
            False,
            FN,
            FLOW,
            TO,
            "active",
            at=parse_iso_utc("2026-11-28T10:00:00.000Z"),
        ),
        VoiceCallEvent(
            "EZ00000000000000000000000000000002",
            VoiceEventKind.COMPLETED,
            CALL,
            "completed",
            TO,
            FROM,
            sequence_number=3,
            duration_s=57,
            answered_by="human",
            at=parse_iso_utc("2026-11-28T10:01:05.000Z"),
        ),
        StudioExecutionEvent(
            "EZ00000000000000000000000000000003",
            True,
            FN,
            FLOW,
            TO,
            "ended",
            "FLOW_END",
            at=parse_iso_utc("2026-11-28T10:01:06.000Z"),
        ),
    ]


def test_the_sample_batch_gives_its_disposition() -> None:
    disposition = assemble(make_attempt(voice=True), sample_facts())
    assert disposition == Disposition(
        EXECUTION,
        "r-1001",
        S.COMPLETED,
        TO,
        FROM,
        T0,
        parse_iso_utc("2026-11-28T10:01:06Z"),
        execution_sid=FN,
        call_sid=CALL,
        answered_by="human",
        duration_s=57,
        human_answered=True,
        abandoned=True,  # no task events expected: no agent is known to have taken it
    )
    assert disposition.to_fields()["ended_at"] == "2026-11-28T10:01:06.000Z"
    assert disposition.to_fields()["launched_at"] == "2026-11-28T09:59:59.500Z"


def test_the_sample_batch_without_voice_mode_waits_for_the_flow_report() -> None:
    attempt = make_attempt(voice=False)
    assert assemble(attempt, sample_facts()) is None
    answered = report("in-progress", parse_iso_utc("2026-11-28T10:00:08Z"))
    assert assemble(attempt, [*sample_facts(), answered]) == Disposition(
        EXECUTION,
        "r-1001",
        S.COMPLETED,
        TO,
        FROM,
        T0,
        parse_iso_utc("2026-11-28T10:01:06Z"),
        execution_sid=FN,
        call_sid=CALL,
        human_answered=True,
        abandoned=True,
    )


# ---------------------------------------------------------------- each outcome, exactly

END = T0 + 100


@pytest.mark.parametrize(
    ("status", "answered_by", "duration", "sip"),
    [
        ("completed", "human", 42, "200"),
        ("completed", "machine_end_beep", 17, "200"),
        ("busy", "", 0, "486"),
        ("no-answer", "", 0, "487"),
        ("canceled", "", 0, ""),
    ],
)
def test_voice_outcomes(status: str, answered_by: str, duration: int, sip: str) -> None:
    done = voice(
        "EZdone",
        "completed",
        status,
        END - 1,
        3,
        duration_s=duration,
        answered_by=answered_by,
        sip_response_code=sip,
    )
    facts: list[ContactFact] = [done, studio("EZend", True, END)]
    assert assemble(make_attempt(True), facts) == expected(
        S(status),
        END,
        call_sid=CALL,
        answered_by=answered_by,
        duration_s=duration,
        sip_response_code=sip,
    )


def test_a_report_not_needed_for_the_outcome_adds_nothing() -> None:
    attempt = make_attempt(True)
    facts: list[ContactFact] = [
        voice("EZdone", "completed", "busy", END, 3, sip_response_code="486"),
        studio("EZend", True, END),
    ]
    busy = expected(S.BUSY, END, call_sid=CALL, sip_response_code="486")
    assert assemble(attempt, facts) == busy
    assert assemble(attempt, [*facts, report("busy", END, CALL, "31486", "Busy")]) == busy


def test_a_failed_call_settles_on_the_flow_report_and_takes_its_error() -> None:
    attempt = make_attempt(True)
    facts: list[ContactFact] = [
        voice("EZdone", "completed", "failed", END, 3, sip_response_code="404"),
        studio("EZend", True, END - 1),
    ]
    assert assemble(attempt, facts) is None
    # Without the report, the grace gives what the voice event tells, with no error.
    assert assemble(attempt, [*facts, SettleGraceElapsed(END + 30)]) == expected(
        S.FAILED, END, call_sid=CALL, sip_response_code="404"
    )
    flow_report = report("failed", END - 2, CALL, "32009", "Call failed")
    told = expected(
        S.FAILED, END - 1, call_sid=CALL, error_code="32009", error_message="Call failed"
    )
    assert assemble(attempt, [*facts, flow_report]) == told
    # The report and the end decide alone: a voice event of the failure adds nothing.
    assert assemble(attempt, [facts[1], flow_report]) == told


@pytest.mark.parametrize("voice_mode", [True, False])
def test_no_call_created_is_final_on_report_and_end(voice_mode: bool) -> None:
    attempt = make_attempt(voice_mode)
    facts: list[ContactFact] = [
        report("", END - 5, "", "13224", "Invalid number"),
        studio("EZend", True, END),
    ]
    assert assemble(attempt, facts[:1]) is None
    assert assemble(attempt, facts) == expected(
        S.FAILED, END, error_code="13224", error_message="Invalid number"
    )


def test_an_answered_call_may_outlive_its_execution() -> None:
    attempt = make_attempt(True)
    facts: list[ContactFact] = [
        studio("EZend", True, END),
        voice("EZans", "answered", "in-progress", END - 50, 2),
    ]
    assert assemble(attempt, facts) is None
    facts.append(voice("EZdone", "completed", "completed", END + 300, 3, duration_s=350))
    result = final(attempt, facts)
    assert (result.status, result.duration_s, result.ended_at) == (S.COMPLETED, 350, END + 300)


@pytest.mark.parametrize(
    ("said", "status"),
    [
        ("in-progress", S.COMPLETED),
        ("busy", S.BUSY),
        ("noAnswer", S.NO_ANSWER),
        ("no-answer", S.NO_ANSWER),
        ("failed", S.FAILED),
        ("canceled", S.CANCELED),
    ],
)
def test_studio_only_outcomes_come_from_the_flow_report(said: str, status: S) -> None:
    attempt = make_attempt(False)
    widget = step(
        "EZstep", "answered", END - 9, CallSid=CALL, CallStatus="in-progress", AnsweredBy="human"
    )
    facts: list[ContactFact] = [widget, report(said, END - 8), studio("EZend", True, END)]
    assert assemble(attempt, facts) == expected(status, END, call_sid=CALL)


def test_studio_only_a_call_widget_step_will_do_unless_the_call_failed() -> None:
    attempt = make_attempt(False)
    end = studio("EZend", True, END)
    answered = step(
        "EZs1", "answered", END - 9, CallSid=CALL, CallStatus="in-progress", AnsweredBy="human"
    )
    assert assemble(attempt, [answered, end]) == expected(S.COMPLETED, END, call_sid=CALL)
    assert assemble(attempt, [answered, end, report("completed", END)]) == expected(
        S.COMPLETED, END, call_sid=CALL
    )
    no_answer = step("EZs2", "noAnswer", END - 9, CallSid=CALL)
    assert assemble(attempt, [end, no_answer]) == expected(S.NO_ANSWER, END, call_sid=CALL)
    # The error of an outcome other than `failed` is left out: the step alone has none.
    busy: list[ContactFact] = [end, step("EZs4", "busy", END - 9, CallSid=CALL, CallStatus="busy")]
    assert assemble(attempt, busy) == expected(S.BUSY, END, call_sid=CALL)
    assert assemble(attempt, [*busy, report("busy", END, CALL, "31486", "Busy")]) == expected(
        S.BUSY, END, call_sid=CALL
    )
    failed: list[ContactFact] = [end, step("EZs3", "failed", END - 9, CallSid=CALL)]
    assert assemble(attempt, failed) is None
    assert assemble(attempt, [*failed, report("failed", END, CALL, "32009", "x")]) == expected(
        S.FAILED, END, call_sid=CALL, error_code="32009", error_message="x"
    )


def test_studio_only_needs_the_execution_to_end() -> None:
    attempt = make_attempt(False)
    assert assemble(attempt, [report("busy", END), step("EZs", "busy", END, CallSid=CALL)]) is None


# ---------------------------------------------------------------- timeouts


def test_timeout_without_terminal_outcome_is_unknown_with_the_known_call() -> None:
    attempt = make_attempt(True)
    facts: list[ContactFact] = [
        voice("EZring", "ringing", "ringing", T0 + 2, 1),
        ContactTimedOut(at=T0 + 7200),
    ]
    assert assemble(attempt, facts) == expected(S.UNKNOWN, T0 + 7200, call_sid=CALL)


def test_timeout_keeps_a_known_outcome_when_the_end_was_lost() -> None:
    attempt = make_attempt(True)
    done = voice("EZdone", "completed", "completed", T0 + 60, 3, duration_s=50, answered_by="human")
    assert assemble(attempt, [done, ContactTimedOut(at=T0 + 7200)]) == expected(
        S.COMPLETED, T0 + 60, call_sid=CALL, answered_by="human", duration_s=50
    )


def test_studio_only_timeout_uses_a_call_widget_step() -> None:
    attempt = make_attempt(False)
    facts: list[ContactFact] = [
        step("EZsay", "failed", T0 + 1),  # not a call widget: its failure says nothing
        step("EZcall", "noAnswer", T0 + 30, CallSid=CALL),
        ContactTimedOut(at=T0 + 7200),
    ]
    assert assemble(attempt, facts) == expected(S.NO_ANSWER, T0 + 30, call_sid=CALL)
    assert assemble(attempt, [facts[0], facts[2]]) == expected(S.UNKNOWN, T0 + 7200)


def test_an_answer_without_end_is_unknown_at_timeout() -> None:
    attempt = make_attempt(False)
    facts: list[ContactFact] = [report("in-progress", T0 + 20), ContactTimedOut(at=T0 + 7200)]
    assert assemble(attempt, facts) == expected(S.UNKNOWN, T0 + 7200, call_sid=CALL)


# ---------------------------------------------------------------- disagreements and strangers


def test_disagreeing_completed_events_pick_highest_sequence_then_smallest_key() -> None:
    attempt = make_attempt(True)
    end = studio("EZend", True, END)
    low = voice("EZa", "completed", "busy", END, 3)
    high = voice("EZb", "completed", "completed", END, 4, duration_s=9)
    tie = voice("EZc", "completed", "no-answer", END, 4)
    assert final(attempt, [end, high, low]).status is S.COMPLETED
    assert final(attempt, [low, end, high]).status is S.COMPLETED
    assert final(attempt, [tie, end, high]).status is S.COMPLETED
    assert final(attempt, [high, tie, end]) == final(attempt, [end, tie, high])


def test_a_key_delivered_twice_with_different_stamps_keeps_the_earliest() -> None:
    attempt = make_attempt(False)
    first, again = report("busy", T0 + 10), report("busy", T0 + 15)
    timeout = ContactTimedOut(at=T0 + 7200)
    orders: list[list[ContactFact]] = [[first, again, timeout], [timeout, again, first]]
    for facts in orders:
        assert final(attempt, facts).ended_at == T0 + 10


def test_facts_of_other_executions_records_pairs_and_calls_are_ignored() -> None:
    attempt = make_attempt(True)
    ours_done = voice("EZdone", "completed", "busy", END, 3)
    ours_end = studio("EZend", True, END)
    other_end = studio("EZx1", True, END, execution_sid="FN" + "f" * 32)
    other_pair = replace(voice("EZx2", "completed", "busy", END, 3), to="+14155550199")
    assert assemble(attempt, [ours_done, other_end]) is None
    assert assemble(attempt, [other_pair, ours_end]) is None
    other_record = replace(report("busy", END), record_id="r-other")
    other_run = replace(report("busy", END), campaign_execution_id="ce-41")
    assert assemble(make_attempt(False), [ours_end, other_record, other_run]) is None
    assert assemble(make_attempt(False), [ours_end, report("busy", END)]) is not None
    # A report names the flow's call: a completed event of an earlier call to the pair is stale.
    stale = voice("EZold", "completed", "completed", END, 9, call_sid="CA" + "e" * 32)
    facts: list[ContactFact] = [
        stale,
        report("busy", END, CALL),
        studio("EZend", True, END),
    ]
    assert assemble(attempt, facts) is None
    ours = voice("EZdone", "completed", "busy", END, 3)
    assert final(attempt, [*facts, ours]).call_sid == CALL


# ---------------------------------------------------------------- the pacer's signal


@pytest.mark.parametrize(
    ("facts", "answered"),
    [
        ([], False),
        ([voice("EZr", "ringing", "ringing", T0, 1)], False),
        ([voice("EZa", "answered", "in-progress", T0, 2)], True),
        ([AmdEvent("EZm", CALL, TO, FROM, "human")], True),
        (
            [
                voice("EZa", "answered", "in-progress", T0, 2),
                AmdEvent("EZm", CALL, TO, FROM, "fax"),
            ],
            False,
        ),
        (
            [
                voice("EZa", "answered", "in-progress", T0, 2),
                AmdEvent("EZm", CALL, TO, FROM, "machine_start"),
            ],
            False,
        ),
        ([report("in-progress", T0)], True),
        ([report("busy", T0)], False),
        ([step("EZs", "answered", T0, CallSid=CALL, CallStatus="in-progress")], True),
        ([step("EZs", "busy", T0, CallSid=CALL, CallStatus="busy")], False),
    ],
)
def test_answered_by_person(facts: list[ContactFact], answered: bool) -> None:
    assert answered_by_person(facts) is answered


# ---------------------------------------------------------------- contacts never dialled


@pytest.mark.parametrize(
    ("raw", "record_id", "to"),
    [
        ('{"record_id": "r-7", "phone_number": "555"}', "r-7", "555"),
        ('{"record_id": "r-8", "phone_number": 14155550100}', "r-8", ""),
        ("not json", "", ""),
    ],
)
def test_invalid_record_disposition(raw: str, record_id: str, to: str) -> None:
    got = invalid_record_disposition(
        EXECUTION, ClaimedRecord("claim-9", raw), "bad phone", T0, FROM
    )
    assert got == Disposition(
        EXECUTION, record_id, S.INVALID_RECORD, to, FROM, T0, T0, error_message="bad phone"
    )


def test_launch_failed_disposition() -> None:
    record = ContactRecord("r-1001", TO)
    rejected = Rejected(400, "21211", "Invalid 'To' Phone Number")
    assert launch_failed_disposition(EXECUTION, record, FROM, rejected, T0) == Disposition(
        EXECUTION,
        "r-1001",
        S.LAUNCH_FAILED,
        TO,
        FROM,
        T0,
        T0,
        error_code="21211",
        error_message="Invalid 'To' Phone Number",
    )


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("noAnswer", "no-answer"),
        ("no_answer", "no-answer"),
        ("NO-ANSWER", "no-answer"),
        ("cancelled", "canceled"),
        ("in_progress", "in-progress"),
        (" busy ", "busy"),
        ("", ""),
    ],
)
def test_normalize_call_status(text: str, status: str) -> None:
    assert normalize_call_status(text) == status


def test_voice_events_dated_before_the_launch_are_an_earlier_calls() -> None:
    attempt = make_attempt(True)
    week_old = voice("EZold", "completed", "busy", T0 - 7 * 86400, 9, call_sid="CA" + "e" * 32)
    ours = voice("EZdone", "completed", "completed", END, 3, duration_s=40)
    facts: list[ContactFact] = [week_old, studio("EZend", True, END)]
    assert assemble(attempt, facts) is None
    assert final(attempt, [*facts, ours]).status is S.COMPLETED
    assert final(attempt, [*facts, ours]).call_sid == CALL


def test_with_no_call_named_the_call_initiated_since_the_launch_is_ours() -> None:
    attempt = make_attempt(True)
    other = "CA" + "e" * 32
    # An earlier call that outlived its contact ends during ours, with a later event than any
    # of ours: the call initiated since the launch still decides.
    facts: list[ContactFact] = [
        voice("EZinit", "initiated", "initiated", T0 + 1, 0),
        voice("EZold", "completed", "busy", END - 1, 9, call_sid=other),
        voice("EZdone", "completed", "no-answer", END - 2, 3),
        studio("EZend", True, END),
    ]
    assert final(attempt, facts).status is S.NO_ANSWER
    # With ours unseen but for its terminal event, the call whose first event is latest wins.
    assert final(attempt, facts[1:]).status is S.BUSY
