"""Every metric the alert rules and the dashboard of `deploy/` name is on the `/metrics` of
`queue-service serve` running an execution, and the readings of that execution are there."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import redis

from tests.support.deploy_files import alert_rules, dashboard_queries, exposed_names, metric_names
from tests.support.metrics_text import metric_total
from tests.system.campaign import TASK_QUEUE_SID, Campaign
from tests.system.processes import ServiceProcess, wait_for

pytestmark = pytest.mark.slow

CONTACTS = 40


def test_the_deploy_files_name_only_metrics_a_running_service_exports(
    launch_service: Callable[..., ServiceProcess], store: redis.Redis
) -> None:
    service = launch_service()
    campaign = Campaign(store, "ce-monitored", CONTACTS)
    campaign.write({"mode": "progressive", "dial_ratio": 1.0})
    campaign.write_agents(1)  # one call at a time: the execution runs for the whole test
    campaign.start()
    execution = campaign.execution_id

    def read_with_the_execution() -> str | None:
        text = service.admin_get("/metrics").text
        left = metric_total(text, "dialer_queue_cache_remaining_records", execution=execution)
        return text if 0 < left < CONTACTS else None

    exposition = wait_for(read_with_the_execution, "a reading of the running execution", 30, 0.5)
    queries = [rule["expr"] for rule in alert_rules()] + dashboard_queries()
    named = set().union(*(metric_names(query) for query in queries))

    assert sorted(named - exposed_names(exposition)) == []
    assert metric_total(exposition, "dialer_queue_leases_held") == 1
    assert metric_total(exposition, "dialer_queue_stored_executions", state="running") == 1
    assert metric_total(exposition, "dialer_queue_launches_total", execution=execution) >= 1
    # The stats were written without a timestamp: their age is unknown, so not shown.
    assert f'task_queue="{TASK_QUEUE_SID}"' not in exposition
    assert metric_total(exposition, "dialer_queue_control_dead_letters") == 0
    assert metric_total(exposition, "dialer_queue_outbox_lag_seconds") == 0
