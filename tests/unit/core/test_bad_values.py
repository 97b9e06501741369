"""One bad value from another service never stops the queue: each gets its own outcome (a
failed start, a dead-lettered command, an `invalid_record`, no launch for now) and everything
else carries on. On the fakes, in virtual time."""

from __future__ import annotations

import json
import logging

import pytest

from queue_core.domain.bounds import MAX_ATTRIBUTES_BYTES, MAX_ECHO_CHARS, MAX_ID_ECHO_CHARS
from queue_core.domain.campaign import CampaignExecution
from queue_core.domain.disposition import DispositionStatus
from queue_core.domain.queue_events import QueueEventType
from queue_core.domain.state import QueueState
from tests.fakes import FakeCampaignExecutionStore
from tests.unit.core.harness import QUEUE, execution_document, make_queue, records
from tests.unit.core.test_runner import assert_one_disposition_per_record, events, finish, start

ID, OTHER = "ce-42", "ce-7"
# About 4 KB of nesting: json.loads raises RecursionError on it.
DEEP = "[" * 2_000 + "]" * 2_000


def poisoned_document(execution_id: str) -> str:
    document = execution_document(execution_id, mode="fixed", max_concurrent_calls=5)
    return json.dumps({**document, "notes": "@"}).replace('"@"', DEEP)


def errors_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_deeply_nested_record_is_an_invalid_record_and_the_next_ones_are_dialed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    queue = make_queue()
    deep = '{"record_id": "r-deep", "phone_number": "+14155559999", "attributes": ' + DEEP + "}"
    queue.backend.push_records(ID, [*records(2), deep, *records(3, prefix="s")])

    async def scenario() -> None:
        start(queue, mode="fixed", max_concurrent_calls=5)
        assert await finish(queue) == {ID: QueueState.COMPLETED}

    await queue.drive(scenario, limit_s=600)

    dialed = {e.request.parameters["record_id"] for e in queue.launcher.executions}
    assert dialed == {"r-0", "r-1", "s-0", "s-1", "s-2"}
    invalid = [
        d for d in queue.backend.dispositions if d.status is DispositionStatus.INVALID_RECORD
    ]
    assert len(invalid) == 1
    assert "nests deeper than 32 levels" in invalid[0].error_message
    assert events(queue) == [QueueEventType.STARTED, QueueEventType.COMPLETED]
    assert errors_logged(caplog) == []


async def test_attributes_over_their_bound_make_an_invalid_record_never_sent() -> None:
    queue = make_queue()
    batch = records(3)
    batch[1] = {**batch[1], "attributes": {"notes": "x" * MAX_ATTRIBUTES_BYTES}}
    queue.backend.push_records(ID, batch)

    async def scenario() -> None:
        start(queue, mode="fixed", max_concurrent_calls=5)
        assert await finish(queue) == {ID: QueueState.COMPLETED}

    await queue.drive(scenario, limit_s=600)

    assert {e.request.parameters["record_id"] for e in queue.launcher.executions} == {"r-0", "r-2"}
    assert_one_disposition_per_record(queue, {"r-0", "r-1", "r-2"})
    (invalid,) = [d for d in queue.backend.dispositions if d.record_id == "r-1"]
    assert invalid.status is DispositionStatus.INVALID_RECORD
    assert invalid.to == batch[1]["phone_number"]
    assert f"'attributes' must be at most {MAX_ATTRIBUTES_BYTES} bytes" in invalid.error_message


async def test_poisoned_stats_launch_nothing_and_the_runner_carries_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    queue = make_queue()
    queue.backend.push_records(ID, records(5))
    queue.backend.stats[QUEUE] = '{"total_available_workers": 5, "x": ' + DEEP + "}"

    async def scenario() -> None:
        start(queue, mode="progressive")
        await queue.clock.sleep(30)
        assert queue.launcher.executions == []
        assert queue.backend.states[ID].state is QueueState.RUNNING
        queue.agents(available=5)  # the stats service writes a good value again
        assert await finish(queue) == {ID: QueueState.COMPLETED}

    await queue.drive(scenario, limit_s=600)

    assert len(queue.launcher.executions) == 5
    assert errors_logged(caplog) == []


async def test_a_document_naming_another_execution_fails_the_start_naming_both() -> None:
    queue = make_queue()
    queue.backend.push_records(ID, records(5))

    async def scenario() -> None:
        queue.backend.documents[ID] = execution_document("ce-someone-else", mode="fixed")
        queue.control.add({"action": "start", "campaign_execution_id": ID})
        await queue.clock.sleep(5)

    await queue.drive(scenario, limit_s=60)

    assert queue.launcher.executions == []
    assert events(queue) == [QueueEventType.FAILED]
    reason = str(queue.backend.events[-1].reason)
    assert "'ce-someone-else'" in reason
    assert f"'{ID}'" in reason
    assert queue.backend.states[ID].state is QueueState.FAILED
    assert queue.control.pending == {}


async def test_a_poisoned_document_fails_its_start_and_the_next_start_in_the_batch_runs() -> None:
    queue = make_queue()
    queue.backend.documents[OTHER] = poisoned_document(OTHER)
    queue.backend.push_records(OTHER, records(3, prefix="o"))
    queue.backend.push_records(ID, records(3))

    async def scenario() -> None:
        queue.control.add({"action": "start", "campaign_execution_id": OTHER})
        start(queue, mode="fixed")
        assert await finish(queue) == {ID: QueueState.COMPLETED}

    await queue.drive(scenario, limit_s=600)

    assert events(queue, OTHER) == [QueueEventType.FAILED]
    assert "nests deeper than 32 levels" in str(queue.backend.events[0].reason)
    assert queue.backend.states[OTHER].state is QueueState.FAILED
    assert events(queue) == [QueueEventType.STARTED, QueueEventType.COMPLETED]
    assert queue.control.pending == {}
    assert len(queue.launcher.executions) == 3


class ExplodingStore(FakeCampaignExecutionStore):
    """A store that fails on one execution in a way nothing foresaw."""

    async def load(self, campaign_execution_id: str) -> CampaignExecution:
        if campaign_execution_id == OTHER:
            raise RuntimeError("unforeseen")
        return await super().load(campaign_execution_id)


async def test_an_entry_that_fails_unforeseen_is_dead_lettered_and_the_next_one_runs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    queue = make_queue()
    queue.supervisor.commands._executions = ExplodingStore(queue.backend)
    queue.backend.push_records(ID, records(3))

    async def scenario() -> None:
        queue.control.add({"action": "start", "campaign_execution_id": OTHER, "request_id": "x"})
        start(queue, mode="fixed")
        assert await finish(queue) == {ID: QueueState.COMPLETED}

    await queue.drive(scenario, limit_s=600)

    ((entry, error),) = queue.control.dead_letters
    assert entry.fields["campaign_execution_id"] == OTHER
    assert error == "could not be handled: RuntimeError"
    rejected = [e for e in queue.backend.events if e.event is QueueEventType.COMMAND_REJECTED]
    assert [(e.campaign_execution_id, e.request_id) for e in rejected] == [(OTHER, "x")]
    assert events(queue) == [QueueEventType.STARTED, QueueEventType.COMPLETED]
    assert any("could not be handled" in m for m in errors_logged(caplog))


async def test_echoed_values_are_cut_in_events_and_the_stored_state() -> None:
    queue = make_queue()
    document = execution_document(ID, mode="m" * 60_000)

    async def scenario() -> None:
        queue.backend.documents[ID] = document
        queue.control.add(
            {"action": "start", "campaign_execution_id": ID, "request_id": "q" * 100_000}
        )
        queue.control.add({"action": "junk", "campaign_execution_id": "c" * 100_000})
        await queue.clock.sleep(5)

    await queue.drive(scenario, limit_s=60)

    failed, rejected = queue.backend.events
    assert failed.event is QueueEventType.FAILED
    assert failed.request_id == "q" * (MAX_ID_ECHO_CHARS - 1) + "…"
    assert "'pacing.mode'" in str(failed.reason)
    assert len(str(failed.reason)) <= MAX_ECHO_CHARS
    stored = queue.backend.states[ID]
    assert (stored.reason, stored.state) == (failed.reason, QueueState.FAILED)
    assert len(rejected.campaign_execution_id) <= MAX_ID_ECHO_CHARS
    assert all(len(error) <= MAX_ECHO_CHARS for _, error in queue.control.dead_letters)


async def test_a_restarted_instance_skips_a_poisoned_running_execution_and_runs_the_others(
    caplog: pytest.LogCaptureFixture,
) -> None:
    queue = make_queue()
    for execution_id, document in [(OTHER, poisoned_document(OTHER)), (ID, None)]:
        queue.backend.documents[execution_id] = document or execution_document(
            execution_id, mode="fixed"
        )
        queue.backend.push_records(execution_id, records(3, prefix=execution_id))
        queue.backend.put_state(execution_id, QueueState.RUNNING, queue.clock.now())

    assert await queue.supervisor.resume_stored() == [ID]
    assert await queue.supervisor.resume_stored() == []  # and logged once, not every sweep

    async def scenario() -> None:
        assert await queue.supervisor.wait_idle() == {ID: QueueState.COMPLETED}

    await queue.drive(scenario, limit_s=600)
    assert len(queue.launcher.executions) == 3
    assert queue.backend.states[OTHER].state is QueueState.RUNNING
    refused = [m for m in errors_logged(caplog) if m.startswith(f"cannot run {OTHER}")]
    assert len(refused) == 1
    assert "nests deeper than 32 levels" in refused[0]
