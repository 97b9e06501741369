"""What one instance remembers of the global indexes: the contact each index key named, for a
while, so that the next webhook batches about a call in flight skip the lookup."""

from __future__ import annotations

from collections.abc import Iterable

from queue_core.domain.contacts import ContactRef

__all__ = ["IndexKey", "IndexMemory"]

# ("pair", to, from), ("sid", execution SID), ("call", call SID) or ("none",)
IndexKey = tuple[str, ...]


class IndexMemory:
    """Index key -> contact, each entry kept `lifetime_s` seconds (of the caller's monotonic
    clock), at most `capacity` entries (the least recently stored go first). Not a coroutine;
    what an entry is worth is the caller's to check (see `ContactTracker`)."""

    def __init__(self, lifetime_s: float, capacity: int) -> None:
        self._lifetime_s = lifetime_s
        self._capacity = capacity
        self._entries: dict[IndexKey, tuple[ContactRef, float]] = {}

    def get(self, key: IndexKey, now: float) -> ContactRef | None:
        entry = self._entries.get(key)
        return entry[0] if entry is not None and entry[1] > now else None

    def store(self, ref: ContactRef, keys: Iterable[IndexKey], now: float) -> None:
        expires = now + self._lifetime_s
        for key in keys:
            self._entries.pop(key, None)  # stored again: last in line to go
            self._entries[key] = (ref, expires)
        while len(self._entries) > self._capacity:
            del self._entries[next(iter(self._entries))]

    def forget(self, ref: ContactRef, keys: Iterable[IndexKey]) -> None:
        """Drop the entries of these keys that name `ref` (another contact's stay)."""
        for key in keys:
            entry = self._entries.get(key)
            if entry is not None and entry[0] == ref:
                del self._entries[key]
