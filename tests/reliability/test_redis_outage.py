"""A Redis outage mid-campaign: `redis-server` (AOF on, `appendfsync always`) is SIGKILLed and
started again 10 s later on the same port with the same directory. Meanwhile the service stays
up, `/readyz` answers 503, webhooks that cannot be stored answer 503 (the emulator delivers them
again), and nothing is launched; afterwards the campaign completes with nothing lost and no
task dead of an error in the log."""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import redis

from tests.reliability.durable_redis import DurableRedisServer
from tests.reliability.observe import unhandled_errors
from tests.system.campaign import Campaign
from tests.system.processes import EmulatorProcess, ServiceProcess, wait_for

pytestmark = pytest.mark.slow

CONTACTS = 120
OUTAGE_S = 10.0
# A launch whose reservation was stored just before the crash may reach Twilio just after it.
IN_FLIGHT_SLACK_S = 0.5
# How long the service may take to notice the outage, or its end, on /readyz.
READINESS_LAG_S = 5.0


def _webhook_503s(metrics: str) -> int:
    found = re.findall(
        r'^dialer_queue_webhook_requests_total\{[^}]*outcome="unavailable"[^}]*\} (\S+)$',
        metrics,
        re.MULTILINE,
    )
    return int(sum(float(value) for value in found))


def _readyz(service: ServiceProcess) -> int:
    try:
        return service.get("/readyz").status_code
    except httpx.TransportError:
        return 0


def test_a_redis_outage_pauses_the_campaign_and_loses_nothing(
    redis_server: DurableRedisServer,
    launch_service: Callable[..., ServiceProcess],
    serve_env: dict[str, str],
    emulator: EmulatorProcess,
    store: redis.Redis,
    figures: dict[str, object],
) -> None:
    # Twilio retries a webhook for hours; the emulator, here, for about a minute.
    emulator.configure(delivery_max_attempts=40, callstatus_max_attempts=10)
    service = launch_service({**serve_env, "QUEUE_ACCOUNT_CPS": "10"})
    campaign = Campaign(store, "ce-rel-outage", CONTACTS)
    campaign.write({"mode": "fixed", "max_concurrent_calls": 20})
    campaign.start()
    wait_for(lambda: emulator.stats()["executions_created"] >= 30, "30 launches")

    redis_server.crash()
    down_at = time.monotonic()
    probes: list[tuple[float, int]] = []
    while time.monotonic() - down_at < OUTAGE_S:
        probes.append((time.monotonic() - down_at, _readyz(service)))
        time.sleep(0.25)
    assert service.process is not None
    assert service.process.poll() is None, "the service died during the outage"
    redis_server.start()
    up_at = time.monotonic()
    ready_again = wait_for(
        lambda: _readyz(service) == 200 and time.monotonic() - up_at, "/readyz to answer 200"
    )
    completed = campaign.wait_event("completed", timeout_s=90.0)
    took = time.monotonic() - up_at

    # /readyz said so, from shortly after the crash until the restart.
    first_503 = next(at for at, status in probes if status == 503)
    assert first_503 <= READINESS_LAG_S
    assert {status for at, status in probes if at >= first_503} == {503}
    # Nothing was launched while Redis was down.
    executions = emulator.stats()["executions"]
    during = [e for e in executions if down_at + IN_FLIGHT_SLACK_S < e["created_monotonic"] < up_at]
    assert during == []
    # Webhooks got 503 and were delivered again: none was given up.
    counters = emulator.stats()["counters"]
    webhook_503s = _webhook_503s(service.admin_get("/metrics").text)
    assert webhook_503s > 0
    assert counters.get("batches_given_up", 0) == 0
    assert counters.get("callstatus_given_up", 0) == 0
    # Nothing lost, nothing twice.
    assert campaign.disposed_once() == set(campaign.record_ids)
    assert Counter(e["to"] for e in executions) == Counter(campaign.phones)
    by_sid = {e["sid"]: e["call_status"] for e in executions}
    assert all(by_sid[d["execution_sid"]] == d["status"] for d in campaign.dispositions())
    assert campaign.active() == 0
    assert (completed["dispositions"], completed["active"]) == (str(CONTACTS), "0")
    assert unhandled_errors(Path(service.log_path)) == []

    launched_before = sum(1 for e in executions if e["created_monotonic"] <= down_at)
    figures.update(
        contacts=CONTACTS,
        outage_s=OUTAGE_S,
        launched_before_the_outage=launched_before,
        launched_during_the_outage=len(during),
        readyz_503_after_s=round(first_503, 2),
        readyz_200_after_restart_s=round(ready_again, 2),
        webhook_503_answers=webhook_503s,
        webhook_deliveries_failed=counters.get("delivery_failures", 0),
        callstatus_posts_failed=counters.get("callstatus_attempts", 0)
        - counters.get("callstatus_delivered", 0),
        restart_to_completed_s=round(took, 1),
    )
