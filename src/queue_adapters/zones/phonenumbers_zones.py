"""`ContactZones` from libphonenumber's prefix data, by the `phonenumbers` package (ADR 0021)."""

from __future__ import annotations

import phonenumbers
from phonenumbers import timezone

__all__ = ["PhonenumbersContactZones"]


class PhonenumbersContactZones:
    """The zones libphonenumber gives a number: those of its prefix where the prefix names a
    place, else every zone of its country. Its answer for "none known" (`Etc/Unknown`) is `()`.
    """

    def zones_of(self, phone_number: str) -> tuple[str, ...]:
        try:
            number = phonenumbers.parse(phone_number, None)
        except phonenumbers.NumberParseException:
            return ()
        zones = timezone.time_zones_for_number(number)
        return tuple(dict.fromkeys(z for z in zones if z != timezone.UNKNOWN_TIMEZONE))
