"""Predictive pacing (ADR 0023): its estimates by example, and its rules as properties."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from hypothesis import given, settings
from hypothesis import strategies as st

from queue_core.domain._predictive import POOL_WINDOW_S, WARM_UP_PEOPLE, Estimates
from queue_core.domain.campaign import PacingMode, PacingSettings
from queue_core.domain.pacer import ABANDON_WINDOW_S, Pacer, PacingDecision, PacingSnapshot
from queue_core.domain.state import QueueState
from queue_core.domain.stats import QueueStats
from tests.unit.core.test_pacer import pacing_settings, queue_stats, snap, snapshot_runs

RUNNING = QueueState.RUNNING


def predictive(**kwargs: float) -> Pacer:
    return Pacer(PacingSettings(mode=PacingMode.PREDICTIVE, max_concurrent_calls=1000, **kwargs))


@dataclass
class Stream:
    """A steady call centre seen once a second: `available` agents idle, `ringing` calls
    unanswered, a person answered every `every` seconds, every `abandon_every`-th abandoned."""

    available: int = 5
    talking: int = 5
    ringing: int = 20
    every: int = 4
    abandon_every: int = 0
    now: int = 0
    people: int = 0
    abandoned: int = 0

    def run(self, pacer: Pacer, seconds: int) -> PacingDecision:
        decision = PacingDecision(0, 0.0, "")
        for _ in range(seconds):
            self.now += 1
            if self.now % self.every == 0:
                self.people += 1
                if self.abandon_every and self.people % self.abandon_every == 0:
                    self.abandoned += 1
            decision = pacer.decide(self.snapshot(), RUNNING)
        return decision

    def snapshot(self) -> PacingSnapshot:
        return PacingSnapshot(
            now=float(self.now),
            stats=QueueStats(available_workers=self.available),
            in_flight=self.ringing + self.talking,
            answered_in_flight=self.talking,
            claimed=0,
            human_answered_total=self.people,
            abandoned_total=self.abandoned,
        )


def test_the_starting_ratio_paces_until_enough_people_answered() -> None:
    pacer = predictive(dial_ratio=1.5)
    stream = Stream()
    warming = stream.run(pacer, 4 * WARM_UP_PEOPLE - 1)
    # 1.5 calls per free agent, as progressive: 5 free agents of 10 in view.
    assert (warming.dial_ratio, warming.reason) == (1 + 0.5 * 5 / 10, "predictive, warming up")
    warm = stream.run(pacer, 8)
    assert warm.reason in ("predictive", "calls in flight cover the agents")
    assert warm.dial_ratio != warming.dial_ratio


def test_the_fewer_people_answer_the_more_calls_ring_up_to_the_ceiling() -> None:
    levels = []
    for every in (2, 4, 8, 16, 32):
        pacer = predictive(max_dial_ratio=3.0)
        levels.append(Stream(every=every).run(pacer, 1200).dial_ratio)
    assert levels == sorted(levels)
    assert levels[0] < 2.0
    assert levels[-1] == 3.0


def test_abandons_lower_the_level_and_people_answered_raise_it() -> None:
    calm, rough = predictive(), predictive()
    calm_stream = Stream(every=4)
    early = calm_stream.run(calm, 300).dial_ratio
    assert calm_stream.run(calm, 600).dial_ratio > early > 1.0
    Stream(every=4, abandon_every=5).run(rough, 900)
    assert rough.dial_ratio < calm.dial_ratio


def test_more_agents_in_view_take_more_calls_per_free_agent() -> None:
    # The same free agents and answer rate; more agents talking pool better.
    few, many = predictive(), predictive()
    small = Stream(available=4, talking=4, every=3).run(few, 600)
    large = Stream(available=4, talking=60, every=3).run(many, 600)
    ringing_small = small.dial_ratio * 8 - 4
    ringing_large = large.dial_ratio * 64 - 60
    assert ringing_large > ringing_small * 2


def test_the_team_pooled_is_the_agents_in_view_over_about_a_minute() -> None:
    estimates = Estimates(0.03)
    assert estimates.pool(100.0, 30) == 30.0
    # Five agents wrapping up for a few seconds are still the team's.
    assert 29.5 < estimates.pool(105.0, 25) < 30.0
    # A third gone for good: the pool follows within a few windows.
    for second in range(106, 106 + int(5 * POOL_WINDOW_S)):
        pooled = estimates.pool(float(second), 20)
    assert 20.0 < pooled < 20.1
    # Time that stands still moves nothing; time that goes back starts from the view in hand.
    assert estimates.pool(float(second), 5) == pooled
    assert estimates.pool(50.0, 12) == 12.0
    estimates.reset()
    assert estimates.pool(60.0, 8) == 8.0


def test_a_moment_of_wrap_ups_does_not_shrink_the_calls_ringing() -> None:
    pacer = predictive()
    stream = Stream(available=4, talking=60, every=3)
    steady = stream.run(pacer, 600)
    ringing_steady = steady.dial_ratio * 64 - 60
    # For one second, 56 of the 60 talking agents are wrapping up: out of view, not of the team.
    stream.talking = 4
    moment = stream.run(pacer, 1)
    ringing_moment = moment.dial_ratio * 8 - 4
    assert ringing_moment > 0.95 * ringing_steady
    # Out of view for good, they leave the pool: fewer calls ring for the same free agents.
    later = stream.run(pacer, int(5 * POOL_WINDOW_S))
    assert later.dial_ratio * 8 - 4 < 0.5 * ringing_steady


def test_people_answered_since_the_stats_were_taken_hold_their_agents() -> None:
    pacer = predictive(dial_ratio=1.0)
    stats = QueueStats(available_workers=6, timestamp=1000.0)
    assert pacer.decide(PacingSnapshot(0.0, stats, 0, 0, 0, 10, 0), RUNNING).count == 6
    # Two of those six calls answered since: the same stats still count 6 agents available,
    # but only 4 are, and 4 calls ring for them.
    answered = PacingSnapshot(1.0, stats, 6, 2, 0, 12, 0)
    assert pacer.decide(answered, RUNNING).count == 0
    # Stats without a timestamp cannot be told apart: nothing is known to have changed.
    blind = predictive(dial_ratio=1.0)
    assert blind.decide(replace(answered, stats=replace(stats, timestamp=None)), RUNNING).count == 2
    # Fresh stats count them: again nothing to add.
    fresh = replace(answered, now=2.0, stats=QueueStats(available_workers=4, timestamp=1002.0))
    assert pacer.decide(fresh, RUNNING).count == 0


def test_the_campaigns_30_day_share_at_the_target_holds_the_level_at_one() -> None:
    for share, held in ((0.029, False), (0.03, True), (0.2, True), (0.0, False)):
        pacer = predictive(dial_ratio=2.0)
        decision = pacer.decide(
            replace(snap(available=5), campaign_abandon_rate_30d=share), RUNNING
        )
        assert (decision.dial_ratio == 1.0) is held
        assert (decision.reason == "campaign abandon share at or over the target") is held


# --- properties -----------------------------------------------------------------------------


def _in_view(snapshot: PacingSnapshot) -> int:
    stats = snapshot.stats
    assert stats is not None
    return stats.available_workers - stats.pending_tasks + snapshot.answered_in_flight


@settings(max_examples=100)
@given(pacing_settings, snapshot_runs(), queue_stats)
def test_predictive_never_dials_past_its_ceiling(
    config: PacingSettings, run: list[PacingSnapshot], stats: QueueStats | None
) -> None:
    pacer = Pacer(replace(config, mode=PacingMode.PREDICTIVE))
    for snapshot in run:
        decision = pacer.decide(snapshot, RUNNING)
        assert 1.0 <= decision.dial_ratio <= config.max_dial_ratio
        if snapshot.stats is not None:
            ceiling = math.floor(config.max_dial_ratio * _in_view(snapshot) + 1e-9)
            assert decision.count <= max(0, ceiling - snapshot.in_flight - snapshot.claimed)


@settings(max_examples=100)
@given(
    pacing_settings,
    snapshot_runs(),
    st.integers(min_value=1, max_value=2000),
    st.floats(min_value=0.0, max_value=1.0),
    st.booleans(),
    st.data(),
)
def test_at_or_over_the_target_predictive_dials_at_ratio_one_at_most(
    config: PacingSettings,
    run: list[PacingSnapshot],
    answered: int,
    campaign: float,
    recent: bool,
    data: st.DataObject,
) -> None:
    config = replace(config, mode=PacingMode.PREDICTIVE, abandon_target=max(1e-3, campaign))
    pacer = Pacer(config)
    for snapshot in run:
        pacer.decide(snapshot, RUNNING)
    last = run[-1]
    # Either this execution's share over the window reaches the target, or the campaign's.
    least = max(1, math.ceil(config.abandon_target * answered))
    abandoned = data.draw(st.integers(min(least, answered), answered)) if recent else 0
    reached = recent and least <= answered
    shot = PacingSnapshot(
        last.now + ABANDON_WINDOW_S + 1.0,
        data.draw(queue_stats.filter(lambda s: s is not None)),
        last.in_flight,
        last.answered_in_flight,
        last.claimed,
        last.human_answered_total + answered,
        last.abandoned_total + abandoned,
        None if reached else config.abandon_target,
    )
    fresh = Pacer(replace(config, dial_ratio=1.0, mode=PacingMode.PROGRESSIVE))
    decision = pacer.decide(shot, RUNNING)
    assert decision.dial_ratio == pacer.dial_ratio == 1.0
    assert decision.count <= fresh.decide(shot, RUNNING).count
