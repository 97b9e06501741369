"""The `QueueStateStore.load_states` contract: many executions' states in one request."""

from __future__ import annotations

from queue_core.domain.contacts import ContactRef
from queue_core.domain.state import QueueState
from queue_core.ports import PacingReport
from tests.contract.conftest import NOW, World, attempt, record


async def test_load_states_answers_in_the_order_asked_idle_for_one_never_started(
    world: World,
) -> None:
    await world.put_state("ce-a", QueueState.RUNNING, NOW)
    await world.put_state("ce-b", QueueState.PAUSED, NOW)
    await world.put_state("ce-c", QueueState.STOPPED, NOW, reason="ops")

    states = await world.states.load_states(["ce-c", "ce-none", "ce-a", "ce-b", "ce-a"])

    assert states == [
        QueueState.STOPPED,
        QueueState.IDLE,
        QueueState.RUNNING,
        QueueState.PAUSED,
        QueueState.RUNNING,
    ]
    assert await world.states.load_states([]) == []


async def test_load_states_agrees_with_load_whatever_else_the_hash_holds(world: World) -> None:
    # Counts only (a launch recorded, no state saved): as `load` reads it, idle.
    await world.push_records("ce-counts", [record(1)])
    [claim] = await world.cache.claim("ce-counts", "owner-a", 1, NOW)
    await world.calls.record_launch(attempt(ContactRef("ce-counts", claim.claim_id), 1))
    await world.put_state("ce-paced", QueueState.DRAINING, NOW)
    await world.states.save_pacing("ce-paced", PacingReport(1.0, 2.0, 1.0, "fixed", NOW))
    ids = ["ce-counts", "ce-paced"]

    loaded = [await world.states.load(execution_id) for execution_id in ids]

    assert await world.states.load_states(ids) == [
        QueueState.IDLE if status is None else status.state for status in loaded
    ]
    assert await world.states.load_states(ids) == [QueueState.IDLE, QueueState.DRAINING]
