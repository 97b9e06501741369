"""The runner's creates: each takes its send turn, and a launch is recorded as launched when
its create left, as the launcher says (`Launched.sent_at`), not when its answer came."""

from __future__ import annotations

import pytest

from queue_core.domain.launch import LaunchOutcome, LaunchRequest
from queue_core.domain.launch_schedule import SendTurn
from queue_core.domain.state import QueueState
from tests.unit.core.harness import make_queue, records
from tests.unit.core.test_runner import ID, assert_one_disposition_per_record, finish, start

ANSWER_S = 0.3  # from the create's bytes leaving to its answer


async def test_a_launch_is_recorded_as_launched_when_its_create_left() -> None:
    queue = make_queue(account_cps=2)
    queue.backend.push_records(ID, records(4))
    launch = queue.launcher.launch
    turns: list[SendTurn | None] = []

    async def slow_answer(request: LaunchRequest, turn: SendTurn | None = None) -> LaunchOutcome:
        turns.append(turn)
        outcome = await launch(request, turn)  # the create leaves now; its answer comes later
        await queue.clock.sleep(ANSWER_S)
        return outcome

    queue.launcher.launch = slow_answer  # type: ignore[method-assign]

    async def scenario() -> None:
        start(queue, mode="fixed", max_concurrent_calls=4)
        assert await finish(queue) == {ID: QueueState.COMPLETED}

    await queue.drive(scenario, limit_s=600)
    assert_one_disposition_per_record(queue, {f"r-{i}" for i in range(4)})
    assert len(turns) == 4
    assert all(turn is not None for turn in turns)  # every create had its send turn
    created = {e.sid: e.created_at for e in queue.launcher.executions}
    launched = {d.execution_sid: d.launched_at for d in queue.backend.dispositions}
    assert launched == pytest.approx(created, abs=1e-6)
