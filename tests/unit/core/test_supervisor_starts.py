"""One runner per execution in an instance, however its start is asked for."""

from __future__ import annotations

import asyncio

from queue_core.domain.state import QueueState
from tests.fakes import FakeExecutionLeases
from tests.unit.core.harness import execution_document, make_queue, records

ID = "ce-once"


class AnsweringLater(FakeExecutionLeases):
    """Leases whose answer takes a turn of the event loop, as a real store's does."""

    async def acquire(self, campaign_execution_id: str, owner: str, ttl_s: float) -> int | None:
        await asyncio.sleep(0)
        return await super().acquire(campaign_execution_id, owner, ttl_s)


def runner_tasks() -> list[asyncio.Task[object]]:
    return [t for t in asyncio.all_tasks() if t.get_name() == f"runner:{ID}" and not t.done()]


async def test_two_sweeps_for_free_executions_at_once_make_one_runner() -> None:
    # `start` and the sweep that takes over free executions can ask at the same moment: the
    # second one must find the execution starting, not make it a second runner (which shares
    # the lease token, and whose end would let the lease go under the first one).
    queue = make_queue()
    supervisor = queue.supervisor
    supervisor._held.leases = AnsweringLater(queue.backend, queue.clock)
    queue.backend.documents[ID] = execution_document(ID, mode="fixed", max_concurrent_calls=1)
    queue.backend.push_records(ID, records(5))
    queue.backend.put_state(ID, QueueState.RUNNING, queue.clock.now())

    await asyncio.gather(supervisor.resume_stored(), supervisor.resume_stored())

    try:
        assert len(runner_tasks()) == 1
        assert list(supervisor.runners) == [ID]
    finally:
        await supervisor.shutdown(grace_s=0)
