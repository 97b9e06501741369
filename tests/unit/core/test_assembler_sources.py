"""Every source may be silent, late or repeated (ADR 0011): over the whole matrix of what
reaches the service about one contact, the contact settles once, by the settle grace at the
latest (unless its call is answered and live), and the same whatever the order. TaskRouter is
one more source (ADR 0025): a person-answered contact that expects its task's outcome waits
for it no longer than the grace, and what is known by then decides `abandoned`."""

from __future__ import annotations

from dataclasses import dataclass, replace

from hypothesis import given, settings
from hypothesis import strategies as st

from queue_core.domain.assembler import DispositionAssembler
from queue_core.domain.contacts import ContactAttempt
from queue_core.domain.disposition import Disposition, DispositionStatus
from queue_core.domain.facts import (
    ContactFact,
    ContactTimedOut,
    ReservationAccepted,
    SettleGraceElapsed,
    TaskCanceled,
    TaskCreated,
)
from tests.unit.core.test_assembler import (
    CALL,
    ERRORS,
    SIP,
    T0,
    TRANSITION,
    make_attempt,
    report,
    step,
    studio,
    voice,
)

S = DispositionStatus
assemble = DispositionAssembler.assemble

OUTCOMES = ["human", "machine", "busy", "no-answer", "canceled", "failed", "failed-no-call"]
VOICE = ["all", "none", "all-but-terminal", "answered-only", "late"]
CALLSTATUS = ["every", "failed-only", "never"]
TASKS = ["accepted", "canceled", "silent", "late"]  # what TaskRouter tells of a person's call
WT = "WT" + "ab" * 16


@dataclass(frozen=True)
class Sources:
    outcome: str
    voice: str
    callstatus: str
    report_names_call: bool
    step: bool
    answered_reports: str  # what a report of an answered call says
    task: str = "silent"


@dataclass(frozen=True)
class World:
    """One contact as the sources report it: facts inside the grace, and late ones."""

    sources: Sources
    status: DispositionStatus  # what happened
    timely: tuple[ContactFact, ...]
    late: tuple[ContactFact, ...]
    grace: SettleGraceElapsed

    @property
    def answered(self) -> bool:
        return self.sources.outcome in ("human", "machine")


@st.composite
def sources(draw: st.DrawFn) -> Sources:
    return Sources(
        draw(st.sampled_from(OUTCOMES)),
        draw(st.sampled_from(VOICE)),
        draw(st.sampled_from(CALLSTATUS)),
        draw(st.booleans()),
        draw(st.booleans()),
        draw(st.sampled_from(["in-progress", "completed"])),
        draw(st.sampled_from(TASKS)),
    )


def world_of(s: Sources) -> World:
    answered, dialled = s.outcome in ("human", "machine"), s.outcome != "failed-no-call"
    status = S.COMPLETED if answered else S(s.outcome.removesuffix("-no-call"))
    amd = {"human": "human", "machine": "machine_end_beep"}.get(s.outcome, "")
    code, message = ERRORS.get(s.outcome, ("", ""))
    t = T0 + 1
    calls: list[ContactFact] = []
    if dialled:
        calls += [voice("EZinit", "initiated", "initiated", t, 0)]
        calls += [voice("EZring", "ringing", "ringing", t + 1, 1)]
        if answered:
            calls += [voice("EZans", "answered", "in-progress", t + 5, 2, answered_by=amd)]
        t += 60
        done = voice(
            "EZdone",
            "completed",
            status.value,
            t,
            3,
            duration_s=55 if answered else 0,
            answered_by=amd,
            sip_response_code=SIP.get(status.value, "200"),
        )
        calls += [done] if s.voice != "all-but-terminal" else []
    if s.voice == "none" or (s.voice == "answered-only" and not answered):
        calls = []
    end = studio("EZend", True, t + 1)
    facts: list[ContactFact] = [studio("EZstart", False, T0), end]
    if s.step:
        context = {"CallStatus": "in-progress" if answered else status.value}
        context |= {"CallSid": CALL} if dialled else {}
        name = "answered" if answered else TRANSITION[status.value]
        facts.append(step("EZcall", name, t, **context))
    reported = s.callstatus == "every" or (s.callstatus == "failed-only" and status is S.FAILED)
    if reported:
        said = s.answered_reports if answered else status.value
        named = CALL if dialled and s.report_names_call else ""
        facts.append(report(said, t, named, code, message))
    late = tuple(calls) if s.voice == "late" else ()
    timely = tuple(facts) + (() if s.voice == "late" else tuple(calls))
    tasks = task_facts(s.task, T0 + 7) if s.outcome == "human" else ()
    timely += tasks if s.task != "late" else ()
    late += tasks if s.task == "late" else ()
    return World(s, status, timely, late, SettleGraceElapsed(at=t + 31))


def task_facts(told: str, answered_at: float) -> tuple[ContactFact, ...]:
    """What TaskRouter tells of a person's call: its task, then an agent's accept (1.5 s after
    the answer) or the task's cancel; nothing when silent."""
    if told == "silent":
        return ()
    created = TaskCreated("EZtask", WT, CALL, at=answered_at + 0.5)
    if told == "canceled":
        return created, TaskCanceled("EZcancel", WT, CALL, "hangup", at=answered_at + 9)
    return created, ReservationAccepted("EZaccept", WT, CALL, "WK1", at=answered_at + 1.5)


def tells_outcome(world: World, attempt: ContactAttempt) -> bool:
    """Whether any timely fact tells what happened (else the grace gives `unknown`)."""
    s = world.sources
    dialled = s.outcome != "failed-no-call"
    voice_tells = (
        attempt.expect_voice_events
        and dialled
        and (s.voice == "all" or (s.voice == "answered-only" and world.answered))
    )
    reported = s.callstatus == "every" or (
        s.callstatus == "failed-only" and world.status is S.FAILED
    )
    return voice_tells or s.step or reported


def live(world: World, attempt: ContactAttempt) -> bool:
    """The call is answered, a voice event says so, and no fact says it ended."""
    s = world.sources
    if not (attempt.expect_voice_events and world.answered):
        return False
    if s.voice not in ("all-but-terminal",):
        return False
    return not (s.callstatus == "every" and s.answered_reports == "completed")


@st.composite
def deliveries(draw: st.DrawFn, facts: tuple[ContactFact, ...]) -> list[ContactFact]:
    again = draw(st.lists(st.sampled_from(facts), max_size=5))
    return draw(st.permutations([*facts, *again]))


def first_final(attempt: ContactAttempt, delivered: list[ContactFact]) -> Disposition | None:
    """What the tracker publishes: the first final fold of the facts as they arrive."""
    for i in range(1, len(delivered) + 1):
        disposition = assemble(attempt, delivered[:i])
        if disposition is not None:
            return disposition
    return None


@settings(max_examples=600, deadline=None)
@given(sources(), st.booleans(), st.booleans(), st.data())
def test_any_sources_any_order_settle_once_by_the_grace_the_same_way(
    s: Sources, voice_mode: bool, tasks: bool, data: st.DataObject
) -> None:
    world = world_of(s)
    attempt = replace(make_attempt(voice_mode), expect_task_events=tasks)
    reference = assemble(attempt, [*world.timely, world.grace])
    delivered = data.draw(deliveries(world.timely))
    late = data.draw(deliveries(world.late)) if world.late else []
    published = first_final(attempt, [*delivered, world.grace, *late])

    if live(world, attempt):
        # Only its terminal event or the contact timeout ends an answered call in flight.
        assert reference is None
        assert published is None
        timeout = ContactTimedOut(at=world.grace.at + 7200)
        assert assemble(attempt, [*delivered, world.grace, timeout]) is not None
        return
    assert reference is not None  # by the grace at the latest
    assert published == reference  # whatever the order, duplicates and late events
    if tells_outcome(world, attempt):
        assert reference.status is world.status
    else:
        assert reference.status is S.UNKNOWN
    if world.status is S.FAILED and reference.status is S.FAILED:
        reported = s.callstatus in ("every", "failed-only")
        assert (reference.error_code != "") == reported
    if reference.human_answered:
        assert_what_taskrouter_told(world, attempt, reference)


def assert_what_taskrouter_told(
    world: World, attempt: ContactAttempt, reference: Disposition
) -> None:
    """Only an accept that came in time connects an agent; any other word from TaskRouter,
    or none, leaves the person-answered call abandoned. A task's SID is the one told. (A
    machine's call gets no task: when nothing tells the machine, it counts as a person's. And
    a task counts only once some fact names its call: it names nothing else.)"""
    s = world.sources
    named = s.step or (s.callstatus == "every" and s.report_names_call)
    timely_voice = s.voice in ("all", "all-but-terminal", "answered-only")
    named = named or (attempt.expect_voice_events and timely_voice)
    person = s.outcome == "human" and attempt.expect_task_events and named
    told = s.task if person else "silent"
    if told == "accepted":
        assert reference.agent_connected_s is not None
        assert reference.abandoned is (reference.agent_connected_s > 2)
    else:
        assert reference.agent_connected_s is None
        assert reference.abandoned is True
    assert reference.task_sid == (WT if told in ("accepted", "canceled") else "")


@settings(max_examples=300, deadline=None)
@given(sources(), st.booleans(), st.booleans(), st.data())
def test_the_grace_is_needed_only_when_no_deciding_facts_are_in(
    s: Sources, voice_mode: bool, tasks: bool, data: st.DataObject
) -> None:
    """A set final before the grace stays final, and the grace fact changes nothing in it."""
    world = world_of(s)
    attempt = replace(make_attempt(voice_mode), expect_task_events=tasks)
    delivered = data.draw(deliveries(world.timely))
    for i in range(len(delivered) + 1):
        before = assemble(attempt, delivered[:i])
        if before is not None:
            assert assemble(attempt, [*delivered[:i], world.grace]) == before
            assert DispositionAssembler.awaits_grace(attempt, delivered[:i]) is False
