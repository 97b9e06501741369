"""A whole campaign through `queue-service serve`, the emulator and a real Redis, driven only
through the contract: one disposition per record, `completed`, nothing left in flight."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest
import redis

from tests.support.metrics_text import metric_total
from tests.system.campaign import Campaign, phone
from tests.system.processes import EmulatorProcess, ServiceProcess

pytestmark = pytest.mark.slow

CONTACTS = 200


def test_a_campaign_of_200_contacts_completes_with_one_disposition_each(
    launch_service: Callable[..., ServiceProcess],
    emulator: EmulatorProcess,
    store: redis.Redis,
) -> None:
    service = launch_service()
    campaign = Campaign(store, "ce-system-200", CONTACTS)
    campaign.write({"mode": "progressive", "dial_ratio": 1.5, "max_concurrent_calls": 60})
    campaign.write_agents(30)

    campaign.start()
    completed = campaign.wait_event("completed", timeout_s=50.0)

    dispositions = campaign.dispositions()
    assert campaign.disposed_once() == set(campaign.record_ids)
    assert len(dispositions) == CONTACTS
    assert {d["schema_version"] for d in dispositions} == {"2"}
    assert all(d["execution_sid"].startswith("FN") for d in dispositions)
    assert {d["record_id"]: d["to"] for d in dispositions} == {
        rid: phone(n) for n, rid in enumerate(campaign.record_ids)
    }
    assert campaign.active() == 0
    assert campaign.cached() == []
    assert (completed["dispositions"], completed["active"]) == (str(CONTACTS), "0")
    assert campaign.lifecycle() == ["started", "completed"]

    stats = emulator.stats()
    dialed = Counter(e["to"] for e in stats["executions"])
    assert dialed == Counter(phone(n) for n in range(CONTACTS))
    # Outcomes as Twilio reported them reached the dispositions (the emulator's call status).
    by_sid = {e["sid"]: e["call_status"] for e in stats["executions"]}
    assert all(by_sid[d["execution_sid"]] == d["status"] for d in dispositions)

    metrics = service.admin_get("/metrics").text
    execution = campaign.execution_id
    assert metric_total(
        metrics, "dialer_queue_launches_total", execution=execution, outcome="launched"
    ) == (CONTACTS)
    assert metric_total(metrics, "dialer_queue_dispositions_total", execution=execution) == CONTACTS
    # Every webhook passed the signature check (on by default) and none was refused.
    assert metric_total(metrics, "dialer_queue_webhook_requests_total", route="eventstreams") > 0
    assert metric_total(metrics, "dialer_queue_webhook_requests_total", outcome="forbidden") == 0
    assert metric_total(metrics, "dialer_queue_webhook_requests_total", outcome="invalid") == 0
