"""`AssemblyStore` on Redis: one hash of facts per launched contact, added to in one script per
execution (however many of its contacts a webhook batch names)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from queue_adapters.redis._errors import unavailable
from queue_adapters.redis._scripts import Scripts
from queue_adapters.redis.connection import RedisClient
from queue_adapters.redis.keys import RedisKeys
from queue_adapters.redis.options import RedisOptions
from queue_core.contacts import ContactAttempt, ContactRef
from queue_core.facts import ContactFact, decode, encode
from queue_core.ports import AssemblySnapshot

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


class RedisAssemblyStore:
    """The `AssemblyStore` port. Facts expire `contact_timeout_s + ttl_margin_s` after the last
    add; the order of the returned facts is unspecified.

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
        self._keys = keys or RedisKeys()
        self._ttl_s = (options or RedisOptions()).contact_ttl_s
        self._scripts = Scripts(client)
        self._stored: dict[ContactRef, frozenset[str]] = {}

    async def add(self, ref: ContactRef, facts: Sequence[ContactFact]) -> AssemblySnapshot | None:
        [snapshot] = await self.add_many([(ref, facts)])
        return snapshot

    async def add_many(
        self, additions: Sequence[tuple[ContactRef, Sequence[ContactFact]]]
    ) -> list[AssemblySnapshot | None]:
        sending: list[tuple[ContactRef, list[ContactFact]]] = []
        by_execution: dict[str, list[int]] = {}
        for n, (ref, facts) in enumerate(additions):
            stored = self._stored.get(ref, frozenset())
            sending.append((ref, [fact for fact in facts if fact.key not in stored]))
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
            args += [ref.claim_id, len(facts)]
            for fact in facts:
                args += [fact.key, encode(fact)]
        reply: list[Any] = json.loads(await self._scripts.run("assembly_add", keys, args))
        return reply


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
