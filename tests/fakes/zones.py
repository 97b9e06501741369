"""A `ContactZones` from a table of prefixes, for tests that choose each number's zones."""

from __future__ import annotations

from collections.abc import Mapping

# The few prefixes the tests dial: a place in each of four US zones, Alaska (two zones), the US
# toll-free 800 (every zone of the North American plan, shortened here to its extremes) and Paris.
PREFIXES: Mapping[str, tuple[str, ...]] = {
    "+1212": ("America/New_York",),
    "+1312": ("America/Chicago",),
    "+1303": ("America/Denver",),
    "+1415": ("America/Los_Angeles",),
    "+1907": ("America/Adak", "America/Anchorage"),
    "+1800": ("America/New_York", "America/Los_Angeles", "Pacific/Guam", "Pacific/Pago_Pago"),
    "+331": ("Europe/Paris",),
}


class FakeContactZones:
    """The zones of the longest prefix of the number in `prefixes`, else `()`."""

    def __init__(self, prefixes: Mapping[str, tuple[str, ...]] = PREFIXES) -> None:
        self._prefixes = dict(prefixes)

    def zones_of(self, phone_number: str) -> tuple[str, ...]:
        for length in range(len(phone_number), 0, -1):
            zones = self._prefixes.get(phone_number[:length])
            if zones is not None:
                return zones
        return ()
