"""`queue-service serve` with poisoned values in Redis (about 4 KB of JSON nesting, past
`json.loads`' recursion limit): the bad value gets its own outcome, and every other command and
execution goes on."""

from __future__ import annotations

import json
import signal
from collections.abc import Callable
from typing import Any

import pytest
import redis

from tests.support.redis_server import RedisServerProcess
from tests.system.campaign import Campaign
from tests.system.processes import EmulatorProcess, ServiceProcess, run_cli

pytestmark = pytest.mark.slow

DEEP = "[" * 2_000 + "]" * 2_000
CONTACTS = 20


def poison(store: redis.Redis, execution_id: str) -> None:
    """Put the nesting in the execution's document, which stays valid JSON."""
    key = f"campaign_execution:{execution_id}"
    document = json.loads(str(store.get(key)))
    store.set(key, json.dumps({**document, "notes": "@"}).replace('"@"', DEEP))


def test_a_poisoned_start_fails_and_a_valid_start_in_the_same_batch_runs(
    launch_service: Callable[..., ServiceProcess],
    emulator: EmulatorProcess,
    store: redis.Redis,
) -> None:
    service = launch_service()
    bad = Campaign(store, "ce-poisoned", 5)
    bad.write({"mode": "fixed", "max_concurrent_calls": 5})
    poison(store, bad.execution_id)
    good = Campaign(store, "ce-good", CONTACTS, first_number=100)
    good.write({"mode": "fixed", "max_concurrent_calls": 10})

    # One transaction: the consumer, blocked on the stream, reads both in one batch.
    with store.pipeline(transaction=True) as both:
        for campaign in (bad, good):
            both.xadd(
                "queue_control_stream",
                {"action": "start", "campaign_execution_id": campaign.execution_id},
            )
        both.execute()

    failed = bad.wait_event("failed")
    completed = good.wait_event("completed")

    assert "nests deeper than 32 levels" in failed["reason"]
    assert len(failed["reason"]) <= 512
    assert completed["dispositions"] == str(CONTACTS)
    assert good.disposed_once() == set(good.record_ids)
    assert bad.cached() == bad.record_ids  # nothing of it dialed
    pending: Any = store.xpending("queue_control_stream", "queue_control_group")
    assert pending["pending"] == 0
    assert emulator.stats()["executions_created"] == CONTACTS
    assert service.get("/readyz").status_code == 200


def test_a_restarted_instance_with_a_poisoned_running_execution_is_ready_and_runs_the_others(
    launch_service: Callable[..., ServiceProcess],
    emulator: EmulatorProcess,
    redis_server: RedisServerProcess,
    store: redis.Redis,
) -> None:
    first = launch_service()
    # Progressive with no agent stats: both run and launch nothing until agents show up.
    bad = Campaign(store, "ce-poisoned-later", 5)
    good = Campaign(store, "ce-resumed", CONTACTS, first_number=100)
    for campaign in (bad, good):
        campaign.write({"mode": "progressive"})
        campaign.start()
        campaign.wait_event("started")
    first.signal(signal.SIGTERM)
    assert first.wait(timeout_s=30.0) == 0

    poison(store, bad.execution_id)
    # The new instance must become ready (launch_service waits for /readyz 200).
    second = launch_service({**first.env, "QUEUE_INSTANCE_ID": "system-test-restarted"})
    good.write_agents(available=10)  # the same task queue as the poisoned one's
    completed = good.wait_event("completed")

    assert completed["dispositions"] == str(CONTACTS)
    assert good.disposed_once() == set(good.record_ids)
    assert emulator.stats()["executions_created"] == CONTACTS
    assert bad.cached() == bad.record_ids
    assert bad.lifecycle() == ["started"]
    status = run_cli("status", bad.execution_id, redis_url=redis_server.url).stdout
    assert "running" in next(line for line in status.splitlines() if bad.execution_id in line)
    assert second.get("/readyz").status_code == 200
    refused = [
        line
        for line in second.log_path.read_text(errors="replace").splitlines()
        if f"cannot run {bad.execution_id}" in line
    ]
    assert len(refused) == 1, refused
    assert "nests deeper than 32 levels" in refused[0]
