"""The metrics exposition: counters the service increments and per-execution gauges."""

from __future__ import annotations

from queue_adapters.http.metrics import ExecutionGauges, QueueMetrics


def test_the_exposition_has_counters_and_per_execution_gauges() -> None:
    metrics = QueueMetrics()
    metrics.read_gauges = lambda: [ExecutionGauges("ce-1", "running", 4.5, 9.0, 1.5, 7)]
    metrics.launches.labels("ce-1", "rate_limited").inc()
    metrics.dispositions.labels("ce-1", "completed").inc(3)
    metrics.count_events({"VoiceCallEvent": 2})

    body, content_type = metrics.exposition()
    text = body.decode()

    assert content_type.startswith("text/plain")
    for line in (
        'queue_launches_total{execution="ce-1",outcome="rate_limited"} 1.0',
        'queue_dispositions_total{execution="ce-1",status="completed"} 3.0',
        'queue_webhook_events_total{type="VoiceCallEvent"} 2.0',
        'queue_launch_rate{execution="ce-1"} 4.5',
        'queue_launch_budget{execution="ce-1"} 9.0',
        'queue_dial_ratio{execution="ce-1"} 1.5',
        'queue_active_calls{execution="ce-1"} 7.0',
        'queue_executions{state="running"} 1.0',
    ):
        assert line in text.splitlines(), line


def test_the_abandonment_gauges_of_a_run_and_of_its_campaigns_30_days() -> None:
    metrics = QueueMetrics()
    metrics.read_gauges = lambda: [
        ExecutionGauges("ce-1", "running", 1, 1, 1, 1, 64, 2, "c-7", 0.0125),
        ExecutionGauges("ce-2", "running", 1, 1, 1, 1),  # names no campaign
    ]
    lines = metrics.exposition()[0].decode().splitlines()

    for line in (
        'queue_human_answered{execution="ce-1"} 64.0',
        'queue_abandoned{execution="ce-1"} 2.0',
        'queue_abandon_rate{execution="ce-1"} 0.03125',
        'queue_campaign_abandon_rate_30d{campaign="c-7",execution="ce-1"} 0.0125',
        'queue_abandon_rate{execution="ce-2"} 0.0',
    ):
        assert line in lines, line
    assert not any("campaign_abandon" in line and "ce-2" in line for line in lines)
