"""The dialing rules through `queue-service serve`, the emulator and a real Redis (ADR 0027):
numbers on a do-not-call list are never created at the emulator, and a retried contact is
created again after its `after_s` and no sooner."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime

import pytest
import redis

from tests.system.campaign import Campaign, phone
from tests.system.processes import EmulatorProcess, ServiceProcess

pytestmark = pytest.mark.slow

CONTACTS = 20
RETRY_AFTER_S = 3
LISTED = {phone(n) for n in (2, 5, 11)}


def seconds(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def test_listed_numbers_are_never_created_and_retries_wait_their_delay(
    launch_service: Callable[..., ServiceProcess],
    emulator: EmulatorProcess,
    store: redis.Redis,
) -> None:
    launch_service()
    emulator.configure(outcome_weights={"busy": 1.0})
    store.sadd("dnc:system", *sorted(LISTED))
    store.set("dnc:wrong-type-elsewhere", "not a set")  # named by no execution: harmless
    campaign = Campaign(store, "ce-system-rules", CONTACTS)
    campaign.write(
        {"mode": "progressive", "dial_ratio": 1.0, "max_concurrent_calls": 10},
        dnc_sets=["dnc:system", "dnc:absent"],
        retry={"max_attempts": 2, "after_s": {"busy": RETRY_AFTER_S}},
    )
    campaign.write_agents(10)

    campaign.start()
    campaign.wait_event("completed", timeout_s=60.0)

    created = emulator.stats()["executions"]
    assert not LISTED & {e["to"] for e in created}
    by_number: dict[str, list[float]] = defaultdict(list)
    for execution in created:
        by_number[execution["to"]].append(execution["created_wall"])
    assert set(by_number) == set(campaign.phones) - LISTED
    assert all(len(times) == 2 for times in by_number.values())

    dispositions = campaign.dispositions()
    listed = [d for d in dispositions if d["status"] == "dnc"]
    assert {d["to"] for d in listed} == LISTED
    assert all(d["final"] == "true" and d["attempt"] == "1" for d in listed)
    first = {d["to"]: d for d in dispositions if d["status"] == "busy" and d["attempt"] == "1"}
    second = {d["to"]: d for d in dispositions if d["status"] == "busy" and d["attempt"] == "2"}
    assert set(first) == set(second) == set(by_number)
    for number, times in by_number.items():
        before = first[number]
        assert before["final"] == "false"
        assert seconds(before["retry_at"]) == pytest.approx(
            seconds(before["ended_at"]) + RETRY_AFTER_S, abs=0.002
        )
        # Created again no sooner than its retry was due.
        assert max(times) >= seconds(before["retry_at"]) - 0.01, number
        assert (second[number]["final"], second[number]["retry_at"]) == ("true", "")
    finals = [d["record_id"] for d in dispositions if d["final"] == "true"]
    assert sorted(finals) == sorted(campaign.record_ids)
