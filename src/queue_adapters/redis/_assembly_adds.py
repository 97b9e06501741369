"""Adding facts to contacts' assemblies: one `assembly_add.lua` per execution, the keys of the
facts this process saw stored, and the snapshots read from the scripts' replies. Both ways of
running a contact's steps (`_contact_steps`) add through this."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from queue_adapters.redis._scripts import Scripts
from queue_adapters.redis.keys import RedisKeys
from queue_core.domain.contacts import ContactAttempt, ContactRef
from queue_core.domain.facts import ContactFact, decode, encode
from queue_core.ports import AssemblySnapshot, Correlation, FactsByContact

__all__ = ["AssemblyAdds", "add_facts", "correlation", "json_array", "merged", "snapshot"]

# Contacts whose stored fact keys this process remembers (the least recently added go first).
_REMEMBERED_CONTACTS = 4096


# A contact's stored attempt and facts come back with every later batch that names it, and
# never change: each distinct value is parsed once (facts and attempts are immutable values).
@lru_cache(maxsize=4096)
def _attempt(stored: str) -> ContactAttempt:
    return ContactAttempt.from_json(stored)


@lru_cache(maxsize=16384)
def _fact(stored: str) -> ContactFact:
    return decode(stored)


class AssemblyAdds:
    """Adds facts, one script per execution, and remembers which fact keys are stored.

    A fact whose key this process already saw stored for the contact is not sent again (the
    first delivery stored wins, so sending it would change nothing): the script returns the
    stored one."""

    def __init__(self, scripts: Scripts, keys: RedisKeys, ttl_s: int) -> None:
        self._scripts = scripts
        self._keys = keys
        self._ttl_s = ttl_s
        self._stored: dict[ContactRef, frozenset[str]] = {}

    async def add_many(self, additions: FactsByContact) -> list[AssemblySnapshot | None]:
        """Each contact's snapshot after the add, in order; None without a recorded launch."""
        sending = [(ref, self.unstored(ref, facts)) for ref, facts in additions]
        by_execution: dict[str, list[int]] = {}
        for n, (ref, _) in enumerate(additions):
            by_execution.setdefault(ref.campaign_execution_id, []).append(n)
        groups = list(by_execution.items())
        runs = [self._run(ce, [sending[n] for n in ns]) for ce, ns in groups]
        # Most batches are about one execution: no task for a single request.
        replies = [await runs[0]] if len(runs) == 1 else await asyncio.gather(*runs)
        out: list[AssemblySnapshot | None] = [None] * len(additions)
        for (_, ns), reply in zip(groups, replies, strict=True):
            for n, one in zip(ns, reply, strict=True):
                ref, sent = sending[n]
                out[n] = taken = snapshot(sent, one)
                self.remember(ref, taken)
        return out

    def unstored(self, ref: ContactRef, facts: Sequence[ContactFact]) -> list[ContactFact]:
        """The facts whose key this process has not seen stored for the contact."""
        stored = self._stored.get(ref, frozenset())
        return [fact for fact in facts if fact.key not in stored]

    def remember(self, ref: ContactRef, taken: AssemblySnapshot | None) -> None:
        """Every fact of a snapshot is stored: remember their keys (a contact with no recorded
        launch is forgotten)."""
        self._stored.pop(ref, None)
        if taken is None:
            return
        self._stored[ref] = frozenset(fact.key for fact in taken.facts)
        if len(self._stored) > _REMEMBERED_CONTACTS:
            del self._stored[next(iter(self._stored))]

    async def _run(
        self, execution_id: str, additions: list[tuple[ContactRef, Sequence[ContactFact]]]
    ) -> list[Any]:
        """One script for the contacts of one execution (all its keys are in one slot)."""
        k = self._keys.execution(execution_id)
        keys = [k.attempts, k.launching, k.answered]
        args: list[str | int | float] = [self._ttl_s]
        for ref, facts in additions:
            keys.append(k.facts(ref.claim_id))
            args.append(ref.claim_id)
            add_facts(args, facts)
        reply: list[Any] = json.loads(await self._scripts.run("assembly_add", keys, args))
        return reply


def add_facts(args: list[str | int | float], facts: Sequence[ContactFact]) -> None:
    """The script arguments of some facts: their count, then each key and encoded fact."""
    args.append(len(facts))
    for fact in facts:
        args += [fact.key, encode(fact)]


def json_array(part: Any) -> list[Any]:
    """A JSON array of a script's reply (Lua's cjson writes an empty one as `{}`)."""
    return part if isinstance(part, list) else []


def merged(
    known: FactsByContact, found: Iterable[tuple[ContactRef | None, Sequence[ContactFact]]]
) -> dict[ContactRef, list[ContactFact]]:
    """Every contact's facts in the order `correlate_and_add` adds them: the known contacts'
    first, then those of each index that names a contact, in order."""
    out = {ref: list(facts) for ref, facts in known}
    for ref, facts in found:
        if ref is not None:
            out.setdefault(ref, []).extend(facts)
    return out


def correlation(
    pairs: int,
    sids: int,
    refs: list[ContactRef | None],
    snapshots: dict[ContactRef, AssemblySnapshot | None],
) -> Correlation:
    """The answer of `correlate_and_add`: the holders of the `pairs` pair keys, of the `sids`
    SID keys, then of the call keys, and each contact's snapshot."""
    by_sid = tuple(refs[pairs : pairs + sids])
    return Correlation(tuple(refs[:pairs]), by_sid, snapshots, tuple(refs[pairs + sids :]))


def snapshot(sent: Sequence[ContactFact], reply: Any) -> AssemblySnapshot | None:
    """The snapshot from the script's reply: the facts sent (first delivery of each key), with
    the stored facts that differ from them decoded over them."""
    if not isinstance(reply, list):
        return None
    stored, answered, *others = reply
    facts: dict[str, ContactFact] = {}
    for fact in sent:
        facts.setdefault(fact.key, fact)
    for value in others:
        fact = _fact(value)
        facts[fact.key] = fact
    return AssemblySnapshot(_attempt(stored), tuple(facts.values()), bool(answered))
