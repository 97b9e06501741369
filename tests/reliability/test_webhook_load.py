"""2,000 Event Streams events a second offered for 60 s to one `queue-service serve`, from a
load generator in its own process (signed batches of 50: 40 requests a second, at most 16 open,
loopback only).

The events belong to real contacts in flight: the service launched them through the emulator,
whose calls are answered and never end; the generator sends `ringing` and `answered` voice
events for them, 8 distinct events per contact (about as many as a real call has), each sent
many times over. Every answer must be 200, and every distinct event id must be in its
contact's stored facts (`queue:facts:{id}:<claim>`).

Speed is reported, not judged: a service slower than 2,000 events/s gets fewer requests (the
generator never has more than 16 open), and the figures say how many it took and how fast it
answered (p50, p99). Time: about 10 s of start-up and launching, the 60 s of load, a few
seconds of checks.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from tests.reliability.signed_events import InFlight
from tests.support.redis_server import RedisServerProcess
from tests.system.campaign import Campaign
from tests.system.processes import EmulatorProcess, ServiceProcess, wait_for

pytestmark = pytest.mark.slow

CONTACTS = 120
EVENTS_PER_S = 2000
BATCH_SIZE = 50
CONTACTS_PER_BATCH = 10
DURATION_S = 60.0
DISTINCT_PER_CONTACT = 8
MAX_IN_FLIGHT = 16
GRACE_S = 10.0
EXECUTION = "ce-load"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def redis_server() -> Iterator[RedisServerProcess]:
    """A plain `redis-server` (no AOF): nothing here crashes Redis."""
    with RedisServerProcess() as server:
        yield server


def _in_flight(emulator: EmulatorProcess) -> list[InFlight] | None:
    executions = emulator.stats()["executions"]
    answered = [e for e in executions if e["call_status"] == "in-progress"]
    if len(answered) < CONTACTS:
        return None
    return [InFlight(e["sid"], e["flow_sid"], e["call_sid"], e["to"], e["from"]) for e in answered]


def _facts_by_phone(store: redis.Redis) -> dict[str, set[str]]:
    """Each launched contact's stored fact keys, by the phone it dialed."""
    tag = f"{{{EXECUTION}}}"
    attempts: Any = store.hgetall(f"queue:attempts:{tag}")
    return {
        json.loads(attempt)["to"]: {str(k) for k in store.hkeys(f"queue:facts:{tag}:{claim}")}
        for claim, attempt in attempts.items()
    }


def _percentile(sorted_values: list[float], share: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(share * len(sorted_values)))]


def test_2000_events_a_second_for_60_s_are_all_accepted_and_stored(
    launch_service: Callable[..., ServiceProcess],
    emulator: EmulatorProcess,
    store: redis.Redis,
    tmp_path: Path,
    figures: dict[str, Any],
) -> None:
    began = time.monotonic()
    never_ending = {
        "outcome_weights": {"human": 1},
        "ring_s": [1, 1],
        "amd": False,
        "talk_human_s": [1e6, 1e6],
    }
    httpx.post(f"{emulator.url}/_emulator/config", json=never_ending, timeout=5).raise_for_status()
    service = launch_service()
    campaign = Campaign(store, EXECUTION, CONTACTS)
    campaign.write({"mode": "fixed", "max_concurrent_calls": CONTACTS})
    campaign.start()
    contacts = wait_for(lambda: _in_flight(emulator), f"{CONTACTS} calls answered", 45.0, 0.25)
    launched_after_s = time.monotonic() - began

    plan = {
        "destination": f"{service.url}/eventstreams",
        "auth_token": service.env["TWILIO_AUTH_TOKEN"],
        "contacts": [[c.execution_sid, c.flow_sid, c.call_sid, c.to, c.from_] for c in contacts],
        "events_per_s": EVENTS_PER_S,
        "batch_size": BATCH_SIZE,
        "contacts_per_batch": CONTACTS_PER_BATCH,
        "duration_s": DURATION_S,
        "distinct_per_contact": DISTINCT_PER_CONTACT,
        "max_in_flight": MAX_IN_FLIGHT,
        "grace_s": GRACE_S,
    }
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "tests.reliability.webhook_load_generator", "plan.json", "out.json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=DURATION_S + GRACE_S + 15,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads((tmp_path / "out.json").read_text())

    assert result["requests"] > 0
    assert result["statuses"] == {"200": result["requests"]}
    assert result["unanswered_at_the_deadline"] == 0
    stored = _facts_by_phone(store)
    missing = {
        contact.to: len({f"ce:{i}" for i in ids} - stored.get(contact.to, set()))
        for contact, ids in zip(contacts, result["event_ids"], strict=True)
    }
    assert {to: n for to, n in missing.items() if n} == {}
    assert campaign.active() == CONTACTS  # none settled or lost on the way

    answer_s, since_due_s = result["answer_s"], result["answer_since_due_s"]
    distinct = sum(len(ids) for ids in result["event_ids"])
    figures.update(
        {
            "offered_events_per_s": EVENTS_PER_S,
            "duration_s": DURATION_S,
            "events_sent": result["events"],
            "requests_sent": result["requests"],
            "requests_planned": result["requests_planned"],
            "batch_size": BATCH_SIZE,
            "max_requests_open": MAX_IN_FLIGHT,
            "contacts_in_flight": CONTACTS,
            "distinct_event_ids": distinct,
            "deliveries_per_distinct_event": round(result["events"] / distinct, 1),
            "schedule_s": result["scheduled_s"],
            "all_answered_after_s": result["finished_s"],
            "events_per_s_taken": round(result["events"] / result["finished_s"], 1),
            "answer_p50_ms": round(1000 * _percentile(answer_s, 0.50), 1),
            "answer_p99_ms": round(1000 * _percentile(answer_s, 0.99), 1),
            "answer_max_ms": round(1000 * answer_s[-1], 1),
            "answer_since_due_p99_ms": round(1000 * _percentile(since_due_s, 0.99), 1),
            "launch_phase_s": round(launched_after_s, 1),
            "whole_test_s": round(time.monotonic() - began, 1),
            "load_average_1min": round(os.getloadavg()[0], 2),
        }
    )
