"""The port that tells in which time zones a phone number rings."""

from __future__ import annotations

from typing import Protocol

__all__ = ["ContactZones"]


class ContactZones(Protocol):
    """The IANA time zones of phone numbers, from their country and prefix. Not a coroutine:
    an answer from data held in memory, which never fails for want of a store."""

    def zones_of(self, phone_number: str) -> tuple[str, ...]:
        """The zones in which `phone_number` (E.164) may ring, each once: one for a number
        whose prefix names a place, several when its region spans zones (a mobile or toll-free
        number, a country with several zones), and `()` when none can be told (a prefix that
        no region has, or a text that is not a number). Never raises. A name may be one the
        host's tz database does not hold: `queue_core.domain.window_rule.zones_named` says."""
        ...
