"""`AssemblyStore` on Redis: one hash of facts per launched contact, added to in one script per
execution (however many of its contacts a webhook batch names); on one server, a whole batch,
index lookups included, is one script (ADR 0009)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from queue_adapters.redis import _indexes
from queue_adapters.redis._errors import unavailable
from queue_adapters.redis._scripts import Scripts
from queue_adapters.redis.connection import RedisClient
from queue_adapters.redis.keys import RedisKeys
from queue_adapters.redis.options import RedisOptions
from queue_core.domain.contacts import ContactAttempt, ContactRef
from queue_core.domain.facts import ContactFact, decode, encode
from queue_core.ports import AssemblySnapshot, Correlation, FactsByContact, FactsByPair, FactsBySid

__all__ = ["RedisAssemblyStore"]


# A contact's stored attempt and facts come back with every later batch that names it, and
# never change: each distinct value is parsed once (facts and attempts are immutable values).
@lru_cache(maxsize=4096)
def _attempt(stored: str) -> ContactAttempt:
    return ContactAttempt.from_json(stored)


@lru_cache(maxsize=16384)
def _fact(stored: str) -> ContactFact:
    return decode(stored)


# Contacts whose stored fact keys this process remembers (the least recently added go first).
_REMEMBERED_CONTACTS = 4096

# The keys correlate_add.lua makes for a contact it looks up, in its ARGV order.
_TEMPLATED = ("attempts", "launching", "answered", "facts_prefix")


class RedisAssemblyStore:
    """The `AssemblyStore` port. Facts expire `contact_timeout_s + ttl_margin_s` after the last
    add; the order of the returned facts is unspecified. `add_many` is one script per
    execution, run concurrently. `correlate_and_add` is one script on one server (lookups and
    adds together); on a cluster, one pipeline of index GETs per node, then `add_many`.

    A fact whose key this process already saw stored for the contact is not sent again (the
    first delivery stored wins, so sending it would change nothing): the script returns the
    stored one. Webhooks are delivered at least once, and a redelivered batch then costs
    neither encoding nor sending its facts."""

    def __init__(
        self,
        client: RedisClient,
        *,
        keys: RedisKeys | None = None,
        options: RedisOptions | None = None,
    ) -> None:
        options = options or RedisOptions()
        self._client = client
        self._keys = keys or RedisKeys()
        self._ttl_s = options.contact_ttl_s
        self._scripts = Scripts(client)
        self._stored: dict[ContactRef, frozenset[str]] = {}
        self._one_script = _indexes.cross_slot(client, options)
        self._templates = [
            part for name in _TEMPLATED for part in self._keys.around_execution_id(name)
        ]

    async def add(self, ref: ContactRef, facts: Sequence[ContactFact]) -> AssemblySnapshot | None:
        [snapshot] = await self.add_many([(ref, facts)])
        return snapshot

    async def add_many(self, additions: FactsByContact) -> list[AssemblySnapshot | None]:
        sending = [(ref, self._unstored(ref, facts)) for ref, facts in additions]
        by_execution: dict[str, list[int]] = {}
        for n, (ref, _) in enumerate(additions):
            by_execution.setdefault(ref.campaign_execution_id, []).append(n)
        groups = list(by_execution.items())
        runs = [self._run(ce, [sending[n] for n in ns]) for ce, ns in groups]
        with unavailable():
            # Most batches are about one execution: no task for a single request.
            replies = [await runs[0]] if len(runs) == 1 else await asyncio.gather(*runs)
        out: list[AssemblySnapshot | None] = [None] * len(additions)
        for (_, ns), reply in zip(groups, replies, strict=True):
            for n, one in zip(ns, reply, strict=True):
                ref, sent = sending[n]
                out[n] = snapshot = _snapshot(sent, one)
                self._remember(ref, snapshot)
        return out

    async def correlate_and_add(
        self,
        known: FactsByContact,
        by_pair: FactsByPair,
        by_sid: FactsBySid,
    ) -> Correlation:
        index_keys = _indexes.index_keys(
            self._keys, [pair for pair, _ in by_pair], [sid for sid, _ in by_sid]
        )
        found = [facts for _, facts in [*by_pair, *by_sid]]
        if not self._one_script:
            with unavailable():
                refs = await _indexes.lookup(self._client, index_keys)
            merged = _merged(known, zip(refs, found, strict=True))
            snapshots = await self.add_many(list(merged.items()))
            return _correlation(len(by_pair), refs, dict(zip(merged, snapshots, strict=True)))
        sending = [(ref, self._unstored(ref, facts)) for ref, facts in known]
        args: list[str | int | float] = [self._ttl_s, *self._templates, len(sending)]
        for ref, unstored in sending:
            args += [ref.campaign_execution_id, ref.claim_id]
            _add_facts(args, unstored)
        for facts in found:
            _add_facts(args, facts)
        with unavailable():
            reply = await self._scripts.run("correlate_add", index_keys, args)
        holders, replies = (_array(part) for part in json.loads(reply))
        refs = [_indexes.holder(value) if value else None for value in holders]
        sent = _merged(sending, zip(refs, found, strict=True))
        out: dict[ContactRef, AssemblySnapshot | None] = {}
        for execution_id, claim_id, one in replies:
            ref = ContactRef(execution_id, claim_id)
            out[ref] = snapshot = _snapshot(sent[ref], one)
            self._remember(ref, snapshot)
        return _correlation(len(by_pair), refs, out)

    def _unstored(self, ref: ContactRef, facts: Sequence[ContactFact]) -> list[ContactFact]:
        """The facts whose key this process has not seen stored for the contact."""
        stored = self._stored.get(ref, frozenset())
        return [fact for fact in facts if fact.key not in stored]

    def _remember(self, ref: ContactRef, snapshot: AssemblySnapshot | None) -> None:
        """Every fact of a snapshot is stored: remember their keys (a contact with no recorded
        launch is forgotten)."""
        self._stored.pop(ref, None)
        if snapshot is None:
            return
        self._stored[ref] = frozenset(fact.key for fact in snapshot.facts)
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
            _add_facts(args, facts)
        reply: list[Any] = json.loads(await self._scripts.run("assembly_add", keys, args))
        return reply


def _add_facts(args: list[str | int | float], facts: Sequence[ContactFact]) -> None:
    """The script arguments of some facts: their count, then each key and encoded fact."""
    args.append(len(facts))
    for fact in facts:
        args += [fact.key, encode(fact)]


def _array(part: Any) -> list[Any]:
    """A JSON array of a script's reply (Lua's cjson writes an empty one as `{}`)."""
    return part if isinstance(part, list) else []


def _merged(
    known: FactsByContact, found: Iterable[tuple[ContactRef | None, Sequence[ContactFact]]]
) -> dict[ContactRef, list[ContactFact]]:
    """Every contact's facts in the order `correlate_and_add` adds them: the known contacts'
    first, then those of each index that names a contact, in order."""
    merged = {ref: list(facts) for ref, facts in known}
    for ref, facts in found:
        if ref is not None:
            merged.setdefault(ref, []).extend(facts)
    return merged


def _correlation(
    pairs: int,
    refs: list[ContactRef | None],
    snapshots: dict[ContactRef, AssemblySnapshot | None],
) -> Correlation:
    return Correlation(tuple(refs[:pairs]), tuple(refs[pairs:]), snapshots)


def _snapshot(sent: Sequence[ContactFact], reply: Any) -> AssemblySnapshot | None:
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
