"""A crash between launch and record: Studio created the executions, but their answers were
still on the way (the emulator holds each answer `response_delay_s`) when the service was
SIGKILLed. After a restart the launches are reconciled with Studio's executions list: each
contact keeps the execution Studio made, nobody is called twice, and every record gets exactly
one disposition."""

from __future__ import annotations

import signal
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
import redis

from tests.reliability.observe import disposition_times, unhandled_errors
from tests.system.campaign import Campaign
from tests.system.processes import EmulatorProcess, ServiceProcess, wait_for

pytestmark = pytest.mark.slow

CONTACTS = 20
ANSWER_DELAY_S = 4.0
RECONCILE_AFTER_S = 3.0
LEASE_TTL_S = 3.0
CONTACT_TIMEOUT_S = 30.0


def test_a_crash_between_launch_and_record_is_reconciled_with_no_second_call(
    launch_service: Callable[..., ServiceProcess],
    serve_env: dict[str, str],
    emulator: EmulatorProcess,
    store: redis.Redis,
    figures: dict[str, object],
) -> None:
    # Twilio keeps delivering webhooks for hours; here, long enough to outlast the restart.
    emulator.configure(
        response_delay_s=ANSWER_DELAY_S, delivery_max_attempts=40, callstatus_max_attempts=10
    )
    env = {
        **serve_env,
        "QUEUE_RECONCILE_AFTER_S": str(RECONCILE_AFTER_S),
        "QUEUE_LEASE_TTL_S": str(LEASE_TTL_S),
        "QUEUE_CONTACT_TIMEOUT_S": str(CONTACT_TIMEOUT_S),
    }
    first = launch_service({**env, "QUEUE_INSTANCE_ID": "crash-first"})
    campaign = Campaign(store, "ce-rel-crash", CONTACTS)
    campaign.write({"mode": "fixed", "max_concurrent_calls": 5})
    campaign.start()

    wait_for(lambda: emulator.stats()["executions_created"] >= 3, "Studio to create three")
    first.signal(signal.SIGKILL)
    first.wait(timeout_s=10.0)
    killed_at = time.time()
    # Studio created these; the service died before it could store any of them.
    unrecorded = {e["sid"]: e for e in emulator.stats()["executions"]}
    assert unrecorded
    assert campaign.active() == 0
    assert campaign.dispositions() == []

    emulator.configure(response_delay_s=0.0)
    launch_service({**env, "QUEUE_INSTANCE_ID": "crash-second"})
    restarted_at = time.time()
    completed = campaign.wait_event("completed", timeout_s=60.0)
    took = time.time() - restarted_at

    assert campaign.disposed_once() == set(campaign.record_ids)
    dispositions = campaign.dispositions()
    executions = emulator.stats()["executions"]
    # No second call: one execution per number, and the crashed contacts kept theirs.
    assert Counter(e["to"] for e in executions) == Counter(campaign.phones)
    adopted = [d for d in dispositions if d["execution_sid"] in unrecorded]
    assert {d["execution_sid"] for d in adopted} == set(unrecorded)
    for d in adopted:
        assert d["to"] == unrecorded[d["execution_sid"]]["to"]
    by_sid = {e["sid"]: e["call_status"] for e in executions}
    assert all(by_sid[d["execution_sid"]] == d["status"] for d in dispositions)
    assert campaign.active() == 0
    assert (completed["dispositions"], completed["active"]) == (str(CONTACTS), "0")
    assert unhandled_errors(Path(first.log_path)) == []

    settled = disposition_times(store, campaign.execution_id)
    adopted_after = [settled[d["record_id"]] - restarted_at for d in adopted]
    figures.update(
        contacts=CONTACTS,
        launches_unrecorded_at_the_kill=len(unrecorded),
        reconcile_after_s=RECONCILE_AFTER_S,
        lease_ttl_s=LEASE_TTL_S,
        second_calls=len(executions) - CONTACTS,
        crashed_contacts_settled_after_restart_s={
            "min": round(min(adopted_after), 2),
            "max": round(max(adopted_after), 2),
        },
        restart_to_completed_s=round(took, 1),
        kill_to_restart_ready_s=round(restarted_at - killed_at, 1),
    )
