"""The runner and the account's launch schedule: a slot is used only on time."""

from __future__ import annotations

from queue_core.domain.launch_schedule import SlotTerms
from queue_core.ports import LaunchSlot
from tests.fakes import FakeClock, FakeLaunchLimiter
from tests.unit.core.harness import execution_document, make_queue, records

ID = "ce-slots"


class SlowFirstAnswer(FakeLaunchLimiter):
    """The schedule's first answer takes 200 ms to come back: its slot, due at once when the
    store read its clock, is about 100 ms gone by the time the runner could use it."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__(clock)
        self.answers: list[LaunchSlot] = []

    async def acquire(self, terms: SlotTerms) -> LaunchSlot:
        slot = await super().acquire(terms)
        if not self.answers:
            await self.clock.sleep(0.2)
        self.answers.append(slot)
        return slot


async def test_a_slot_the_runner_is_too_late_for_is_let_go_and_the_next_one_taken() -> None:
    schedule: list[SlowFirstAnswer] = []

    def limiter(clock: FakeClock) -> SlowFirstAnswer:
        schedule.append(SlowFirstAnswer(clock))
        return schedule[0]

    queue = make_queue(account_cps=10, limiter=limiter)
    queue.backend.push_records(ID, records(1))

    async def scenario() -> None:
        queue.backend.documents[ID] = execution_document(ID, mode="fixed", max_concurrent_calls=1)
        queue.control.add({"action": "start", "campaign_execution_id": ID, "request_id": "q1"})
        await queue.clock.sleep(5)

    await queue.drive(scenario, limit_s=30)

    first, second = schedule[0].slots[:2]
    assert [a.reserved for a in schedule[0].answers[:2]] == [True, True]
    # One launch, in the second slot: the first was let go, not sent late.
    (launched,) = queue.launcher.executions
    assert launched.created_monotonic == second
    assert second - first >= 0.1  # one spacing at 10/s
