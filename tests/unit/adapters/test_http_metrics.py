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
