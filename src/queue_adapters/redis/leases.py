"""`ExecutionLeases` on Redis: `queue:lease:{<id>}` (owner, token; PEXPIRE) and a fencing token
counter `queue:lease_seq:{<id>}` that is never reset, both in the execution's slot."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence

from redis.asyncio import RedisCluster

from queue_adapters.redis._errors import unavailable
from queue_adapters.redis._scripts import Scripts
from queue_adapters.redis._wire import text
from queue_adapters.redis.connection import RedisClient
from queue_adapters.redis.keys import RedisKeys

__all__ = ["RedisExecutionLeases"]


def _ttl_ms(ttl_s: float) -> int:
    """A lease TTL in whole milliseconds, rounded up; ValueError unless it is > 0."""
    if not ttl_s > 0 or math.isinf(ttl_s):
        raise ValueError(f"ttl_s must be a finite number > 0, not {ttl_s!r}")
    return max(1, math.ceil(ttl_s * 1000))


class RedisExecutionLeases:
    """The `ExecutionLeases` port on one Redis server or cluster. A lease expires on the
    store's clock (PEXPIRE), so instances with skewed clocks agree on who holds it.
    `renew_many` is one pipeline of renew scripts on one server, and the renewals run
    concurrently on a cluster."""

    def __init__(self, client: RedisClient, *, keys: RedisKeys | None = None) -> None:
        self._client = client
        self._keys = keys or RedisKeys()
        self._scripts = Scripts(client)

    async def acquire(self, campaign_execution_id: str, owner: str, ttl_s: float) -> int | None:
        k = self._keys.execution(campaign_execution_id)
        ttl = _ttl_ms(ttl_s)
        with unavailable():
            token = await self._scripts.run("lease_acquire", [k.lease, k.lease_seq], [owner, ttl])
        return None if token is None else int(token)

    async def renew(self, campaign_execution_id: str, owner: str, token: int, ttl_s: float) -> bool:
        k = self._keys.execution(campaign_execution_id)
        ttl = _ttl_ms(ttl_s)
        with unavailable():
            renewed = await self._scripts.run("lease_renew", [k.lease], [owner, token, ttl])
        return bool(renewed)

    async def renew_many(
        self, leases: Sequence[tuple[str, int]], owner: str, ttl_s: float
    ) -> list[bool]:
        ttl = _ttl_ms(ttl_s)
        if not leases:
            return []
        with unavailable():
            if isinstance(self._client, RedisCluster):
                # Every lease has its execution's slot: the renewals go concurrently.
                answers = await asyncio.gather(
                    *(
                        self.renew(execution_id, owner, token, ttl_s)
                        for execution_id, token in leases
                    )
                )
                return list(answers)
            script = self._scripts.script("lease_renew")
            pipe = self._client.pipeline(transaction=False)
            for execution_id, token in leases:
                lease = self._keys.execution(execution_id).lease
                await script(keys=[lease], args=[owner, token, ttl], client=pipe)
            renewed = await pipe.execute()
        return [bool(answer) for answer in renewed]

    async def release(self, campaign_execution_id: str, owner: str, token: int) -> None:
        k = self._keys.execution(campaign_execution_id)
        with unavailable():
            await self._scripts.run("lease_release", [k.lease], [owner, token])

    async def holder(self, campaign_execution_id: str) -> str | None:
        k = self._keys.execution(campaign_execution_id)
        with unavailable():
            owner = await self._client.hget(k.lease, "owner")
        return None if owner is None else text(owner)
