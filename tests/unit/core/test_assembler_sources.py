"""Every source may be silent, late or repeated (ADR 0011): over the whole matrix of what
reaches the service about one contact, the contact settles once, by the settle grace at the
latest (unless its call is answered and live), and the same whatever the order."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from queue_core.domain.assembler import DispositionAssembler
from queue_core.domain.contacts import ContactAttempt
from queue_core.domain.disposition import Disposition, DispositionStatus
from queue_core.domain.facts import ContactFact, ContactTimedOut, SettleGraceElapsed
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


@dataclass(frozen=True)
class Sources:
    outcome: str
    voice: str
    callstatus: str
    report_names_call: bool
    step: bool
    answered_reports: str  # what a report of an answered call says


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
    return World(s, status, timely, late, SettleGraceElapsed(at=t + 31))


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
@given(sources(), st.booleans(), st.data())
def test_any_sources_any_order_settle_once_by_the_grace_the_same_way(
    s: Sources, voice_mode: bool, data: st.DataObject
) -> None:
    world, attempt = world_of(s), make_attempt(voice_mode)
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


@settings(max_examples=300, deadline=None)
@given(sources(), st.booleans(), st.data())
def test_the_grace_is_needed_only_when_no_deciding_facts_are_in(
    s: Sources, voice_mode: bool, data: st.DataObject
) -> None:
    """A set final before the grace stays final, and the grace fact changes nothing in it."""
    world, attempt = world_of(s), make_attempt(voice_mode)
    delivered = data.draw(deliveries(world.timely))
    for i in range(len(delivered) + 1):
        before = assemble(attempt, delivered[:i])
        if before is not None:
            assert assemble(attempt, [*delivered[:i], world.grace]) == before
            assert DispositionAssembler.awaits_grace(attempt, delivered[:i]) is False
