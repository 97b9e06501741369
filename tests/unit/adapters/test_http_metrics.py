"""The metrics exposition: counters the service increments, histograms it feeds, per-execution
gauges, the readings' gauges and the process collector, every name prefixed and with its unit."""

from __future__ import annotations

import math
import re

from queue_adapters.http.metrics import ExecutionGauges, QueueMetrics, ServiceReadings


def test_the_exposition_has_counters_and_per_execution_gauges() -> None:
    metrics = QueueMetrics()
    metrics.read_gauges = lambda: [ExecutionGauges("ce-1", "running", 4.5, 9.0, 1.5, 7)]
    metrics.count_launch("ce-1", "rate_limited")
    for _ in range(3):
        metrics.count_disposition("ce-1", "completed")
    metrics.count_events({"VoiceCallEvent": 2})

    body, content_type = metrics.exposition()
    text = body.decode()

    assert content_type.startswith("text/plain")
    for line in (
        'dialer_queue_launches_total{execution="ce-1",outcome="rate_limited"} 1.0',
        'dialer_queue_dispositions_total{execution="ce-1",status="completed"} 3.0',
        'dialer_queue_webhook_events_total{type="VoiceCallEvent"} 2.0',
        'dialer_queue_launch_rate_per_second{execution="ce-1"} 4.5',
        'dialer_queue_launch_budget_per_second{execution="ce-1"} 9.0',
        'dialer_queue_dial_ratio{execution="ce-1"} 1.5',
        'dialer_queue_active_calls{execution="ce-1"} 7.0',
        'dialer_queue_abandon_target_ratio{execution="ce-1"} 0.03',
        'dialer_queue_executions{state="running"} 1.0',
        "dialer_queue_leases_held 1.0",
    ):
        assert line in text.splitlines(), line


def test_the_abandonment_gauges_of_a_run_and_of_its_campaigns_30_days() -> None:
    metrics = QueueMetrics()
    metrics.read_gauges = lambda: [
        ExecutionGauges("ce-1", "running", 1, 1, 1, 1, 64, 2, "c-7", 0.0125, 0.05),
        ExecutionGauges("ce-2", "running", 1, 1, 1, 1),  # names no campaign
    ]
    lines = metrics.exposition()[0].decode().splitlines()

    for line in (
        'dialer_queue_human_answered_calls{execution="ce-1"} 64.0',
        'dialer_queue_abandoned_calls{execution="ce-1"} 2.0',
        'dialer_queue_abandon_ratio{execution="ce-1"} 0.03125',
        'dialer_queue_abandon_target_ratio{execution="ce-1"} 0.05',
        'dialer_queue_campaign_abandon_ratio_30d{campaign="c-7",execution="ce-1"} 0.0125',
        'dialer_queue_abandon_ratio{execution="ce-2"} 0.0',
    ):
        assert line in lines, line
    assert not any("campaign_abandon" in line and "ce-2" in line for line in lines)


def test_the_readings_gauges_show_the_last_reading() -> None:
    metrics = QueueMetrics()
    metrics.readings = ServiceReadings(
        cache_remaining={"ce-1": 250},
        stats_age_s={"WQ1": 12.5, "WQ2": math.inf},
        dead_letters=3,
        outbox_lag_s=0.0,
        stored={"running": 2, "completed": 5},
    )
    lines = metrics.exposition()[0].decode().splitlines()

    for line in (
        'dialer_queue_cache_remaining_records{execution="ce-1"} 250.0',
        'dialer_queue_stats_age_seconds{task_queue="WQ1"} 12.5',
        'dialer_queue_stats_age_seconds{task_queue="WQ2"} +Inf',
        "dialer_queue_control_dead_letters 3.0",
        "dialer_queue_outbox_lag_seconds 0.0",
        'dialer_queue_stored_executions{state="running"} 2.0',
        'dialer_queue_stored_executions{state="completed"} 5.0',
    ):
        assert line in lines, line


def test_the_histograms_count_what_they_observe() -> None:
    metrics = QueueMetrics()
    metrics.twilio_create.labels("launched").observe(0.25)
    metrics.webhook_lag.observe(1.5)
    metrics.launch_to_disposition.labels("completed").observe(42.0)
    lines = metrics.exposition()[0].decode().splitlines()

    for line in (
        'dialer_queue_twilio_create_seconds_bucket{le="0.3",outcome="launched"} 1.0',
        'dialer_queue_twilio_create_seconds_bucket{le="0.2",outcome="launched"} 0.0',
        "dialer_queue_webhook_stored_lag_seconds_count 1.0",
        'dialer_queue_launch_to_disposition_seconds_sum{status="completed"} 42.0',
    ):
        assert line in lines, line


def test_an_executions_counter_series_go_when_it_is_forgotten() -> None:
    metrics = QueueMetrics()
    metrics.count_launch("ce-1", "launched")
    metrics.count_launch("ce-1", "rate_limited")
    metrics.count_disposition("ce-1", "busy")
    metrics.count_launch("ce-2", "launched")

    assert sorted(metrics.counted_executions()) == ["ce-1", "ce-2"]
    metrics.forget("ce-1")
    text = metrics.exposition()[0].decode()

    assert 'execution="ce-1"' not in text
    assert 'dialer_queue_launches_total{execution="ce-2",outcome="launched"} 1.0' in text
    assert metrics.counted_executions() == ["ce-2"]


def test_every_metric_is_prefixed_and_the_process_collector_is_there() -> None:
    text = QueueMetrics().exposition()[0].decode()
    names = re.findall(r"^# TYPE (\S+) ", text, re.MULTILINE)

    assert "process_cpu_seconds_total" in names
    assert "process_resident_memory_bytes" in names
    assert [n for n in names if not n.startswith(("dialer_queue_", "process_"))] == []
