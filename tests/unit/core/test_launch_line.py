"""The instance's line for send turns: creates wait their turn in the order they asked, and a
launcher that writes in a task of its own counts its create from when the bytes leave."""

from __future__ import annotations

import asyncio

import pytest

from queue_core.domain.launch import Launched, LaunchOutcome, LaunchRequest
from queue_core.domain.launch_schedule import LaunchSchedule, SendTurn
from queue_core.services.launch_line import LaunchLine
from tests.fakes.clock import FakeClock

REQUEST = LaunchRequest("FW" + "0" * 32, "+15550000001", "+15550009999", {})


class RecordingLauncher:
    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.sent: list[float] = []

    async def launch(self, request: LaunchRequest, turn: SendTurn | None = None) -> LaunchOutcome:
        self.sent.append(self.clock.monotonic())
        return Launched(f"FN{len(self.sent):032d}")

    async def find_execution(self, flow_sid: str, to: str, created_after: float) -> str | None:
        return None


def line_at(clock: FakeClock, rate: float, guard_s: float) -> LaunchLine:
    return LaunchLine(LaunchSchedule(rate, guard_s=guard_s), None, clock)


async def send(line: LaunchLine, launcher: RecordingLauncher) -> LaunchOutcome:
    """A create in its turn, as the reconciler sends it."""
    return await launcher.launch(REQUEST, await line.send_turn())


async def test_concurrent_creates_wait_their_turn_in_their_order() -> None:
    clock = FakeClock()
    inner = RecordingLauncher(clock)
    line = line_at(clock, 3, 0.005)
    tasks = [asyncio.create_task(send(line, inner)) for _ in range(7)]
    everything = asyncio.gather(*tasks)
    await clock.run_until(everything, limit_s=10)
    outcomes = [task.result() for task in tasks]
    assert [o.execution_sid for o in outcomes if isinstance(o, Launched)] == [
        f"FN{i:032d}" for i in range(1, 8)
    ]
    assert inner.sent == pytest.approx([0, 0, 0, 1.0025, 1.0025, 1.0025, 2.005])


class WriterTaskLauncher(RecordingLauncher):
    """Writes each create in a task of its own, `lag` s after the launch asked (as aiohttp
    does after other work of the loop), waiting for its turn and leaving right before."""

    def __init__(self, clock: FakeClock, lags: list[float]) -> None:
        super().__init__(clock)
        self.lags = lags

    async def launch(self, request: LaunchRequest, turn: SendTurn | None = None) -> LaunchOutcome:
        lag = self.lags.pop(0)
        clock = self.clock

        async def write() -> float:
            await clock.sleep(lag)
            assert turn is not None
            while (wait := turn.delay(clock.monotonic())) > 0:
                await clock.sleep(wait)
            turn.leave(clock.monotonic())
            self.sent.append(clock.monotonic())
            return clock.monotonic()

        left = await asyncio.create_task(write())
        return Launched(f"FN{len(self.sent):032d}", sent_at=left)


async def test_a_create_counts_from_when_its_writer_sends_it() -> None:
    clock = FakeClock()
    inner = WriterTaskLauncher(clock, [0.04, 0.0, 0.0, 0.0])
    line = line_at(clock, 3, 0.005)
    outcomes = []
    for at in (0.0, 0.1, 0.2, 1.005):
        clock.advance(at - clock.monotonic())
        task = asyncio.create_task(send(line, inner))
        await clock.run_until(task, limit_s=10)
        outcomes.append(task.result())
    # The first create left at 40 ms: the fourth, let go at 1.005 s, leaves 1.0025 s after it.
    assert inner.sent == pytest.approx([0.04, 0.1, 0.2, 1.0425])
    assert [o.sent_at for o in outcomes if isinstance(o, Launched)] == inner.sent


async def test_a_create_cancelled_while_it_waits_takes_no_turn() -> None:
    clock = FakeClock()
    inner = RecordingLauncher(clock)
    line = line_at(clock, 1, 0.0)
    await send(line, inner)
    held = asyncio.create_task(send(line, inner))
    await clock.settle()
    held.cancel()
    await clock.settle()
    assert held.cancelled()
    clock.advance(1.0)
    await send(line, inner)
    assert inner.sent == [0.0, 1.0]
