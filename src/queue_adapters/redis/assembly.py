"""`AssemblyStore` on Redis: one hash of facts per launched contact, added to in one script per
execution (however many of its contacts a webhook batch names); on one server, a whole batch,
index lookups included, is one script (ADR 0009): a step of a contact (`_contact_steps`)."""

from __future__ import annotations

from collections.abc import Sequence

from queue_adapters.redis._assembly_adds import AssemblyAdds
from queue_adapters.redis._contact_steps import contact_steps
from queue_adapters.redis._errors import unavailable
from queue_adapters.redis._scripts import Scripts
from queue_adapters.redis.connection import RedisClient
from queue_adapters.redis.keys import RedisKeys
from queue_adapters.redis.options import RedisOptions
from queue_core.domain.contacts import ContactRef
from queue_core.domain.facts import ContactFact
from queue_core.ports import (
    AssemblySnapshot,
    Correlation,
    FactsByCall,
    FactsByContact,
    FactsByPair,
    FactsBySid,
)

__all__ = ["RedisAssemblyStore"]


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
        keys = keys or RedisKeys()
        self._adds = AssemblyAdds(Scripts(client), keys, options.contact_ttl_s)
        self._steps = contact_steps(client, keys, options)

    async def add(self, ref: ContactRef, facts: Sequence[ContactFact]) -> AssemblySnapshot | None:
        [snapshot] = await self.add_many([(ref, facts)])
        return snapshot

    async def add_many(self, additions: FactsByContact) -> list[AssemblySnapshot | None]:
        with unavailable():
            return await self._adds.add_many(additions)

    async def correlate_and_add(
        self,
        known: FactsByContact,
        by_pair: FactsByPair,
        by_sid: FactsBySid,
        by_call: FactsByCall = (),
    ) -> Correlation:
        with unavailable():
            return await self._steps.correlate_and_add(self._adds, known, by_pair, by_sid, by_call)
