"""Webhook facts older than the window are dropped; those without a time are kept."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from queue_core.domain.facts import AmdEvent, ContactFact
from queue_core.domain.freshness import fresh_facts

NOW = 1_800_000_000.0
WINDOW = 16_200.0


def amd(event_id: str, at: float | None) -> AmdEvent:
    return AmdEvent(event_id, "CA1", "+14155550100", "+15005550006", "human", at=at)


def test_facts_older_than_the_window_are_dropped_in_order() -> None:
    facts: list[ContactFact] = [
        amd("old", NOW - WINDOW - 1),
        amd("edge", NOW - WINDOW),
        amd("new", NOW - 1),
        amd("untimed", None),
        amd("ahead", NOW + 30),
    ]

    kept = fresh_facts(facts, NOW, WINDOW)

    assert [f.event_id for f in kept if isinstance(f, AmdEvent)] == [
        "edge",
        "new",
        "untimed",
        "ahead",
    ]


@given(st.lists(st.none() | st.floats(0, 2 * NOW, allow_nan=False), max_size=20))
def test_every_fact_is_kept_or_older_than_the_window(times: list[float | None]) -> None:
    facts: list[ContactFact] = [amd(str(i), at) for i, at in enumerate(times)]

    kept = fresh_facts(facts, NOW, WINDOW)

    assert all(f.at is None or NOW - f.at <= WINDOW for f in kept)
    dropped = [f for f in facts if f not in kept]
    assert all(f.at is not None and NOW - f.at > WINDOW for f in dropped)
