"""The pacer: examples of each mode, and its rules as Hypothesis properties."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from queue_core.domain.campaign import PacingMode, PacingSettings
from queue_core.domain.pacer import (
    ABANDON_WINDOW_S,
    CONNECT_RULE_S,
    Pacer,
    PacingDecision,
    PacingSnapshot,
)
from queue_core.domain.state import QueueState
from queue_core.domain.stats import QueueStats

RUNNING = QueueState.RUNNING


def pacing(
    mode: PacingMode = PacingMode.PROGRESSIVE,
    *,
    dial_ratio: float = 1.0,
    max_concurrent_calls: int = 50,
    max_dial_ratio: float = 3.0,
    abandon_target: float = 0.03,
) -> PacingSettings:
    return PacingSettings(
        mode=mode,
        dial_ratio=dial_ratio,
        max_concurrent_calls=max_concurrent_calls,
        max_dial_ratio=max_dial_ratio,
        abandon_target=abandon_target,
    )


def predictive(config: PacingSettings) -> PacingSettings:
    return replace(config, mode=PacingMode.PREDICTIVE)


def snap(
    *,
    now: float = 0.0,
    available: int | None = 10,
    pending: int = 0,
    age: float = 0.0,
    in_flight: int = 0,
    answered: int = 0,
    claimed: int = 0,
    human: int = 0,
    abandoned: int = 0,
) -> PacingSnapshot:
    stats = (
        None
        if available is None
        else QueueStats(
            available_workers=available, pending_tasks=pending, longest_task_waiting_age_s=age
        )
    )
    return PacingSnapshot(now, stats, in_flight, answered, claimed, human, abandoned)


# --- examples -------------------------------------------------------------------------------


def test_progressive_applies_the_formula() -> None:
    pacer = Pacer(pacing(dial_ratio=1.5))
    # floor(1.5 x (5 - 1)) - (3 in flight - 2 answered) - 1 claimed = 6 - 1 - 1
    decision = pacer.decide(
        snap(available=5, pending=1, in_flight=3, answered=2, claimed=1), RUNNING
    )
    assert (decision.count, decision.dial_ratio, decision.reason) == (4, 1.5, "progressive")


def test_progressive_does_not_count_answered_calls_against_idle_agents() -> None:
    pacer = Pacer(pacing())
    # 4 agents talk to answered calls, 2 are idle: dial for the 2 idle ones.
    assert pacer.decide(snap(available=2, in_flight=4, answered=4), RUNNING).count == 2
    assert pacer.decide(snap(available=2, in_flight=4, answered=2), RUNNING).count == 0


def test_progressive_floor_survives_float_rounding() -> None:
    # 1.15 x 100 is 114.99999999999999 in binary floating point.
    assert Pacer(pacing(dial_ratio=1.15)).decide(snap(available=100), RUNNING).count == 50
    wide = pacing(dial_ratio=1.15, max_concurrent_calls=1000)
    assert Pacer(wide).decide(snap(available=100), RUNNING).count == 115


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"available": None}, "no stats"),
        ({"available": 3, "pending": 3}, "no free agents"),
        ({"available": 2, "in_flight": 2}, "calls in flight cover the agents"),
        ({"available": 2, "claimed": 2}, "calls in flight cover the agents"),
        ({"available": 80, "in_flight": 30, "claimed": 20}, "max concurrent reached"),
    ],
)
def test_progressive_launches_nothing_when(kwargs: dict[str, Any], reason: str) -> None:
    decision = Pacer(pacing()).decide(snap(**kwargs), RUNNING)
    assert (decision.count, decision.reason) == (0, reason)


def test_progressive_is_capped_by_max_concurrent_calls() -> None:
    pacer = Pacer(pacing(dial_ratio=2.0, max_concurrent_calls=10))
    assert pacer.decide(snap(available=40, in_flight=3, answered=3, claimed=2), RUNNING).count == 5


def test_fixed_keeps_max_concurrent_in_flight_without_stats_or_agents() -> None:
    pacer = Pacer(pacing(PacingMode.FIXED, max_concurrent_calls=10))
    decision = pacer.decide(snap(available=None, in_flight=4, claimed=2), RUNNING)
    assert (decision.count, decision.reason) == (4, "fixed")
    assert pacer.decide(snap(available=0, in_flight=7, answered=7, claimed=3), RUNNING).count == 0


@pytest.mark.parametrize("state", [s for s in QueueState if s is not RUNNING])
@pytest.mark.parametrize("mode", list(PacingMode))
def test_nothing_is_launched_unless_running(state: QueueState, mode: PacingMode) -> None:
    decision = Pacer(pacing(mode)).decide(snap(available=20), state)
    assert decision.count == 0
    assert decision.reason == f"not running ({state.value})"


@pytest.mark.parametrize(
    ("dial_ratio", "max_dial_ratio", "start"), [(0.5, 3.0, 1.0), (2.0, 3.0, 2.0), (5.0, 3.0, 3.0)]
)
def test_predictive_starts_at_the_configured_ratio_clamped(
    dial_ratio: float, max_dial_ratio: float, start: float
) -> None:
    pacer = Pacer(
        pacing(PacingMode.PREDICTIVE, dial_ratio=dial_ratio, max_dial_ratio=max_dial_ratio)
    )
    assert pacer.dial_ratio == start


def run_steady(pacer: Pacer, seconds: int, start: int = 0, **kwargs: Any) -> list[float]:
    """One running decision a second from `start`; returns the ratio after each."""
    return [
        pacer.decide(snap(now=float(t), **kwargs), RUNNING).dial_ratio
        for t in range(start, start + seconds)
    ]


def test_predictive_dials_nothing_and_falls_to_one_while_calls_wait_for_agents() -> None:
    pacer = Pacer(pacing(PacingMode.PREDICTIVE, dial_ratio=3.0))
    assert pacer.dial_ratio == 3.0
    decisions = [
        pacer.decide(snap(now=float(t), available=1, pending=4, age=1.0), RUNNING)
        for t in range(120)
    ]
    assert {(d.count, d.dial_ratio, d.reason) for d in decisions} == {(0, 1.0, "no free agents")}


def test_predictive_uses_its_starting_ratio_in_the_progressive_formula() -> None:
    # Until its estimates are warm; the ratio reported is the level, calls in flight per
    # agent idle or talking: (8 + 3 in flight) / (4 available + 1 answered).
    pacer = Pacer(pacing(PacingMode.PREDICTIVE, dial_ratio=2.5))
    decision = pacer.decide(snap(available=4, in_flight=3, answered=1), RUNNING)
    assert decision == PacingDecision(math.floor(2.5 * 4) - 2, 11 / 5, "predictive, warming up")


def test_predictive_level_one_is_progressive_at_ratio_one() -> None:
    # One unanswered call per free agent, whatever the estimates.
    warm = Pacer(pacing(PacingMode.PREDICTIVE))
    for t in range(40):
        warm.decide(snap(now=float(t), available=2, in_flight=12, answered=2, human=t), RUNNING)
    for shot in (
        snap(now=40.0, available=4, pending=1, in_flight=5, answered=3, claimed=1, human=40),
        snap(now=41.0, available=9, pending=1, in_flight=5, answered=3, claimed=1, human=40),
    ):
        held = replace(shot, campaign_abandon_rate_30d=0.5)
        assert warm.decide(held, RUNNING).count == Pacer(pacing()).decide(shot, RUNNING).count


def test_predictive_does_not_adapt_while_paused() -> None:
    pacer = Pacer(pacing(PacingMode.PREDICTIVE, dial_ratio=1.5))
    for t in range(60):
        pacer.decide(snap(now=float(t), available=20), QueueState.PAUSED)
    assert pacer.dial_ratio == 1.5


def test_predictive_connect_rule_drops_to_one_then_paces_again() -> None:
    pacer = Pacer(pacing(PacingMode.PREDICTIVE, dial_ratio=2.5))
    late = pacer.decide(snap(available=6, age=CONNECT_RULE_S + 0.5), RUNNING)
    assert (late.dial_ratio, late.count, late.reason) == (
        1.0,
        6,
        "a call waits past the connect rule",
    )
    # No call waits past the rule any more: the level is its own again.
    again = pacer.decide(snap(now=1.0, available=6, age=CONNECT_RULE_S), RUNNING)
    assert (again.dial_ratio, again.count) == (2.5, 15)


def test_predictive_abandon_rule_holds_one_for_the_window() -> None:
    pacer = Pacer(pacing(PacingMode.PREDICTIVE, dial_ratio=2.0, abandon_target=0.03))
    assert pacer.decide(snap(now=0.0, human=200, abandoned=3), RUNNING).dial_ratio == 2.0
    assert pacer.decide(snap(now=100.0, human=200, abandoned=7), RUNNING).dial_ratio == 1.0
    # Still over 3% while those 4 abandons of the last 50 calls stay in the recent window...
    held = pacer.decide(snap(now=ABANDON_WINDOW_S + 50, human=250, abandoned=7), RUNNING)
    assert (held.dial_ratio, held.reason) == (1.0, "abandon share at or over the target")
    # ...and free to pace once the window holds only the 50 good calls since.
    free = run_steady(pacer, 50, start=int(ABANDON_WINDOW_S) + 200, human=250, abandoned=7)
    assert free[-1] > 1.0


def test_predictive_abandon_window_restarts_with_the_totals() -> None:
    pacer = Pacer(pacing(PacingMode.PREDICTIVE, dial_ratio=2.0))
    assert pacer.decide(snap(now=0.0, human=100), RUNNING).dial_ratio == 2.0
    # Long after, a new start: the totals count from zero again, and 0 abandoned of 50 is fine
    # (measured against the old totals, 50 - 100 answered would look like a broken window).
    later = int(ABANDON_WINDOW_S) + 100
    assert pacer.decide(snap(now=later, human=0), RUNNING).dial_ratio > 1.0
    for t in range(later + 1, later + 31):
        decision = pacer.decide(snap(now=float(t), available=8, human=50), RUNNING)
        assert decision.reason.startswith("predictive")
        assert decision.count >= 8


# --- properties -----------------------------------------------------------------------------

ratios = st.floats(min_value=0.01, max_value=10.0)
pacing_settings = st.builds(
    lambda mode, ratio, top, concurrent, target: PacingSettings(
        mode=mode,
        dial_ratio=ratio,
        max_concurrent_calls=concurrent,
        max_dial_ratio=max(top, ratio),
        abandon_target=target,
    ),
    st.sampled_from(PacingMode),
    ratios,
    st.floats(min_value=1.0, max_value=10.0),
    st.integers(min_value=1, max_value=200),
    st.floats(min_value=0.0, max_value=0.5),
)
queue_stats = st.none() | st.builds(
    QueueStats,
    available_workers=st.integers(min_value=0, max_value=300),
    pending_tasks=st.integers(min_value=0, max_value=50),
    longest_task_waiting_age_s=st.floats(min_value=0.0, max_value=10.0),
)


@st.composite
def snapshot_runs(draw: st.DrawFn, length: int = 20) -> list[PacingSnapshot]:
    """Snapshots with time moving forward and totals that only grow."""
    now, human, abandoned = 0.0, 0, 0
    run = []
    for _ in range(draw(st.integers(min_value=1, max_value=length))):
        now += draw(st.floats(min_value=0.0, max_value=20.0))
        new_human = draw(st.integers(min_value=0, max_value=20))
        human += new_human
        abandoned += draw(st.integers(min_value=0, max_value=new_human))
        in_flight = draw(st.integers(min_value=0, max_value=300))
        run.append(
            PacingSnapshot(
                now=now,
                stats=draw(queue_stats),
                in_flight=in_flight,
                answered_in_flight=draw(st.integers(min_value=0, max_value=in_flight)),
                claimed=draw(st.integers(min_value=0, max_value=100)),
                human_answered_total=human,
                abandoned_total=abandoned,
            )
        )
    return run


# Half the time running: the other states all mean "launch nothing".
states = st.one_of(st.just(RUNNING), st.sampled_from(QueueState))


@settings(max_examples=100)
@given(pacing_settings, snapshot_runs(), st.lists(states, min_size=20, max_size=20))
def test_count_stays_within_its_bounds(
    config: PacingSettings, run: list[PacingSnapshot], state_run: list[QueueState]
) -> None:
    pacer = Pacer(config)
    for snapshot, state in zip(run, state_run, strict=False):
        decision = pacer.decide(snapshot, state)
        room = config.max_concurrent_calls - snapshot.in_flight - snapshot.claimed
        assert 0 <= decision.count <= max(0, room)
        if state is not RUNNING:
            assert decision.count == 0
        if snapshot.stats is None and config.mode is not PacingMode.FIXED:
            assert decision.count == 0
        assert decision.dial_ratio == pacer.dial_ratio


@settings(max_examples=200)
@given(
    ratios,
    st.integers(min_value=1, max_value=200),
    st.integers(min_value=0, max_value=300),
    st.integers(min_value=0, max_value=300),
    st.integers(min_value=0, max_value=50),
    st.integers(min_value=0, max_value=300),
    st.integers(min_value=0, max_value=300),
    st.integers(min_value=0, max_value=100),
)
def test_progressive_count_grows_with_available_agents(
    ratio: float,
    concurrent: int,
    available: int,
    more: int,
    pending: int,
    in_flight: int,
    answered: int,
    claimed: int,
) -> None:
    pacer = Pacer(pacing(dial_ratio=ratio, max_concurrent_calls=concurrent))

    def count(agents: int) -> int:
        shot = snap(
            available=agents,
            pending=pending,
            in_flight=in_flight,
            answered=answered,
            claimed=claimed,
        )
        return pacer.decide(shot, RUNNING).count

    assert count(available) <= count(available + more)


@settings(max_examples=100)
@given(pacing_settings.map(predictive), snapshot_runs(), st.lists(states, min_size=20, max_size=20))
def test_predictive_ratio_stays_between_one_and_its_maximum(
    config: PacingSettings, run: list[PacingSnapshot], state_run: list[QueueState]
) -> None:
    pacer = Pacer(config)
    for snapshot, state in zip(run, state_run, strict=False):
        ratio = pacer.decide(snapshot, state).dial_ratio
        assert 1.0 <= ratio <= config.max_dial_ratio


@settings(max_examples=100)
@given(pacing_settings.map(predictive), snapshot_runs(), queue_stats, st.floats(0.01, 100.0))
def test_predictive_drops_to_one_when_calls_wait_past_the_connect_rule(
    config: PacingSettings, run: list[PacingSnapshot], stats: QueueStats | None, extra: float
) -> None:
    pacer = Pacer(config)
    for snapshot in run:
        pacer.decide(snapshot, RUNNING)
    last = run[-1]
    waiting = QueueStats(
        available_workers=stats.available_workers if stats else 5,
        pending_tasks=stats.pending_tasks if stats else 0,
        longest_task_waiting_age_s=CONNECT_RULE_S + extra,
    )
    late = PacingSnapshot(
        last.now + 1.0,
        waiting,
        last.in_flight,
        last.answered_in_flight,
        last.claimed,
        last.human_answered_total,
        last.abandoned_total,
    )
    decision = pacer.decide(late, RUNNING)
    at_one = Pacer(PacingSettings(dial_ratio=1.0, max_concurrent_calls=config.max_concurrent_calls))
    assert decision.dial_ratio == pacer.dial_ratio == 1.0
    assert decision.count == at_one.decide(late, RUNNING).count


@settings(max_examples=100)
@given(
    pacing_settings.map(predictive),
    snapshot_runs(),
    st.integers(min_value=1, max_value=10_000),
    st.booleans(),
    st.data(),
)
def test_predictive_drops_to_one_when_abandons_reach_the_target(
    config: PacingSettings,
    run: list[PacingSnapshot],
    answered: int,
    over: bool,
    data: st.DataObject,
) -> None:
    pacer = Pacer(config)
    for snapshot in run:
        pacer.decide(snapshot, RUNNING)
    last = run[-1]
    # A quiet window, then `answered` new human-answered calls, `abandoned` of them abandoned:
    # over means at or over the target, and at least one.
    least = max(1, math.ceil(config.abandon_target * answered))
    over = over and least <= answered
    abandoned = data.draw(
        st.integers(least, answered) if over else st.integers(0, least - 1), label="abandoned"
    )
    spike = PacingSnapshot(
        last.now + ABANDON_WINDOW_S + 1.0,
        QueueStats(available_workers=50),
        0,
        0,
        0,
        last.human_answered_total + answered,
        last.abandoned_total + abandoned,
    )
    decision = pacer.decide(spike, RUNNING)
    if over:
        assert decision.dial_ratio == pacer.dial_ratio == 1.0
    else:
        # Idle agents and no rule in force: the level is the estimates' own (or the starting
        # ratio while they warm up), not held at 1.0 by the share.
        assert decision.reason in ("predictive", "predictive, warming up")
        assert 1.0 <= decision.dial_ratio <= config.max_dial_ratio
