"""`AssemblyStore` on Redis: one hash of facts per launched contact, added to in one script."""

from __future__ import annotations

from collections.abc import Sequence

from queue_adapters.redis._errors import unavailable
from queue_adapters.redis._scripts import Scripts
from queue_adapters.redis._wire import text
from queue_adapters.redis.connection import RedisClient
from queue_adapters.redis.keys import RedisKeys
from queue_adapters.redis.options import RedisOptions
from queue_core.contacts import ContactAttempt, ContactRef
from queue_core.facts import ContactFact, decode, encode
from queue_core.ports import AssemblySnapshot

__all__ = ["RedisAssemblyStore"]


class RedisAssemblyStore:
    """The `AssemblyStore` port. Facts expire `contact_timeout_s + ttl_margin_s` after the last
    add; the order of the returned facts is unspecified."""

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

    async def add(self, ref: ContactRef, facts: Sequence[ContactFact]) -> AssemblySnapshot | None:
        k = self._keys.execution(ref.campaign_execution_id)
        args: list[str | int | float] = [ref.claim_id, self._ttl_s]
        for fact in facts:
            args += [fact.key, encode(fact)]
        with unavailable():
            reply = await self._scripts.run(
                "assembly_add", [k.attempts, k.facts(ref.claim_id), k.launching], args
            )
        if reply is None:
            return None
        attempt, encoded = reply
        return AssemblySnapshot(
            attempt=ContactAttempt.from_json(text(attempt)),
            facts=tuple(decode(value) for value in encoded),
        )
