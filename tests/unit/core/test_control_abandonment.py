"""Queue events carry the abandonment counts (ADR 0025): the run's, and the 30-day rate of the
campaign the `start` named, a rejected command's event included."""

from __future__ import annotations

import dataclasses

from queue_core.domain.abandonment import AbandonmentCounts, utc_day
from queue_core.domain.queue_events import QueueEventType
from queue_core.domain.state import QueueState
from queue_core.services.control import ControlCommandHandler, StateChange
from tests.fakes import (
    FakeActiveCallRegistry,
    FakeCampaignExecutionStore,
    FakeClock,
    FakeControlStream,
    FakeEventPublisher,
    FakeQueueStateStore,
    InMemoryBackend,
)
from tests.fakes.abandonment import FakeAbandonmentCounters
from tests.unit.core.harness import execution_document

ID = "ce-42"


async def test_a_started_and_a_rejected_commands_events_carry_the_counts() -> None:
    backend, clock, stream = InMemoryBackend(), FakeClock(), FakeControlStream()

    async def changed(change: StateChange) -> None:
        pass

    handler = ControlCommandHandler(
        stream,
        FakeCampaignExecutionStore(backend),
        FakeQueueStateStore(backend),
        FakeEventPublisher(backend),
        FakeActiveCallRegistry(backend),
        clock,
        changed,
        FakeAbandonmentCounters(backend),
    )
    backend.documents[ID] = {**execution_document(ID), "campaign_id": "c-7"}
    backend.campaign_days[("c-7", utc_day(clock.now()))] = AbandonmentCounts(50, 1)

    stream.add({"action": "start", "campaign_execution_id": ID})
    await handler.poll()
    status = backend.states[ID]
    backend.states[ID] = dataclasses.replace(
        status, state=QueueState.COMPLETED, human_answered=10, abandoned=1
    )
    stream.add({"action": "pause", "campaign_execution_id": ID})  # refused by the table
    stream.add({"action": "explode", "campaign_execution_id": ID})  # not a command
    await handler.poll()

    started, *rejected = backend.events
    assert (started.event, started.campaign_abandon_rate_30d) == (QueueEventType.STARTED, 0.02)
    assert len(rejected) == 2
    for event in rejected:
        assert event.event is QueueEventType.COMMAND_REJECTED
        assert (event.human_answered, event.abandoned, event.abandon_rate) == (10, 1, 0.1)
        assert event.campaign_abandon_rate_30d == 0.02
    assert backend.states[ID].campaign_id == "c-7"
