"""The `progress` queue event's fields, written and read back (contract, version 2)."""

from __future__ import annotations

from queue_core.domain.queue_events import QueueEvent, QueueEventType


def test_a_progress_event_carries_the_waiting_counts_the_cache_and_the_dial_ratio() -> None:
    event = QueueEvent(
        QueueEventType.PROGRESS,
        "ce-9",
        at=1_795_000_000.5,
        launched=40,
        dispositions=31,
        active=9,
        human_answered=10,
        abandoned=1,
        waiting_for_window=7,
        waiting_for_retry=3,
        cache_remaining=120,
        dial_ratio=1.756,
    )

    fields = event.to_fields()

    assert fields["event"] == "progress"
    assert (fields["waiting_for_window"], fields["waiting_for_retry"]) == ("7", "3")
    assert (fields["cache_remaining"], fields["dial_ratio"]) == ("120", "1.76")
    assert fields["abandon_rate"] == "0.1000"
    read = QueueEvent.from_fields(fields)
    assert (read.waiting_for_window, read.waiting_for_retry, read.cache_remaining) == (7, 3, 120)
    assert read.dial_ratio == 1.76


def test_other_events_carry_no_progress_fields() -> None:
    fields = QueueEvent(QueueEventType.STARTED, "ce-9", at=1_795_000_000.0).to_fields()

    assert not {"waiting_for_window", "waiting_for_retry", "cache_remaining", "dial_ratio"} & set(
        fields
    )
    assert QueueEvent.from_fields(fields).dial_ratio is None
