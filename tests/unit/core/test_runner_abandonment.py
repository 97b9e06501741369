"""The runner feeds the pacer its run's person-answered and abandoned calls, and keeps its
campaign's 30 days for the metrics (ADR 0025)."""

from __future__ import annotations

import asyncio
import dataclasses

from queue_core.domain.abandonment import AbandonmentCounts, utc_day
from queue_core.domain.campaign import CampaignExecution
from queue_core.domain.pacer import Pacer, PacingDecision, PacingSnapshot
from queue_core.domain.state import QueueState
from tests.unit.core.harness import execution_document, make_queue, records

ID = "ce-42"


class RecordingPacer(Pacer):
    def __init__(self, execution: CampaignExecution, seen: list[PacingSnapshot]) -> None:
        super().__init__(execution.pacing)
        self._seen = seen

    def decide(self, snapshot: PacingSnapshot, state: QueueState) -> PacingDecision:
        self._seen.append(snapshot)
        return super().decide(snapshot, state)


async def test_the_pacer_sees_the_runs_counts_and_the_runner_its_campaigns() -> None:
    queue = make_queue()
    seen: list[PacingSnapshot] = []
    queue.supervisor._pacer_factory = lambda execution: RecordingPacer(execution, seen)
    document = execution_document(ID, mode="fixed", max_concurrent_calls=2)
    queue.backend.documents[ID] = {**document, "campaign_id": "c-7"}
    queue.backend.push_records(ID, records(2))
    queue.backend.put_state(ID, QueueState.RUNNING, queue.clock.now())
    status = queue.backend.states[ID]
    queue.backend.states[ID] = dataclasses.replace(status, human_answered=8, abandoned=1)
    queue.backend.campaign_days[("c-7", utc_day(queue.clock.now()))] = AbandonmentCounts(40, 2)

    async def scenario() -> None:
        assert await queue.supervisor.resume_stored() == [ID]
        await queue.clock.sleep(0.5)
        runner = queue.supervisor.runners[ID]
        assert runner.abandonment.execution == AbandonmentCounts(8, 1)
        assert runner.abandonment.campaign == AbandonmentCounts(40, 2)

    try:
        await queue.clock.run_until(asyncio.create_task(scenario()), limit_s=10)
    finally:
        await queue.supervisor.shutdown(grace_s=0)
    assert seen
    assert (seen[0].human_answered_total, seen[0].abandoned_total) == (8, 1)
