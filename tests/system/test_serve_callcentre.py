"""`queue-service serve` against the emulator's call centre, end to end, in predictive mode:
agents take the person-answered calls, callers who wait too long hang up, TaskRouter's events
and the queue's stats come from the emulator, and every disposition tells what the emulator
did with its call: who answered, which task carried it, how soon an agent accepted it, and
whether it was abandoned (ADR 0025).

The emulator plays the call centre at real time (`time_scale` 1) with short calls, so that
its record of each call (simulated seconds) and the service's measure (the events' clocks)
count the same seconds, and the 2-second rule means the same in both.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import redis

from tests.system.campaign import TASK_QUEUE_SID, Campaign
from tests.system.processes import EmulatorProcess, ServiceProcess

pytestmark = pytest.mark.slow

CONTACTS = 50
AGENTS = 4
CONNECT_RULE_S = 2.0
# The emulator's record and the events' clocks differ by the emulator's loop latencies.
CLOCKS_AGREE_S = 0.3
OUTCOMES = {"human": 0.6, "machine": 0.15, "no-answer": 0.15, "busy": 0.1}


def call_centre(redis_url: str) -> dict[str, Any]:
    """Short calls at real time; callers patient for 3 s on average; stats every 0.5 s."""
    return {
        "time_scale": 1.0,
        "outcome_weights": OUTCOMES,
        "dial_delay_s": 0.2,
        "ring_s": [0.5, 1.5],
        "no_answer_ring_s": 2.0,
        "talk_machine_s": [1.0, 2.0],
        "amd_detect_s": [0.2, 0.6],
        "callcentre": {
            "enabled": True,
            "agents": AGENTS,
            "accept_s": [0.2, 0.6],
            "talk_mean_s": 2.0,
            "talk_log_sd": 0.5,
            "wrapup_s": [0.3, 0.6],
            "patience_mean_s": 3.0,
            "task_queue_sid": TASK_QUEUE_SID,
            "stats_redis_url": redis_url,
            "stats_every_s": 0.5,
        },
    }


def test_predictive_dispositions_tell_what_the_call_centre_did(
    launch_service: Callable[..., ServiceProcess],
    emulator: EmulatorProcess,
    store: redis.Redis,
    serve_env: dict[str, str],
) -> None:
    emulator.configure(**call_centre(serve_env["QUEUE_REDIS_URL"]))
    launch_service({**serve_env, "QUEUE_EXPECT_TASK_EVENTS": "true"})

    campaign = Campaign(store, "ce-centre", CONTACTS)
    pacing = {"mode": "predictive", "dial_ratio": 3.0, "max_concurrent_calls": 20}
    campaign.write(pacing, campaign_id="c-centre")
    campaign.start()
    completed = campaign.wait_event("completed", timeout_s=100.0)

    assert campaign.disposed_once() == set(campaign.record_ids)
    calls = {e["call_sid"]: e for e in emulator.stats()["executions"]}
    dispositions = campaign.dispositions()
    assert {d["call_sid"] for d in dispositions} == set(calls)
    differences = [assert_tells(d, calls[d["call_sid"]]) for d in dispositions]
    print(f"agent_connected_s against the emulator's record: at most {max(differences):.3f} s off")
    people = [d for d in dispositions if d["human_answered"] == "true"]
    abandoned = [d for d in people if d["abandoned"] == "true"]
    assert (completed["human_answered"], completed["abandoned"]) == (
        str(len(people)),
        str(len(abandoned)),
    )
    assert_every_path_was_taken(list(calls.values()))


def assert_tells(disposition: dict[str, str], call: dict[str, Any]) -> float:
    """The disposition of one call says what the emulator did with it; returns how far its
    `agent_connected_s` is from the emulator's record (0 when neither has one)."""
    where = f"{disposition['record_id']} ({call['outcome']}): {disposition} / {call}"
    person = call["outcome"] == "human"
    assert disposition["schema_version"] == "2", where
    assert disposition["human_answered"] == ("true" if person else "false"), where
    assert call["handed_to_agent"] is person, where
    assert disposition["task_sid"] == (call["task_sid"] if person else ""), where
    connected = call.get("answer_to_agent_s")
    measured = disposition["agent_connected_s"]
    difference = 0.0
    if connected is None:
        assert measured == "", where
    else:
        difference = abs(float(measured) - connected)
        assert difference <= CLOCKS_AGREE_S, where
    if not person:
        assert disposition["abandoned"] == "false", where
    elif connected is None or abs(connected - CONNECT_RULE_S) > CLOCKS_AGREE_S:
        # Clear of the rule by more than the clocks' difference: the emulator's word decides.
        late = connected is None or connected > CONNECT_RULE_S
        assert disposition["abandoned"] == ("true" if late else "false"), where
    else:
        late = float(measured) > CONNECT_RULE_S
        assert disposition["abandoned"] == ("true" if late else "false"), where
    return difference


def assert_every_path_was_taken(calls: list[dict[str, Any]]) -> None:
    """Calls connected within the rule, callers who gave up, and calls with no person."""
    handed = [c for c in calls if c["handed_to_agent"]]
    quick = [c for c in handed if (c["answer_to_agent_s"] or 99) < CONNECT_RULE_S]
    late = [c for c in handed if (c["answer_to_agent_s"] or 0) > CONNECT_RULE_S]
    gave_up = [c for c in handed if c["abandoned"]]
    print(f"calls {len(calls)}, to agents {len(handed)}: within 2 s {len(quick)}, later "
          f"{len(late)}, gave up {len(gave_up)}")  # fmt: skip
    assert quick
    assert gave_up
    assert len(handed) < len(calls)
