"""Webhook facts too old to act on: a signed batch replayed after Twilio stopped retrying it.

Event Streams delivers an event again for up to 4 hours after a failed delivery. A signed
batch posted after that can only be a replay: its signature is still good, and its events are
deduplicated only while their contact's facts are kept. So an event that happened longer ago
than a window (a setting, Twilio's horizon plus a margin) is dropped before it reaches the
tracker. A fact that does not say when it happened (`at` is None) is kept: nothing tells its age.
"""

from __future__ import annotations

from collections.abc import Sequence

from queue_core.domain.facts import ContactFact

__all__ = ["fresh_facts"]


def fresh_facts(facts: Sequence[ContactFact], now: float, max_age_s: float) -> list[ContactFact]:
    """The facts that happened at most `max_age_s` seconds before `now` (unix seconds), in
    their order, and those without a time."""
    oldest = now - max_age_s
    return [fact for fact in facts if fact.at is None or fact.at >= oldest]
