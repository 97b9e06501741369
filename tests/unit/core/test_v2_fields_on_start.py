"""The version-2 fields as the running service reads them: an invalid one in the document fails
the `start` naming it, valid ones that hold every record (a window of every hour, one attempt,
an empty do-not-call set) leave the run as in version 1, and a record whose `timezone` is not a
zone gets `invalid_record` while the others are dialed. On the fakes, in virtual time."""

from __future__ import annotations

from queue_core.domain.disposition import DispositionStatus
from queue_core.domain.queue_events import QueueEventType
from queue_core.domain.state import QueueState
from tests.unit.core.harness import execution_document, make_queue, records
from tests.unit.core.test_runner import assert_one_disposition_per_record, events, finish, start

ID = "ce-42"


async def test_an_invalid_calling_window_fails_the_start_naming_the_field() -> None:
    queue = make_queue()
    queue.backend.push_records(ID, records(3))

    async def scenario() -> None:
        document = execution_document(ID, mode="fixed")
        document["calling_window"] = {"start": "08:00", "end": "08:00"}
        queue.backend.documents[ID] = document
        queue.control.add({"action": "start", "campaign_execution_id": ID})
        await queue.clock.sleep(5)

    await queue.drive(scenario, limit_s=60)

    assert queue.launcher.executions == []
    assert events(queue) == [QueueEventType.FAILED]
    assert "field 'calling_window.end' must differ" in str(queue.backend.events[-1].reason)
    assert queue.backend.states[ID].state is QueueState.FAILED


async def test_fields_that_hold_every_record_leave_the_run_as_in_version_1() -> None:
    queue = make_queue()
    queue.backend.push_records(ID, records(4))

    async def scenario() -> None:
        document = execution_document(ID, mode="fixed", max_concurrent_calls=5)
        document["campaign_id"] = "c-7"
        document["calling_window"] = {"start": "00:00", "end": "24:00"}
        document["retry"] = {"max_attempts": 1, "after_s": {"busy": 600}}
        document["dnc_sets"] = ["dnc:none-written"]
        queue.backend.documents[ID] = document
        queue.control.add({"action": "start", "campaign_execution_id": ID})
        assert await finish(queue) == {ID: QueueState.COMPLETED}

    await queue.drive(scenario, limit_s=600)

    assert len(queue.launcher.executions) == 4
    assert_one_disposition_per_record(queue, {f"r-{i}" for i in range(4)})
    assert events(queue) == [QueueEventType.STARTED, QueueEventType.COMPLETED]


async def test_a_record_naming_no_zone_is_an_invalid_record_and_the_others_are_dialed() -> None:
    queue = make_queue()
    batch = records(3)
    batch[0] = {**batch[0], "timezone": "America/Chicago"}
    batch[1] = {**batch[1], "timezone": "Mars/Base"}
    queue.backend.push_records(ID, batch)

    async def scenario() -> None:
        start(queue, mode="fixed", max_concurrent_calls=5)
        assert await finish(queue) == {ID: QueueState.COMPLETED}

    await queue.drive(scenario, limit_s=600)

    assert {e.request.parameters["record_id"] for e in queue.launcher.executions} == {"r-0", "r-2"}
    assert_one_disposition_per_record(queue, {"r-0", "r-1", "r-2"})
    (invalid,) = [d for d in queue.backend.dispositions if d.record_id == "r-1"]
    assert invalid.status is DispositionStatus.INVALID_RECORD
    assert "field 'timezone' must be an IANA time zone name" in invalid.error_message
