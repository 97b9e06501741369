"""An old voice event of an earlier call to the same (To, From) pair, genuine and signed,
must not decide a new contact (ADR 0011): its date is before the launch and its call SID is
not the contact's call."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest
import redis

from tests.reliability.signed_events import InFlight, signed_batch, voice_event
from tests.system.campaign import Campaign
from tests.system.processes import EmulatorProcess, ServiceProcess, wait_for
from twilio_emulator import DEFAULT_AUTH_TOKEN

pytestmark = pytest.mark.slow

WEEK_S = 7 * 24 * 3600


def test_a_week_old_busy_event_of_another_call_does_not_decide_the_live_contact(
    launch_service: Callable[..., ServiceProcess],
    emulator: EmulatorProcess,
    store: redis.Redis,
) -> None:
    # One person answers and talks for about 4 s (200 simulated seconds at the 0.02 scale).
    # The flow reports failed calls only, so no report names the call (the README allows it).
    emulator.configure(
        outcome_weights={"human": 1.0}, talk_human_s=[200.0, 200.0], callstatus_on="failed"
    )
    service = launch_service()
    campaign = Campaign(store, "ce-old-event", 1)
    campaign.write({"mode": "fixed", "max_concurrent_calls": 1})
    campaign.write_agents(1)
    campaign.start()

    def live() -> dict[str, str] | None:
        executions = emulator.stats()["executions"]
        return next((e for e in executions if e["call_status"] == "in-progress"), None)

    call = wait_for(live, "the contact's call answered", timeout_s=20.0)
    earlier = InFlight(call["sid"], call["flow_sid"], "CA" + "0e" * 16, call["to"], call["from"])
    stale = voice_event(
        "EZ" + "0e" * 16,
        earlier,
        "completed",
        sequence=9,  # later than any of the live call's own events
        call_status="busy",
        duration_s=0,
        wall=time.time() - WEEK_S,
    )
    url, body, headers = signed_batch(f"{service.url}/eventstreams", [stale], DEFAULT_AUTH_TOKEN)
    assert httpx.post(url, content=body, headers=headers, timeout=5.0).status_code == 200

    campaign.wait_event("completed", timeout_s=30.0)
    [disposition] = campaign.dispositions()
    assert disposition["status"] == "completed"
    assert disposition["call_sid"] == call["call_sid"]
    assert int(disposition["duration_s"]) > 0
