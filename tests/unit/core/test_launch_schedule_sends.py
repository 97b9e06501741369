"""The launch schedule's sends: at most floor(rate) creates sent in any second (and half the
guard), counted on the sends, whatever schedule let them go and however late the loop sent them,
and counted when their bytes leave where the launcher tells (`SendTurn`)."""

from __future__ import annotations

import heapq
import itertools
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from queue_core.domain.launch_schedule import DEFAULT_GUARD_S, LaunchSchedule, SendTurn
from tests.support.windows import max_in_any_window


def send_when_allowed(window: LaunchSchedule, wanted: list[float]) -> list[float]:
    """Each launch asks at its `wanted` time (sorted) and is sent as soon as the window lets it."""
    sent, now = [], -math.inf
    for want in wanted:
        now = max(now, want)
        now += window.send_delay(now)
        window.let_go(now)
        sent.append(now)
    return sent


@pytest.mark.parametrize(("rate", "cap"), [(0.0, 1), (0.5, 1), (1.0, 1), (2.9, 2), (10.0, 10)])
def test_the_cap_is_the_whole_launches_of_the_rate_and_at_least_one(rate: float, cap: int) -> None:
    assert LaunchSchedule(rate).send_cap == cap


def test_a_late_send_holds_the_launch_a_cap_after_it_a_little_less_each_time() -> None:
    """At 10/s on the schedules' spacing (one second and the 5 ms guard over ten launches),
    launch 0 goes 40 ms late: launch 10 waits until a second and half the guard after it,
    37.5 ms late, launch 20 35 ms late, and so on until the delay is gone; every other launch
    goes on its schedule, and no second holds eleven."""
    window = LaunchSchedule(10, guard_s=0.005)
    spacing = 1.005 / 10
    schedule = [i * spacing for i in range(200)]
    wanted = [schedule[0] + 0.040, *schedule[1:]]
    sent = send_when_allowed(window, wanted)
    late = [max(0.0, 0.040 - 0.0025 * (i // 10)) if i % 10 == 0 else 0.0 for i in range(200)]
    assert [s - t for s, t in zip(sent, schedule, strict=True)] == pytest.approx(late, abs=1e-9)
    assert sent[160:] == pytest.approx(schedule[160:])
    assert max_in_any_window(sent, 1.0) == 10
    # On the schedule alone, the late first launch and the ten after it share one second.
    assert max_in_any_window(sorted(wanted), 1.0) == 11


@given(
    rate=st.floats(min_value=0.5, max_value=200.0),
    guard=st.floats(min_value=0.0, max_value=0.05),
    gaps=st.lists(st.floats(min_value=0.0, max_value=0.5), min_size=1, max_size=400),
)
def test_no_second_ever_holds_more_sends_than_the_cap(
    rate: float, guard: float, gaps: list[float]
) -> None:
    window = LaunchSchedule(rate, guard_s=guard)
    wanted = list(itertools.accumulate(gaps))
    sent = send_when_allowed(window, wanted)
    assert max_in_any_window(sent, 1.0 + guard / 2 - 1e-9) <= window.send_cap
    # Nothing is sent before it asked, and the order is kept.
    assert all(s >= w for s, w in zip(sent, wanted, strict=True))
    assert sent == sorted(sent)


@given(rate=st.integers(min_value=1, max_value=100))
def test_launches_that_ask_on_time_are_never_held(rate: int) -> None:
    """On a schedule of floor(rate) launches per second plus the guard, no launch waits: the
    window takes nothing from the pace it only caps."""
    spacing = (1 + DEFAULT_GUARD_S) / rate
    wanted = [i * spacing for i in range(3 * rate)]
    assert send_when_allowed(LaunchSchedule(rate), wanted) == pytest.approx(wanted)


def send_and_leave(window: LaunchSchedule, wanted: list[float], lags: list[float]) -> list[float]:
    """Each launch asks at its `wanted` time (sorted) and is let go as soon as the window lets
    it; its bytes are ready to leave `lags[i]` later, and leave once their turn lets them
    (`SendTurn.delay`, then `leave`). Events run in time order; returns when each left."""
    left = [math.nan] * len(wanted)
    sends: dict[int, SendTurn] = {}
    events = [(wanted[0], 0, "ask", 0)] if wanted else []
    order = itertools.count(1)
    last_asked = -math.inf
    while events:
        now, _, kind, i = heapq.heappop(events)
        if kind == "ask":
            now = max(now, last_asked)
            if (wait := window.send_delay(now)) > 0:
                heapq.heappush(events, (now + wait, next(order), "ask", i))
                continue
            last_asked = now
            sends[i] = window.let_go(now)
            heapq.heappush(events, (now + lags[i], next(order), "leave", i))
            if i + 1 < len(wanted):
                heapq.heappush(events, (max(now, wanted[i + 1]), next(order), "ask", i + 1))
        else:
            if (wait := sends[i].delay(now)) > 0:
                heapq.heappush(events, (now + wait, next(order), "leave", i))
                continue
            sends[i].leave(now)
            left[i] = now
    return left


def test_a_launch_whose_bytes_left_late_counts_from_when_they_left() -> None:
    """At 10/s on the schedules' spacing, launch 0 is let go on time but its bytes leave 40 ms
    later (an HTTP client's writer ran after other work); the others leave at once. Counted
    when let go, launch 10 would leave 37.5 ms less than a second after launch 0: eleven in
    a second. Counted when it left, launch 10 waits."""
    spacing = 1.005 / 10
    wanted = [i * spacing for i in range(30)]
    lags = [0.040, *[0.0] * 29]
    left = send_and_leave(LaunchSchedule(10, guard_s=0.005), wanted, lags)
    assert left[0] == pytest.approx(0.040)
    assert left[10] == pytest.approx(0.040 + 1.0025)
    assert max_in_any_window(left, 1.0) == 10
    let_go = send_when_allowed(LaunchSchedule(10), wanted)
    let_go_only = [w + lag for w, lag in zip(let_go, lags, strict=True)]
    assert max_in_any_window(let_go_only, 1.0) == 11


@given(
    rate=st.floats(min_value=0.5, max_value=200.0),
    guard=st.floats(min_value=0.0, max_value=0.05),
    gaps=st.lists(st.floats(min_value=0.0, max_value=0.5), min_size=1, max_size=300),
    lags=st.lists(st.floats(min_value=0.0, max_value=0.1), min_size=300, max_size=300),
)
def test_no_second_ever_holds_more_than_the_cap_of_bytes_leaving(
    rate: float, guard: float, gaps: list[float], lags: list[float]
) -> None:
    window = LaunchSchedule(rate, guard_s=guard)
    wanted = list(itertools.accumulate(gaps))
    left = send_and_leave(window, wanted, lags[: len(wanted)])
    assert max_in_any_window(left, 1.0 + guard / 2 - 1e-9) <= window.send_cap
    assert all(t >= w for t, w in zip(left, wanted, strict=True))


def test_the_schedule_rejects_nonsense() -> None:
    for rate, guard in [(-1.0, 0.0), (math.inf, 0.0), (1.0, -0.001), (1.0, math.inf)]:
        with pytest.raises(ValueError, match="must be finite"):
            LaunchSchedule(rate, guard_s=guard)
