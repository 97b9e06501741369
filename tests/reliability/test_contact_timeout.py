"""Contacts that never finish: the emulator's answering machines talk for hours, so those
calls send no terminal event. Each gets status `unknown` once `QUEUE_CONTACT_TIMEOUT_S` has
passed, leaves `active_calls`, and the campaign completes."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
import redis

from tests.reliability.observe import seconds_between, unhandled_errors
from tests.system.campaign import Campaign
from tests.system.processes import EmulatorProcess, ServiceProcess

pytestmark = pytest.mark.slow

CONTACTS = 30
TIMEOUT_S = 3.0
# The reaper looks every 5 s: a contact settles between the timeout and 5 s after it.
REAPER_INTERVAL_S = 5.0


def test_contacts_with_no_terminal_event_get_unknown_at_the_contact_timeout(
    launch_service: Callable[..., ServiceProcess],
    serve_env: dict[str, str],
    emulator: EmulatorProcess,
    store: redis.Redis,
    figures: dict[str, object],
) -> None:
    # Machines talk 10^5 simulated s (about 33 min here): their calls outlive the test. People
    # talk 5 to 20 s (0.1 to 0.4 s here), so every other call ends well within the timeout.
    emulator.configure(talk_machine_s=[1e5, 1e5], talk_human_s=[5, 20])
    service = launch_service({**serve_env, "QUEUE_CONTACT_TIMEOUT_S": str(TIMEOUT_S)})
    campaign = Campaign(store, "ce-rel-timeout", CONTACTS)
    campaign.write({"mode": "fixed", "max_concurrent_calls": 10})

    started = time.monotonic()
    campaign.start()
    completed = campaign.wait_event("completed", timeout_s=60.0)
    took = time.monotonic() - started

    assert campaign.disposed_once() == set(campaign.record_ids)
    dispositions = campaign.dispositions()
    executions = {e["sid"]: e for e in emulator.stats()["executions"]}
    never_ending = {sid for sid, e in executions.items() if e["outcome"] == "machine"}
    unknown = [d for d in dispositions if d["status"] == "unknown"]
    assert never_ending, "the emulator's seed gave no answering machine: nothing was tested"
    assert {d["execution_sid"] for d in unknown} == never_ending
    # Those calls are still going on at Twilio: no terminal event can have reached the service.
    assert {executions[sid]["call_status"] for sid in never_ending} == {"in-progress"}
    waited = [seconds_between(d["launched_at"], d["ended_at"]) for d in unknown]
    assert min(waited) >= TIMEOUT_S
    assert max(waited) <= TIMEOUT_S + REAPER_INTERVAL_S + 1.0
    # Every other contact kept the outcome Twilio reported.
    for d in dispositions:
        if d["execution_sid"] not in never_ending:
            assert d["status"] == executions[d["execution_sid"]]["call_status"]
    assert campaign.active() == 0
    assert (completed["dispositions"], completed["active"]) == (str(CONTACTS), "0")
    assert unhandled_errors(Path(service.log_path)) == []

    figures.update(
        contacts=CONTACTS,
        contact_timeout_s=TIMEOUT_S,
        never_ending_calls=len(never_ending),
        unknown_dispositions=len(unknown),
        unknown_settled_after_launch_s={
            "min": round(min(waited), 2),
            "max": round(max(waited), 2),
        },
        campaign_completed_in_s=round(took, 1),
    )
