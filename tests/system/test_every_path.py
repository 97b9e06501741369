"""A campaign on the service description's failed-call path (ADR 0011): failed calls get the
flow's `/callstatus` post with their call SID and error, and no voice event at all. The
campaign completes within the settle grace of its last `execution.ended`, and every failed
contact's disposition carries the report's call SID, error code and message."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import redis

from tests.system.campaign import Campaign
from tests.system.processes import EmulatorProcess, ServiceProcess
from twilio_emulator.config import EmulatorConfig

pytestmark = pytest.mark.slow

CONTACTS = 150
GRACE_S = 3.0
OUTCOMES = {"human": 0.5, "machine": 0.15, "busy": 0.1, "no-answer": 0.1, "failed": 0.1}


def test_failed_calls_reported_only_by_the_flow_settle_and_the_campaign_completes(
    launch_service: Callable[..., ServiceProcess],
    emulator: EmulatorProcess,
    store: redis.Redis,
    serve_env: dict[str, str],
) -> None:
    default = EmulatorConfig()
    assert default.voice_events_on == "not_failed"  # the emulator's default: the description
    emulator.configure(outcome_weights=OUTCOMES)
    launch_service({**serve_env, "QUEUE_SETTLE_GRACE_S": str(GRACE_S)})
    campaign = Campaign(store, "ce-every-path", CONTACTS)
    campaign.write({"mode": "progressive", "dial_ratio": 1.5, "max_concurrent_calls": 60})
    campaign.write_agents(30)

    campaign.start()
    completed = campaign.wait_event("completed", timeout_s=90.0)
    completed_wall = time.time()

    assert campaign.disposed_once() == set(campaign.record_ids)
    assert (completed["dispositions"], completed["active"]) == (str(CONTACTS), "0")
    executions = {e["sid"]: e for e in emulator.stats()["executions"]}
    failed = [e for e in executions.values() if e["outcome"] == "failed"]
    assert len(failed) >= 5  # 10% of 150, give or take the draw
    by_sid = {d["execution_sid"]: d for d in campaign.dispositions()}
    for execution in failed:
        disposition = by_sid[execution["sid"]]
        assert disposition["status"] == "failed"
        assert disposition["call_sid"] == execution["call_sid"] != ""
        assert disposition["error_code"] != ""
        assert disposition["error_message"] != ""
    for sid, execution in executions.items():
        if execution["outcome"] != "failed":
            assert by_sid[sid]["call_sid"] == execution["call_sid"]

    last_ended = max(e["updated_wall"] for e in executions.values())
    waited = completed_wall - last_ended
    print(f"from the last execution.ended to completed: {waited:.2f} s (grace {GRACE_S} s)")
    assert waited <= GRACE_S + 5.0
