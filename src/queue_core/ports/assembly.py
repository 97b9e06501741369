"""The `AssemblyStore` port: the facts known about each launched contact, shared by every
instance, from which the assembler decides its disposition."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from queue_core.domain.contacts import ContactAttempt, ContactRef
from queue_core.domain.facts import ContactFact

__all__ = [
    "AssemblySnapshot",
    "AssemblyStore",
    "Correlation",
    "FactsByCall",
    "FactsByContact",
    "FactsByPair",
    "FactsBySid",
]

# What `AssemblyStore.add_many` and `correlate_and_add` take: facts per contact, per
# (to, from) pair, per execution SID and per call SID.
FactsByContact = Sequence[tuple[ContactRef, Sequence[ContactFact]]]
FactsByPair = Sequence[tuple[tuple[str, str], Sequence[ContactFact]]]
FactsBySid = Sequence[tuple[str, Sequence[ContactFact]]]
FactsByCall = Sequence[tuple[str, Sequence[ContactFact]]]


@dataclass(frozen=True, slots=True)
class AssemblySnapshot:
    """All facts known about one contact, after adding new ones, one per `fact.key` (in no
    particular order), and whether the contact already counts as answered
    (`ActiveCallRegistry.mark_answered`), read in the same atomic step."""

    attempt: ContactAttempt
    facts: tuple[ContactFact, ...] = field(default_factory=tuple)
    answered: bool = False


@dataclass(frozen=True, slots=True)
class Correlation:
    """What `AssemblyStore.correlate_and_add` found and did: the contact holding each pair, each
    execution SID and each call SID asked (None: no contact), in the order asked, and the
    snapshot of every contact facts went to (None as `AssemblyStore.add` answers it)."""

    by_pair: tuple[ContactRef | None, ...]
    by_sid: tuple[ContactRef | None, ...]
    snapshots: Mapping[ContactRef, AssemblySnapshot | None]
    by_call: tuple[ContactRef | None, ...] = ()


class AssemblyStore(Protocol):
    """The facts of each launched contact, deduplicated on `fact.key` (webhooks come at least
    once: the first delivery stored wins). A contact's facts are dropped when it settles
    (`ContactCache.settle`), or once the contact timeout (or a little more) has passed since
    their last add."""

    async def add(self, ref: ContactRef, facts: Sequence[ContactFact]) -> AssemblySnapshot | None:
        """Atomically add facts and return every fact now known. None when the contact has no
        stored attempt (unknown, already settled, or reserved for a launch not recorded yet:
        then the facts are kept, and `record_launch` hands them over). Idempotent."""
        ...

    async def add_many(self, additions: FactsByContact) -> list[AssemblySnapshot | None]:
        """`add` for several contacts (each at most once), answers in the same order. Atomic
        per contact, not across contacts."""
        ...

    async def correlate_and_add(
        self,
        known: FactsByContact,
        by_pair: FactsByPair,
        by_sid: FactsBySid,
        by_call: FactsByCall = (),
    ) -> Correlation:
        """`ActiveCallRegistry.holders` of the (to, from) pairs and execution SIDs, and the
        holders of the call SIDs (`ActiveCallRegistry.index_call`), then `add_many` for the
        `known` contacts (each at most once) and the contacts those indexes hold. A contact
        gets one add with all its facts: its `known` ones first, then those of its pairs, of
        its SIDs, then of its calls, in the order given. Facts of an index that no contact holds
        are not added (the caller may park them). Where the store can, the lookup and the adds
        are one atomic step; else the lookup comes first (none when no index is asked), then
        the adds, atomic per contact, as `holders` then `add_many` would. What it costs does
        not grow with the number of facts (ADR 0015)."""
        ...
