"""The send window: at most floor(rate) launches sent in any second (and half the guard),
counted on the sends, whatever schedule let them go and however late the loop sent them."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from queue_core.domain.budget import WINDOW_GUARD_S, SendWindow, Sent
from queue_core.domain.launch import Launched, LaunchOutcome, LaunchRequest
from queue_core.services.send_window import WindowedLauncher, about_to_send
from tests.fakes.clock import FakeClock
from tests.support.windows import max_in_any_window

REQUEST = LaunchRequest("FW" + "0" * 32, "+15550000001", "+15550009999", {})


def send_when_allowed(window: SendWindow, wanted: list[float]) -> list[float]:
    """Each launch asks at its `wanted` time (sorted) and is sent as soon as the window lets it."""
    sent, now = [], -math.inf
    for want in wanted:
        now = max(now, want)
        now += window.delay(now)
        window.sent(now)
        sent.append(now)
    return sent


@pytest.mark.parametrize(("rate", "cap"), [(0.0, 1), (0.5, 1), (1.0, 1), (2.9, 2), (10.0, 10)])
def test_the_cap_is_the_whole_launches_of_the_rate_and_at_least_one(rate: float, cap: int) -> None:
    assert SendWindow(rate).cap == cap


def test_a_late_send_holds_the_launch_a_cap_after_it_a_little_less_each_time() -> None:
    """At 10/s on the schedules' spacing (one second and the 5 ms guard over ten launches),
    launch 0 goes 40 ms late: launch 10 waits until a second and half the guard after it,
    37.5 ms late, launch 20 35 ms late, and so on until the delay is gone; every other launch
    goes on its schedule, and no second holds eleven."""
    window = SendWindow(10, guard_s=0.005)
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
    window = SendWindow(rate, guard_s=guard)
    wanted = list(itertools.accumulate(gaps))
    sent = send_when_allowed(window, wanted)
    assert max_in_any_window(sent, 1.0 + guard / 2 - 1e-9) <= window.cap
    # Nothing is sent before it asked, and the order is kept.
    assert all(s >= w for s, w in zip(sent, wanted, strict=True))
    assert sent == sorted(sent)


@given(rate=st.integers(min_value=1, max_value=100))
def test_launches_that_ask_on_time_are_never_held(rate: int) -> None:
    """On a schedule of floor(rate) launches per second plus the guard, no launch waits: the
    window takes nothing from the pace it only caps."""
    spacing = (1 + WINDOW_GUARD_S) / rate
    wanted = [i * spacing for i in range(3 * rate)]
    assert send_when_allowed(SendWindow(rate), wanted) == pytest.approx(wanted)


def send_and_leave(window: SendWindow, wanted: list[float], lags: list[float]) -> list[float]:
    """Each launch asks at its `wanted` time (sorted) and is let go as soon as the window lets
    it; its bytes are ready to leave `lags[i]` later, and leave once the window lets them
    (`delay(moving=)`, then `moved`). Events run in time order; returns when each left."""
    left = [math.nan] * len(wanted)
    sends: dict[int, Sent] = {}
    events = [(wanted[0], 0, "ask", 0)] if wanted else []
    order = itertools.count(1)
    last_asked = -math.inf
    while events:
        now, _, kind, i = heapq.heappop(events)
        if kind == "ask":
            now = max(now, last_asked)
            if (wait := window.delay(now)) > 0:
                heapq.heappush(events, (now + wait, next(order), "ask", i))
                continue
            last_asked = now
            sends[i] = window.sent(now)
            heapq.heappush(events, (now + lags[i], next(order), "leave", i))
            if i + 1 < len(wanted):
                heapq.heappush(events, (max(now, wanted[i + 1]), next(order), "ask", i + 1))
        else:
            if (wait := window.delay(now, moving=sends[i])) > 0:
                heapq.heappush(events, (now + wait, next(order), "leave", i))
                continue
            window.moved(sends[i], now)
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
    left = send_and_leave(SendWindow(10, guard_s=0.005), wanted, lags)
    assert left[0] == pytest.approx(0.040)
    assert left[10] == pytest.approx(0.040 + 1.0025)
    assert max_in_any_window(left, 1.0) == 10
    let_go = send_when_allowed(SendWindow(10), wanted)
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
    window = SendWindow(rate, guard_s=guard)
    wanted = list(itertools.accumulate(gaps))
    left = send_and_leave(window, wanted, lags[: len(wanted)])
    assert max_in_any_window(left, 1.0 + guard / 2 - 1e-9) <= window.cap
    assert all(t >= w for t, w in zip(left, wanted, strict=True))


def test_the_window_rejects_nonsense() -> None:
    for rate, guard in [(-1.0, 0.0), (math.inf, 0.0), (1.0, -0.001), (1.0, math.inf)]:
        with pytest.raises(ValueError, match="must be finite"):
            SendWindow(rate, guard_s=guard)


class RecordingLauncher:
    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.sent: list[float] = []
        self.finds = 0

    async def launch(self, request: LaunchRequest) -> LaunchOutcome:
        self.sent.append(self.clock.monotonic())
        return Launched(f"FN{len(self.sent):032d}")

    async def find_execution(self, flow_sid: str, to: str, created_after: float) -> str | None:
        self.finds += 1
        return None


async def test_the_launcher_holds_concurrent_creates_to_the_window_in_their_order() -> None:
    clock = FakeClock()
    inner = RecordingLauncher(clock)
    launcher = WindowedLauncher(inner, clock, SendWindow(3, guard_s=0.005))
    tasks = [asyncio.create_task(launcher.launch(REQUEST)) for _ in range(7)]
    everything = asyncio.gather(*tasks)
    await clock.run_until(everything, limit_s=10)
    outcomes = [task.result() for task in tasks]
    assert [o.execution_sid for o in outcomes if isinstance(o, Launched)] == [
        f"FN{i:032d}" for i in range(1, 8)
    ]
    assert inner.sent == pytest.approx([0, 0, 0, 1.0025, 1.0025, 1.0025, 2.005])


class WriterTaskLauncher(RecordingLauncher):
    """Writes each create in a task of its own, `lag` s after the launch asked (as aiohttp
    does after other work of the loop), calling `about_to_send` right before."""

    def __init__(self, clock: FakeClock, lags: list[float]) -> None:
        super().__init__(clock)
        self.lags = lags

    async def launch(self, request: LaunchRequest) -> LaunchOutcome:
        lag = self.lags.pop(0)

        async def write() -> None:
            await self.clock.sleep(lag)
            await about_to_send()
            await about_to_send()  # a second chunk of the same request: not counted again
            self.sent.append(self.clock.monotonic())

        await asyncio.create_task(write())
        return Launched(f"FN{len(self.sent):032d}")


async def test_the_launcher_counts_a_create_from_when_its_writer_sends_it() -> None:
    clock = FakeClock()
    inner = WriterTaskLauncher(clock, [0.04, 0.0, 0.0, 0.0])
    launcher = WindowedLauncher(inner, clock, SendWindow(3, guard_s=0.005))
    for at in (0.0, 0.1, 0.2, 1.005):
        clock.advance(at - clock.monotonic())
        await clock.run_until(asyncio.create_task(launcher.launch(REQUEST)), limit_s=10)
    # The first create left at 40 ms: the fourth, let go at 1.005 s, leaves 1.0025 s after it.
    assert inner.sent == pytest.approx([0.04, 0.1, 0.2, 1.0425])
    assert await launcher.find_execution("FW" + "0" * 32, "+15550000001", 0.0) is None
    await about_to_send()  # outside a launch: nothing to wait for


async def test_a_launch_cancelled_while_held_is_not_counted_and_finds_are_never_held() -> None:
    clock = FakeClock()
    inner = RecordingLauncher(clock)
    launcher = WindowedLauncher(inner, clock, SendWindow(1, guard_s=0.0))
    await launcher.launch(REQUEST)
    held = asyncio.create_task(launcher.launch(REQUEST))
    await clock.settle()
    assert await launcher.find_execution("FW" + "0" * 32, "+15550000001", 0.0) is None
    held.cancel()
    await clock.settle()
    assert held.cancelled()
    clock.advance(1.0)
    await launcher.launch(REQUEST)
    assert inner.sent == [0.0, 1.0]
    assert inner.finds == 1
