"""The launch schedule's budgets and each execution's schedule (its rate controller):
examples, and hours of launching simulated event by event."""

from __future__ import annotations

import heapq
import itertools
import math
import random

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from queue_core.domain.launch_schedule import (
    DEFAULT_GUARD_S,
    LATE_FLOOR_S,
    MIN_RATE_FRACTION,
    STUDIO_EXECUTIONS_PER_SECOND,
    LaunchRateController,
    LaunchSchedule,
    SlotTerms,
    account_rate,
    late_allowance,
    share_rates,
)

HOUR = 3600.0


def launch_as_fast_as_allowed(
    controller: LaunchRateController, horizon: float, start: float = 0.0
) -> list[float]:
    """Launch whenever `delay` says 0, each accepted at once, until `horizon`."""
    now, launches = start, list[float]()
    while now < horizon:
        wait = controller.delay(now)
        if wait > 0:
            now = max(now + wait, math.nextafter(now, math.inf))
            continue
        controller.take(now)
        controller.succeeded(now)
        launches.append(now)
    return launches


def assert_no_second_holds_more_than(launches: list[float], budget: float) -> None:
    """Every window [t, t + 1) holds at most ceil(budget) launches: the launch ceil(budget)
    places after any launch at t is at t + 1 or later."""
    k = math.ceil(budget)
    crowded = [(a, b) for a, b in zip(launches, launches[k:], strict=False) if b < a + 1.0]
    assert not crowded, f"{k + 1} launches within a second, from {crowded[0]}"


def long_run_horizon(budget: float) -> float:
    """An hour, or long enough for 300 launches at a small budget (one launch in 300 is the
    rounding of any count)."""
    return max(HOUR, 300 / budget)


# --- examples -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cps", "share", "rate"), [(1.0, 0.9, 0.9), (10.0, 0.5, 5.0), (100.0, 0.9, 20.0), (0, 1, 0)]
)
def test_account_rate_is_the_share_capped_by_studio(cps: float, share: float, rate: float) -> None:
    assert account_rate(cps, share) == pytest.approx(rate)
    assert STUDIO_EXECUTIONS_PER_SECOND == 20.0


@pytest.mark.parametrize(
    ("cps", "share"), [(-1.0, 0.5), (1.0, -0.1), (math.nan, 0.5), (math.inf, 0.0)]
)
def test_account_rate_rejects_nonsense(cps: float, share: float) -> None:
    with pytest.raises(ValueError, match=">= 0"):
        account_rate(cps, share)


def test_share_rates_split_in_proportion() -> None:
    assert share_rates(9.0, {"a": 1.0, "b": 0.5}) == {"a": 6.0, "b": 3.0}
    assert share_rates(9.0, {"a": 0.0, "b": 0.0}) == {"a": 0.0, "b": 0.0}
    assert share_rates(9.0, {}) == {}
    with pytest.raises(ValueError, match="share of b"):
        share_rates(9.0, {"a": 1.0, "b": -1.0})


@pytest.mark.parametrize("budget", [0.01, 0.9, 1.0, 2.5, 20.0, 1000.0])
def test_launches_are_spaced_evenly(budget: float) -> None:
    controller = LaunchRateController(budget)
    launches = launch_as_fast_as_allowed(controller, 50 / budget)
    gaps = [b - a for a, b in itertools.pairwise(launches)]
    assert gaps
    # Even spacing; where the one-second cap binds (a whole-number budget), its guard against
    # arrival jitter may stretch a gap by DEFAULT_GUARD_S, never more.
    assert all(1 / budget - 1e-9 <= gap <= 1 / budget + DEFAULT_GUARD_S + 1e-9 for gap in gaps)
    assert len(launches) / (launches[-1] - launches[0] + 1 / budget) >= 0.995 * budget


def test_a_late_loop_keeps_its_schedule_and_an_idle_one_starts_anew() -> None:
    controller = LaunchRateController(10.0)
    controller.take(0.0)
    assert controller.delay(0.0) == pytest.approx(0.1)
    controller.take(0.1)
    # Due at 0.2, woken at 0.23: the next one is still due at 0.3.
    assert controller.delay(0.23) == 0.0
    controller.take(0.23)
    assert controller.delay(0.23) == pytest.approx(0.07)
    # Due at 0.3, woken at 0.37 (more than half a spacing late): due a whole spacing later.
    controller.take(0.37)
    assert controller.delay(0.37) == pytest.approx(0.1)


def test_a_budget_of_zero_never_launches() -> None:
    controller = LaunchRateController(0.0)
    assert controller.delay(0.0) == math.inf
    assert launch_as_fast_as_allowed(controller, HOUR) == []
    controller.set_budget(2.0, now=10.0)
    assert controller.delay(10.0) == 0.0
    controller.set_budget(0.0, now=11.0)
    assert controller.delay(11.0) == math.inf


def test_a_new_budget_changes_the_spacing_from_the_last_launch() -> None:
    controller = LaunchRateController(1.0)
    controller.take(0.0)
    controller.set_budget(0.25, now=0.5)
    assert (controller.budget, controller.rate) == (0.25, 0.25)
    assert controller.delay(0.5) == pytest.approx(4.0 - 0.5)  # one 4 s spacing after
    controller.set_budget(4.0, now=0.6)
    assert controller.delay(0.6) == 0.0


def test_a_429_with_retry_after_halves_the_rate_and_holds_exactly_that_long() -> None:
    controller = LaunchRateController(10.0)
    controller.take(0.0)
    controller.rate_limited(0.2, retry_after_s=3.0)
    assert controller.rate == 5.0
    assert controller.delay(0.2) == pytest.approx(3.0)
    # Answers to launches sent before the hold: no second halving, no climb.
    controller.rate_limited(0.3, retry_after_s=1.0)
    controller.succeeded(0.4)
    assert controller.rate == 5.0
    assert controller.hold_until == pytest.approx(3.2)
    controller.take(3.2)
    assert controller.delay(3.2) == pytest.approx(0.2)  # one spacing at 5/s: no catch-up burst


def test_after_a_hold_launches_resume_a_whole_spacing_apart() -> None:
    controller = LaunchRateController(10.0)
    controller.take(0.0)
    controller.rate_limited(0.05, retry_after_s=0.2)  # 5/s: the next was due at 0.2
    assert controller.delay(0.05) == pytest.approx(0.2)
    controller.take(0.25)
    assert controller.delay(0.25) == pytest.approx(0.2)


def test_backoff_doubles_per_consecutive_429_with_jitter_and_a_cap() -> None:
    controller = LaunchRateController(4.0, rng=random.Random(7), backoff_cap_s=8.0)
    now, holds = 0.0, []
    for _ in range(6):
        controller.rate_limited(now, retry_after_s=None)
        holds.append(controller.hold_until - now)
        now = controller.hold_until
    for hold, ceiling in zip(holds, [1.0, 2.0, 4.0, 8.0, 8.0, 8.0], strict=True):
        assert ceiling / 2 <= hold <= ceiling
    assert len(set(holds[3:])) == 3  # jittered, not one fixed value
    assert controller.rate == 4.0 * MIN_RATE_FRACTION  # halved down to its floor
    # A success ends the streak: the next 429 starts the backoff over.
    controller.succeeded(now)
    controller.rate_limited(now, retry_after_s=None)
    assert controller.hold_until - now <= 1.0


def test_the_rate_climbs_back_to_the_budget_in_about_ten_seconds_per_budget() -> None:
    controller = LaunchRateController(20.0)
    controller.rate_limited(0.0, retry_after_s=0.0)
    assert controller.rate == 10.0
    launches = launch_as_fast_as_allowed(controller, 30.0)
    assert controller.rate == 20.0
    # From 10/s to 20/s at +2/s per second of launching: about 5 s.
    back = next(t for t, u in itertools.pairwise(launches) if u - t < 0.0501)
    assert 4.0 <= back <= 6.0


@pytest.mark.parametrize(
    ("budget", "base", "cap"), [(-1.0, 1.0, 60.0), (math.inf, 1.0, 60.0), (1.0, 0.0, 60.0)]
)
def test_the_controller_rejects_nonsense(budget: float, base: float, cap: float) -> None:
    with pytest.raises(ValueError, match=r"budget|backoff"):
        LaunchRateController(budget, backoff_base_s=base, backoff_cap_s=cap)


@pytest.mark.parametrize(
    ("rate", "guard_s", "late_s"),
    [
        (10.0, 0.005, 0.05),  # half a spacing
        (100.0, 0.005, 0.02),  # the 20 ms floor: a busy loop is later than half a spacing
        (10.0, 0.2, 0.1),  # half the guard
        (0.0, 0.005, 0.02),  # no rate, no spacing
    ],
)
def test_one_lateness_rule(rate: float, guard_s: float, late_s: float) -> None:
    assert late_allowance(rate, guard_s) == pytest.approx(late_s)
    assert LaunchSchedule(rate, guard_s).slot_in_time(1.0, 1.0 + late_s * (1 - 1e-9))
    assert not LaunchSchedule(rate, guard_s).slot_in_time(1.0, 1.0 + late_s * (1 + 1e-9))


def test_the_account_slots_take_their_terms_from_the_schedule() -> None:
    terms = LaunchSchedule(4.0, guard_s=0.01).slot_terms()
    assert terms == SlotTerms(capacity=4, spacing_s=0.25, window_s=1.01, late_s=0.125)
    assert SlotTerms.of(2.5) == SlotTerms(2, 0.4, 0.8 + DEFAULT_GUARD_S, 0.2)
    for nothing in (0.0, -3.0, math.nan):
        assert SlotTerms.of(nothing).capacity == 0
    with pytest.raises(ValueError, match="finite"):
        SlotTerms.of(math.inf)


def test_the_schedule_shares_the_account_rate_and_gives_each_execution_its_guard() -> None:
    schedule = LaunchSchedule(9.0, guard_s=0.2)
    assert schedule.budgets({"a": 1.0, "b": 0.5}) == share_rates(9.0, {"a": 1.0, "b": 0.5})
    controller = schedule.controller()
    assert controller.budget == 0.0
    assert controller.delay(0.0) == math.inf
    controller.set_budget(1.0, now=0.0)
    controller.take(0.0)
    # One launch in any second and the guard: the next one 1.2 s after the first.
    assert controller.delay(0.0) == pytest.approx(1.2)


# --- properties -----------------------------------------------------------------------------

account_budgets = st.floats(min_value=0.01, max_value=STUDIO_EXECUTIONS_PER_SECOND)


@settings(max_examples=30, deadline=None)
@given(account_budgets)
@example(0.01)
@example(0.9)
@example(1.0)
@example(2.5)
@example(STUDIO_EXECUTIONS_PER_SECOND)
def test_an_hour_flat_out_stays_within_the_budget(budget: float) -> None:
    horizon = long_run_horizon(budget)
    launches = launch_as_fast_as_allowed(LaunchRateController(budget), horizon)
    assert_no_second_holds_more_than(launches, budget)
    assert len(launches) / horizon == pytest.approx(budget, rel=0.01)


@settings(max_examples=8, deadline=None)
@given(st.floats(min_value=STUDIO_EXECUTIONS_PER_SECOND, max_value=1000.0))
@example(1000.0)
def test_a_minute_flat_out_at_large_budgets_stays_within_the_budget(budget: float) -> None:
    launches = launch_as_fast_as_allowed(LaunchRateController(budget), 60.0)
    assert_no_second_holds_more_than(launches, budget)
    assert len(launches) / 60.0 == pytest.approx(budget, rel=0.01)


@settings(max_examples=60, deadline=None)
@given(
    st.floats(min_value=0.01, max_value=1000.0),
    st.floats(min_value=0.0, max_value=2.0),
    st.integers(min_value=0, max_value=2**32),
)
def test_a_late_loop_never_bursts(budget: float, lateness: float, seed: int) -> None:
    """Each wake-up comes up to `lateness` spacings late: still at most ceil(budget) launches
    in any second and never more than the budget; never two closer than half a spacing where
    half a spacing is longer than the 20 ms a late launch may catch up."""
    controller, rng = LaunchRateController(budget), random.Random(seed)
    spacing = 1 / budget
    now, launches = 0.0, list[float]()
    while len(launches) < 2000:
        wait = controller.delay(now)
        if wait > 0:
            now = max(now + wait + rng.uniform(0, lateness * spacing), math.nextafter(now, 1e300))
            continue
        controller.take(now)
        launches.append(now)
    assert_no_second_holds_more_than(launches, budget)
    if spacing / 2 >= LATE_FLOOR_S:
        assert min(b - a for a, b in itertools.pairwise(launches)) >= spacing / 2 * (1 - 1e-9)
    assert (len(launches) - 1) / (launches[-1] - launches[0]) <= budget * (1 + 1e-9)


@settings(max_examples=40, deadline=None)
@given(
    st.floats(min_value=1.0, max_value=200.0),
    st.floats(min_value=0.0, max_value=DEFAULT_GUARD_S),
    st.integers(min_value=0, max_value=2**32),
)
def test_a_loop_always_a_little_late_keeps_the_whole_rate(
    budget: float, lateness: float, seed: int
) -> None:
    """Every wake-up comes up to `lateness` late, at most the guard: the rate stays the
    schedule's, however late on average. (Counted on the late times, the schedule's window
    would pass each wake-up's lateness on to every launch after it: at a mean of 2.5 ms,
    a quarter of a percent of the rate.) The one-second cap on the times launches went binds
    only when one goes later than the guard."""
    controller, rng = LaunchRateController(budget), random.Random(seed)
    now, launches = 0.0, list[float]()
    while len(launches) < max(200, 20 * budget):
        wait = controller.delay(now)
        if wait > 0:
            now += wait + rng.uniform(0, lateness)
            continue
        controller.take(now)
        launches.append(now)
    assert_no_second_holds_more_than(launches, budget)
    rate = (len(launches) - 1) / (launches[-1] - launches[0])
    assert rate >= budget / (1 + DEFAULT_GUARD_S) * (1 - 1e-3)


@settings(max_examples=100, deadline=None)
@given(
    budget=account_budgets,
    seed=st.integers(min_value=0, max_value=2**32),
    latency=st.floats(min_value=0.0, max_value=2.0),
    limited=st.dictionaries(
        st.integers(min_value=0, max_value=300),
        st.none() | st.floats(min_value=0.0, max_value=30.0),
        max_size=40,
    ),
)
def test_after_429s_nothing_launches_during_the_hold_nor_above_the_budget(
    budget: float, seed: int, latency: float, limited: dict[int, float | None]
) -> None:
    """300 launches; the answer to launch i comes `latency` later, a 429 when i is in
    `limited` (with its Retry-After, or None), else a success."""
    controller = LaunchRateController(budget, rng=random.Random(seed), backoff_cap_s=30.0)
    answers: list[tuple[float, int]] = []
    launches: list[float] = []
    holds: list[tuple[int, float]] = []  # (first launch after the 429, end of the hold)
    now = 0.0
    while len(launches) < 300:
        wait = controller.delay(now)
        if answers and answers[0][0] <= now + wait:
            now, index = heapq.heappop(answers)
            if index not in limited:
                controller.succeeded(now)
            else:
                before, rate = controller.hold_until, controller.rate
                retry_after = limited[index]
                controller.rate_limited(now, retry_after)
                after = controller.hold_until
                if now < before:  # the same episode: no second halving
                    assert controller.rate == rate
                    assert after == max(before, now + (retry_after or 0.0))
                else:
                    assert controller.rate == max(rate / 2, budget * MIN_RATE_FRACTION)
                    if retry_after is None:
                        assert 0.5 <= after - now <= 30.0
                    else:
                        assert after == now + retry_after
                holds.append((len(launches), after))
        elif wait > 0:
            now = max(now + wait, math.nextafter(now, math.inf))
        else:
            controller.take(now)
            heapq.heappush(answers, (now + latency, len(launches)))
            launches.append(now)
        assert budget * MIN_RATE_FRACTION <= controller.rate <= budget
    assert_no_second_holds_more_than(launches, budget)
    # Launch `index` is the first sent after the 429: it and all later ones wait for the hold.
    during = [
        (index, end) for index, end in holds if index < len(launches) and launches[index] < end
    ]
    assert not during, f"launched during a hold: {during[0]}"


shares = st.dictionaries(
    st.text("abcdefgh", min_size=1, max_size=4),
    st.floats(min_value=0.01, max_value=1.0),
    min_size=1,
    max_size=5,
)


@settings(max_examples=25, deadline=None)
@given(account_budgets, shares)
def test_executions_share_the_account_rate_fairly(total: float, split: dict[str, float]) -> None:
    rates = share_rates(total, split)
    assert rates.keys() == split.keys()
    assert math.fsum(rates.values()) == pytest.approx(total, rel=1e-9)
    whole = math.fsum(split.values())
    for key, rate in rates.items():
        assert rate / total == pytest.approx(split[key] / whole, rel=1e-9)
        horizon = long_run_horizon(rate)
        launches = launch_as_fast_as_allowed(LaunchRateController(rate), horizon)
        assert_no_second_holds_more_than(launches, rate)
        assert len(launches) / horizon == pytest.approx(rate, rel=0.01)
