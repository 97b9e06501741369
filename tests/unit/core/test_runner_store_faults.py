"""The runner when a store or Twilio fails between two steps of a launch, in virtual time: the
contact is launched once, the campaign completes, and no task dies of the error."""

from __future__ import annotations

import logging

import pytest

from queue_core.domain.contacts import ContactRef
from queue_core.domain.errors import StoreUnavailable
from queue_core.domain.launch import Ambiguous, LaunchOutcome, LaunchRequest
from queue_core.domain.launch_schedule import SendTurn
from queue_core.domain.state import QueueState
from tests.unit.core.harness import FROM, make_queue, records
from tests.unit.core.test_runner import ID, assert_one_disposition_per_record, finish, start

CONTACTS = 20


def _errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_store_failure_inside_reserve_leaves_no_pair_held_by_a_lost_claim(
    caplog: pytest.LogCaptureFixture,
) -> None:
    queue = make_queue()
    queue.backend.push_records(ID, records(CONTACTS))
    calls = queue.ports.calls
    reserve = calls.reserve
    failed: list[ContactRef] = []

    async def flaky_reserve(
        ref: ContactRef, to: str, from_: str, now: float, lease_token: int | None = None
    ) -> bool:
        if not failed and ref.claim_id == "3":
            # The pair is held (the first command went through), then the store goes away
            # before the claim is marked as launching.
            failed.append(ref)
            queue.backend.by_pair[(to, from_)] = ref
            raise StoreUnavailable("connection lost between the two commands")
        return await reserve(ref, to, from_, now, lease_token)

    calls.reserve = flaky_reserve  # type: ignore[method-assign]

    async def scenario() -> None:
        start(queue, mode="fixed", max_concurrent_calls=5)
        assert await finish(queue) == {ID: QueueState.COMPLETED}

    await queue.drive(scenario, limit_s=600)
    assert failed
    assert_one_disposition_per_record(queue, {f"r-{i}" for i in range(CONTACTS)})
    assert len(queue.launcher.executions) == CONTACTS
    assert _errors(caplog) == []


async def test_a_pair_held_by_a_dead_instances_unmarked_claim_is_let_go_on_recovery() -> None:
    """An instance died between holding the pair and marking its claim: the claim goes back
    to the cache, and the pair must not stay held by a claim that no longer exists."""
    queue = make_queue()
    queue.backend.push_records(ID, records(CONTACTS))
    cache = queue.ports.cache
    (orphan,) = await cache.claim(ID, "dead-instance", 1, queue.clock.now())
    queue.backend.by_pair[("+14155550000", FROM)] = ContactRef(ID, orphan.claim_id)

    async def scenario() -> None:
        start(queue, mode="fixed", max_concurrent_calls=5)
        assert await finish(queue) == {ID: QueueState.COMPLETED}

    await queue.drive(scenario, limit_s=600)
    assert_one_disposition_per_record(queue, {f"r-{i}" for i in range(CONTACTS)})
    assert len(queue.launcher.executions) == CONTACTS


async def test_a_lost_answer_is_never_sent_again_while_studio_cannot_be_asked(
    caplog: pytest.LogCaptureFixture,
) -> None:
    queue = make_queue()
    queue.backend.push_records(ID, records(CONTACTS))
    launcher = queue.launcher
    find = launcher.find_execution
    unreadable = [2]
    launcher.script.append("lost")  # Studio created it, but the answer was lost

    async def flaky_find(flow_sid: str, to: str, created_after: float) -> str | None:
        if unreadable[0]:
            unreadable[0] -= 1
            raise StoreUnavailable("Studio executions list unavailable")
        return await find(flow_sid, to, created_after)

    launcher.find_execution = flaky_find  # type: ignore[method-assign]

    async def scenario() -> None:
        start(queue, mode="fixed", max_concurrent_calls=5)
        assert await finish(queue) == {ID: QueueState.COMPLETED}

    await queue.drive(scenario, limit_s=600)
    assert unreadable == [0]
    # Sending it again could only place a second call: it was adopted once Studio answered.
    assert len(queue.launcher.executions) == CONTACTS
    assert_one_disposition_per_record(queue, {f"r-{i}" for i in range(CONTACTS)})
    assert _errors(caplog) == []


async def test_a_store_failure_before_sending_a_launch_again_is_retried(
    caplog: pytest.LogCaptureFixture,
) -> None:
    queue = make_queue()
    queue.backend.push_records(ID, records(CONTACTS))
    launcher, calls = queue.launcher, queue.ports.calls
    launch, reserve = launcher.launch, calls.reserve
    faults = {"answer": 1, "reserve": 1}

    async def flaky_launch(request: LaunchRequest, turn: SendTurn | None = None) -> LaunchOutcome:
        if faults["answer"]:  # no answer, and Studio made nothing: it is sent again
            faults["answer"] -= 1
            return Ambiguous("timeout after the request was sent")
        return await launch(request, turn)

    async def flaky_reserve(
        ref: ContactRef, to: str, from_: str, now: float, lease_token: int | None = None
    ) -> bool:
        if not faults["answer"] and faults["reserve"] and ref.claim_id == "1":
            faults["reserve"] -= 1  # the fence check before sending it again fails once
            raise StoreUnavailable("redis down")
        return await reserve(ref, to, from_, now, lease_token)

    launcher.launch = flaky_launch  # type: ignore[method-assign]
    calls.reserve = flaky_reserve  # type: ignore[method-assign]

    async def scenario() -> None:
        start(queue, mode="fixed", max_concurrent_calls=5)
        assert await finish(queue) == {ID: QueueState.COMPLETED}

    await queue.drive(scenario, limit_s=600)
    assert faults == {"answer": 0, "reserve": 0}
    assert len(queue.launcher.executions) == CONTACTS
    assert_one_disposition_per_record(queue, {f"r-{i}" for i in range(CONTACTS)})
    assert _errors(caplog) == []


async def test_a_launch_that_could_not_be_sent_is_sent_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    queue = make_queue()
    queue.backend.push_records(ID, records(CONTACTS))
    launcher = queue.launcher
    launch = launcher.launch
    unsent: list[float] = []

    async def flaky_launch(request: LaunchRequest, turn: SendTurn | None = None) -> LaunchOutcome:
        if len(unsent) < 2 and request.to.endswith("0002"):
            unsent.append(queue.clock.monotonic())  # refused: nothing reached Twilio
            raise StoreUnavailable("Twilio Studio unreachable")
        return await launch(request, turn)

    launcher.launch = flaky_launch  # type: ignore[method-assign]

    async def scenario() -> None:
        start(queue, mode="fixed", max_concurrent_calls=5)
        assert await finish(queue) == {ID: QueueState.COMPLETED}

    await queue.drive(scenario, limit_s=600)
    assert len(unsent) == 2
    # Sent again after a short backoff, not left for the reconciliation (20 s here).
    (sent,) = [e for e in queue.launcher.executions if e.request.to.endswith("0002")]
    assert sent.created_monotonic - unsent[0] < 5
    assert_one_disposition_per_record(queue, {f"r-{i}" for i in range(CONTACTS)})
    assert len(queue.launcher.executions) == CONTACTS
    assert _errors(caplog) == []
