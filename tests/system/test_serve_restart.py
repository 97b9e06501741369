"""SIGTERM to `queue-service serve` mid-campaign, then a restart: the first process drains and
exits 0, the second carries the campaign to `completed`, nothing lost and nothing dialed twice."""

from __future__ import annotations

import signal
import time
from collections import Counter
from collections.abc import Callable

import pytest
import redis

from tests.system.campaign import Campaign, phone
from tests.system.processes import EmulatorProcess, ServiceProcess, wait_for

pytestmark = pytest.mark.slow

CONTACTS = 200
# A launch already sent when the signal arrived may reach the emulator just after it.
IN_FLIGHT_SLACK_S = 1.0


def test_sigterm_mid_campaign_then_restart_completes_it_exactly_once(
    launch_service: Callable[..., ServiceProcess],
    emulator: EmulatorProcess,
    store: redis.Redis,
) -> None:
    first = launch_service()
    campaign = Campaign(store, "ce-system-restart", CONTACTS)
    campaign.write({"mode": "fixed", "max_concurrent_calls": 30})
    campaign.start()
    wait_for(lambda: emulator.stats()["executions_created"] >= 60, "60 launches")

    signalled_at = time.time()
    first.signal(signal.SIGTERM)
    assert first.wait(timeout_s=30.0) == 0
    down = emulator.stats()["executions"]
    # The drain let the calls in flight finish: each launched contact has its disposition.
    assert campaign.active() == 0
    assert len(campaign.disposed_once()) == len(down)
    assert [e for e in down if e["created_wall"] > signalled_at + IN_FLIGHT_SLACK_S] == []
    assert len(down) < CONTACTS

    # A new process is a new instance (as a restarted pod would be), on the same public URL.
    launch_service({**first.env, "QUEUE_INSTANCE_ID": "system-test-restarted"})
    completed = campaign.wait_event("completed")

    assert campaign.disposed_once() == set(campaign.record_ids)
    assert len(campaign.dispositions()) == CONTACTS
    dialed = Counter(e["to"] for e in emulator.stats()["executions"])
    assert dialed == Counter(phone(n) for n in range(CONTACTS))
    assert campaign.active() == 0
    assert campaign.cached() == []
    assert (completed["dispositions"], completed["active"]) == (str(CONTACTS), "0")
    assert campaign.lifecycle() == ["started", "completed"]
