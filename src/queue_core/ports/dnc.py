"""The `DoNotCallLists` port: the do-not-call lists an execution names, read at dial time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

__all__ = ["DoNotCallLists"]


class DoNotCallLists(Protocol):
    """Lists of E.164 numbers that must not be dialed, written by other services and named by
    an execution's `dnc_sets`. A list that does not exist is empty. This service only reads
    them, at the moment of dialing, so a number added a moment ago is seen."""

    async def listed(self, list_names: Sequence[str], numbers: Sequence[str]) -> set[str]:
        """The numbers among `numbers` that are on at least one of the lists, as they read
        when the call was made. One request to the store per call, whatever the counts of
        lists and numbers, so the caller asks once per batch of claimed records. Raises
        `InvalidDoNotCallList` naming a list that holds something other than a set of
        numbers. Read-only: a retry is harmless."""
        ...

    async def check(self, list_names: Sequence[str]) -> None:
        """Raise `InvalidDoNotCallList` naming the first of `list_names` that holds something
        other than a set of numbers; a list that does not exist is fine (empty). For a `start`
        to refuse an execution whose lists cannot be read."""
        ...
