"""How a webhook batch finds its contacts: each fact by its global index (the (To, From) pair
of a voice event, the execution SID of a Studio fact or a flow report, the call SID of a
TaskRouter task), or by a contact the tracker remembers from an earlier batch."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Set
from dataclasses import dataclass, field

from queue_core.domain.assembler import DispositionAssembler
from queue_core.domain.contacts import ContactRef
from queue_core.domain.facts import (
    AmdEvent,
    CallStatusReport,
    ContactFact,
    ReservationAccepted,
    StudioExecutionEvent,
    StudioStepEvent,
    TaskCanceled,
    TaskCreated,
    VoiceCallEvent,
)
from queue_core.ports import AssemblySnapshot
from queue_core.services.index_memory import IndexKey

__all__ = ["Batch", "bound_call", "index_key"]


@dataclass
class Batch:
    """One batch's facts, sorted by how they find their contact: a contact remembered from an
    earlier batch, the (To, From) pair index, the execution SID index, the call SID index,
    or none."""

    by_contact: dict[ContactRef, list[ContactFact]] = field(
        default_factory=lambda: defaultdict(list)
    )
    keys_of: dict[ContactRef, set[IndexKey]] = field(default_factory=lambda: defaultdict(set))
    by_pair: dict[tuple[str, str], list[ContactFact]] = field(
        default_factory=lambda: defaultdict(list)
    )
    by_sid: dict[str, list[ContactFact]] = field(default_factory=lambda: defaultdict(list))
    by_call: dict[str, list[ContactFact]] = field(default_factory=lambda: defaultdict(list))
    known: set[IndexKey] = field(default_factory=set)
    unmatched: int = 0

    def add(self, fact: ContactFact, key: IndexKey, remembered: ContactRef | None) -> None:
        if remembered is not None:
            self.found(remembered, [fact], key)
            self.known.add(key)
            return
        match key:
            case ("pair", to, from_):
                self.by_pair[to, from_].append(fact)
            case ("sid", sid):
                self.by_sid[sid].append(fact)
            case ("call", sid):
                self.by_call[sid].append(fact)
            case _:
                self.unmatched += 1

    def found(self, ref: ContactRef | None, facts: list[ContactFact], key: IndexKey) -> None:
        """An index named `ref` for `facts` (None: no contact, they count as unmatched)."""
        if ref is None:
            self.unmatched += len(facts)
            return
        self.by_contact[ref].extend(facts)
        self.keys_of[ref].add(key)

    @property
    def asks_store(self) -> bool:
        return bool(self.by_contact or self.by_pair or self.by_sid or self.by_call)


def index_key(fact: ContactFact) -> IndexKey:
    """The global index that correlates a fact to its contact."""
    if isinstance(fact, VoiceCallEvent | AmdEvent):
        return ("pair", fact.to, fact.from_)
    if isinstance(fact, StudioExecutionEvent | StudioStepEvent | CallStatusReport):
        return ("sid", fact.execution_sid)
    if isinstance(fact, TaskCreated | ReservationAccepted | TaskCanceled):
        return ("call", fact.call_sid)
    return ("none",)


def bound_call(snapshot: AssemblySnapshot, without: Set[str] = frozenset()) -> str:
    """The call the contact's facts (but those of keys `without`) bind it to, when its attempt
    expects task events: only then is its call indexed (ADR 0025). "" otherwise."""
    attempt = snapshot.attempt
    if not attempt.expect_task_events:
        return ""
    facts = [fact for fact in snapshot.facts if fact.key not in without]
    return DispositionAssembler.call_sid(attempt, facts)
