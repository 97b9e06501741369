"""The queue runner and supervisor on the fakes, in virtual time."""

from __future__ import annotations

import json
import math
from collections import Counter

from queue_core.domain.disposition import DispositionStatus
from queue_core.domain.queue_events import QueueEventType
from queue_core.domain.state import QueueState
from tests.support.windows import max_in_any_window
from tests.unit.core.harness import Queue, execution_document, make_queue, records

ID = "ce-42"


def start(queue: Queue, execution_id: str = ID, **pacing: object) -> None:
    queue.backend.documents[execution_id] = execution_document(execution_id, **pacing)
    queue.control.add(
        {"action": "start", "campaign_execution_id": execution_id, "request_id": "q1"}
    )


async def finish(queue: Queue) -> dict[str, QueueState]:
    """Let the control loop take the commands, then wait for every runner to end."""
    await queue.clock.sleep(1)
    return await queue.supervisor.wait_idle()


def events(queue: Queue, execution_id: str = ID) -> list[QueueEventType]:
    """The execution's lifecycle events, in order (the periodic `progress` events left out:
    `test_runner_dialing_rules.py` looks at those)."""
    return [
        e.event
        for e in queue.backend.events
        if e.campaign_execution_id == execution_id and e.event is not QueueEventType.PROGRESS
    ]


def assert_one_disposition_per_record(queue: Queue, expected_ids: set[str]) -> None:
    counts = Counter(d.record_id for d in queue.backend.dispositions)
    assert set(counts) == expected_ids
    assert max(counts.values()) == 1


async def test_a_1000_record_campaign_completes_with_one_disposition_each() -> None:
    queue = make_queue(account_cps=10)
    queue.agents(available=20)
    batch = records(1000)
    batch[10] = {"record_id": "r-10", "phone_number": "not a number"}
    queue.backend.push_records(ID, batch)
    queue.backend.push_records(ID, ["{broken json"])
    queue.launcher.decide = lambda request: "reject" if request.to.endswith("0077") else "ok"

    async def scenario() -> None:
        start(queue, mode="progressive", dial_ratio=1.5)
        assert await finish(queue) == {ID: QueueState.COMPLETED}

    await queue.drive(scenario, limit_s=3600)

    assert_one_disposition_per_record(queue, {f"r-{i}" for i in range(1000)} | {""})
    by_status = Counter(d.status for d in queue.backend.dispositions)
    assert by_status[DispositionStatus.INVALID_RECORD] == 2
    assert by_status[DispositionStatus.LAUNCH_FAILED] == 1
    assert by_status[DispositionStatus.COMPLETED] > 400
    assert queue.backend.active.get(ID, set()) == set()
    assert not queue.backend.caches[ID]
    assert events(queue) == [QueueEventType.STARTED, QueueEventType.COMPLETED]
    completed = queue.backend.events[-1]
    assert (completed.launched, completed.dispositions, completed.active) == (998, 1001, 0)
    # Every contact was dialed once, and never faster than the budget.
    assert len(queue.launcher.executions) == 998
    assert len({e.request.to for e in queue.launcher.executions}) == 998
    launch_times = [e.created_monotonic for e in queue.launcher.executions]
    assert max_in_any_window(launch_times) <= math.ceil(queue.supervisor.account_rate)
    pacing = queue.backend.states[ID].pacing
    assert pacing is not None
    assert (pacing.launch_budget, pacing.dial_ratio) == (10.0, 1.5)


async def test_progressive_pacing_never_has_more_unanswered_calls_than_ratio_times_agents() -> None:
    queue = make_queue(account_cps=20)
    queue.agents(available=4)
    queue.backend.push_records(ID, records(100))
    peak = 0

    async def scenario() -> None:
        nonlocal peak
        start(queue, mode="progressive", dial_ratio=2.0)
        while queue.supervisor.runners or not queue.backend.events:
            peak = max(peak, len(queue.backend.active.get(ID, ())))
            await queue.clock.sleep(0.1)

    await queue.drive(scenario, limit_s=3600)
    assert peak == 8
    assert len(queue.backend.dispositions) == 100


async def test_pause_stops_launching_and_resume_carries_on() -> None:
    queue = make_queue(account_cps=5)
    queue.backend.push_records(ID, records(200))

    async def scenario() -> None:
        start(queue, mode="fixed", max_concurrent_calls=20)
        await queue.clock.sleep(10)
        queue.control.add({"action": "pause", "campaign_execution_id": ID})
        await queue.clock.sleep(1)
        paused_at = queue.clock.monotonic()
        launched = len(queue.launcher.executions)
        assert not queue.backend.claims[ID] or all(
            c.attempt is not None for c in queue.backend.claims[ID].values()
        )
        await queue.clock.sleep(120)
        assert len(queue.launcher.executions) == launched
        queue.control.add({"action": "pause", "campaign_execution_id": ID})  # idempotent
        queue.control.add({"action": "resume", "campaign_execution_id": ID})
        assert await finish(queue) == {ID: QueueState.COMPLETED}
        assert all(
            not paused_at <= e.created_monotonic < paused_at + 120
            for e in queue.launcher.executions
        )

    await queue.drive(scenario, limit_s=3600)
    assert_one_disposition_per_record(queue, {f"r-{i}" for i in range(200)})
    assert events(queue) == [
        QueueEventType.STARTED,
        QueueEventType.PAUSED,
        QueueEventType.RESUMED,
        QueueEventType.COMPLETED,
    ]
    assert len(queue.control.acked) == 4


async def test_stop_returns_unlaunched_records_to_the_head_in_order() -> None:
    queue = make_queue(account_cps=2)
    queue.backend.push_records(ID, records(100))

    async def scenario() -> None:
        start(queue, mode="fixed", max_concurrent_calls=10)
        await queue.clock.sleep(8)
        queue.control.add({"action": "stop", "campaign_execution_id": ID, "reason": "ops"})
        assert await finish(queue) == {ID: QueueState.STOPPED}

    await queue.drive(scenario, limit_s=3600)
    launched = {str(e.request.parameters["record_id"]) for e in queue.launcher.executions}
    assert 10 <= len(launched) <= 20
    assert_one_disposition_per_record(queue, launched)
    left = [json.loads(raw)["record_id"] for raw in queue.backend.caches[ID]]
    assert left == [f"r-{i}" for i in range(100) if f"r-{i}" not in launched]
    assert left == sorted(left, key=lambda r: int(r.split("-")[1]))
    assert events(queue)[-1] is QueueEventType.STOPPED
    stopped = queue.backend.events[-1]
    assert (stopped.active, stopped.reason) == (0, "ops")


async def test_a_429_storm_loses_no_record_and_holds_launches() -> None:
    queue = make_queue(account_cps=10)
    queue.backend.push_records(ID, records(300))
    storm = (20.0, 40.0)
    queue.launcher.decide = lambda _: (
        "429" if storm[0] <= queue.clock.monotonic() < storm[1] else "ok"
    )

    async def scenario() -> None:
        start(queue, mode="fixed", max_concurrent_calls=50)
        assert await finish(queue) == {ID: QueueState.COMPLETED}

    await queue.drive(scenario, limit_s=7200)
    assert_one_disposition_per_record(queue, {f"r-{i}" for i in range(300)})
    limited = [t for t, kind in queue.launcher.attempts if kind == "429"]
    assert limited, "the storm was never hit"
    # Each 429 halves the rate and holds launches: far fewer tries than the budget allows.
    assert len(limited) < 10 * (storm[1] - storm[0]) / 2
    assert len(queue.launcher.executions) == 300


async def test_a_lost_answer_is_adopted_not_dialed_again() -> None:
    queue = make_queue(account_cps=10)
    queue.backend.push_records(ID, records(30))
    queue.launcher.decide = lambda request: "lost" if request.to.endswith("5") else "ok"

    async def scenario() -> None:
        start(queue, mode="fixed", max_concurrent_calls=10)
        assert await finish(queue) == {ID: QueueState.COMPLETED}

    await queue.drive(scenario, limit_s=3600)
    per_number = Counter(e.request.to for e in queue.launcher.executions)
    assert set(per_number.values()) == {1}
    assert len(per_number) == 30
    assert_one_disposition_per_record(queue, {f"r-{i}" for i in range(30)})


async def test_an_invalid_document_fails_the_start_and_launches_nothing() -> None:
    queue = make_queue()
    queue.backend.push_records(ID, records(5))
    queue.backend.documents[ID] = {"campaign_execution_id": ID, "from_number": "5550006"}

    async def scenario() -> None:
        queue.control.add({"action": "start", "campaign_execution_id": ID, "request_id": "q9"})
        await queue.clock.sleep(5)

    await queue.drive(scenario, limit_s=60)
    assert not queue.launcher.executions
    failed = queue.backend.events[-1]
    assert failed.event is QueueEventType.FAILED
    assert failed.request_id == "q9"
    assert "studio_flow_sid" in str(failed.reason)
    assert queue.backend.states[ID].state is QueueState.FAILED


async def test_garbage_on_the_control_stream_is_dead_lettered_and_announced() -> None:
    queue = make_queue()

    async def scenario() -> None:
        queue.control.add({"action": "explode", "campaign_execution_id": ID})
        queue.control.add({"campaign_execution_id": "bad id with spaces", "action": "start"})
        queue.control.add({"action": "pause", "campaign_execution_id": "never-started"})
        await queue.clock.sleep(2)

    await queue.drive(scenario, limit_s=60)
    assert [error for _, error in queue.control.dead_letters] == [
        "field 'action' must be one of start, stop, pause, resume, got 'explode'",
        "field 'campaign_execution_id' must be 1 to 128 characters of A-Z a-z 0-9 _ . : -, "
        "got 'bad id with spaces'",
    ]
    rejected = [e for e in queue.backend.events if e.event is QueueEventType.COMMAND_REJECTED]
    assert len(rejected) == 3
    assert rejected[2].reason == "cannot pause an execution that is idle"
    assert len(queue.control.acked) == 3


async def test_executions_share_the_budget_by_cps_share() -> None:
    queue = make_queue(account_cps=9)
    queue.backend.push_records("a", records(400, "a"))
    queue.backend.push_records("b", records(400, "b", area=212))

    async def scenario() -> None:
        start(queue, "a", mode="fixed", max_concurrent_calls=1000, cps_share=1.0)
        start(queue, "b", mode="fixed", max_concurrent_calls=1000, cps_share=0.5)
        await queue.clock.sleep(30)

    await queue.drive(scenario, limit_s=60)
    per = Counter(
        str(e.request.parameters["campaign_execution_id"]) for e in queue.launcher.executions
    )
    assert abs(per["a"] / 30 - 6.0) < 0.5
    assert abs(per["b"] / 30 - 3.0) < 0.5


async def test_a_killed_instance_is_replaced_within_the_lease_time() -> None:
    queue = make_queue(account_cps=10)
    queue.backend.push_records(ID, records(300))
    second = queue.start_instance("instance-2")
    takeover: list[float] = []

    async def scenario() -> None:
        start(queue, mode="fixed", max_concurrent_calls=40)
        await queue.clock.sleep(15)
        owner = next(i for i in queue.instances if ID in i.supervisor.runners)
        survivor = second if owner is not second else queue.instances[0]
        await owner.crash()
        killed_at = queue.clock.monotonic()
        while ID not in survivor.supervisor.runners:
            await queue.clock.sleep(0.5)
        takeover.append(queue.clock.monotonic() - killed_at)
        assert await survivor.supervisor.wait_idle() == {ID: QueueState.COMPLETED}

    await queue.drive(scenario, limit_s=3600)
    assert takeover[0] <= 15.0  # the lease is 10 s, renewed every third of it
    assert_one_disposition_per_record(queue, {f"r-{i}" for i in range(300)})
    per_number = Counter(e.request.to for e in queue.launcher.executions)
    assert set(per_number.values()) == {1}, "a contact was dialed twice"
    assert events(queue)[-1] is QueueEventType.COMPLETED


async def test_instances_share_the_account_budget() -> None:
    queue = make_queue(account_cps=10)
    queue.start_instance("instance-2")
    ids = ["a", "b", "c", "d"]
    for n, execution_id in enumerate(ids):
        queue.backend.push_records(execution_id, records(300, execution_id, area=200 + n))

    async def scenario() -> None:
        for execution_id in ids:
            start(queue, execution_id, mode="fixed", max_concurrent_calls=1000)
        await queue.clock.sleep(40)

    await queue.drive(scenario, limit_s=120)
    times = [e.created_monotonic for e in queue.launcher.executions]
    assert max_in_any_window(times) <= math.ceil(queue.supervisor.account_rate)
    per = Counter(
        str(e.request.parameters["campaign_execution_id"]) for e in queue.launcher.executions
    )
    # Equal shares of the account's 10/s, whichever instance runs each execution.
    for execution_id in ids:
        assert abs(per[execution_id] / 40 - 2.5) < 0.2, per
