"""The alert rules and the dashboard of `deploy/` parse, every rule has what Prometheus needs,
and every metric they name is one the service exports (here its registry, in-process;
tests/system/test_monitoring_against_serve.py checks a running service's `/metrics`)."""

from __future__ import annotations

import re

from queue_adapters.http.metrics import QueueMetrics
from tests.support.deploy_files import (
    alert_rules,
    dashboard_queries,
    exposed_names,
    metric_names,
)

# What an operator is promised an alert for.
ALERTED = {
    "dialer_queue_stats_age_seconds",
    "dialer_queue_launches_total",
    "dialer_queue_campaign_abandon_ratio_30d",
    "dialer_queue_abandon_target_ratio",
    "dialer_queue_outbox_lag_seconds",
    "dialer_queue_control_dead_letters",
    "dialer_queue_stored_executions",
    "dialer_queue_leases_held",
}


def test_every_alert_rule_has_a_name_an_expression_a_duration_and_labels() -> None:
    rules = alert_rules()

    assert rules
    for rule in rules:
        assert re.fullmatch(r"DialerQueue[A-Za-z]+", rule["alert"]), rule
        assert isinstance(rule["expr"], str), rule["alert"]
        assert rule["expr"].strip(), rule["alert"]
        assert re.fullmatch(r"\d+[smh]", rule["for"]), rule["alert"]
        assert rule["labels"]["severity"] in {"page", "warning"}, rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
    assert len({rule["alert"] for rule in rules}) == len(rules)


def test_the_alerts_cover_what_an_operator_must_hear_of() -> None:
    named = set().union(*(metric_names(rule["expr"]) for rule in alert_rules()))

    assert sorted(ALERTED - named) == []
    assert any('outcome="rate_limited"' in rule["expr"] for rule in alert_rules())


def test_every_metric_the_files_name_is_in_the_services_registry() -> None:
    exposed = exposed_names(QueueMetrics().exposition()[0].decode())
    queries = [rule["expr"] for rule in alert_rules()] + dashboard_queries()
    named = set().union(*(metric_names(query) for query in queries))

    assert len(dashboard_queries()) >= 15
    assert sorted(named - exposed) == []
