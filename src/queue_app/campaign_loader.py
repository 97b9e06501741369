"""`CampaignLoader`: write a campaign execution's document and its contact cache, as the
campaign manager and the cache service would, all or nothing (`queue-service load`).

On a single server both keys are written by one MULTI/EXEC that WATCHes them and the
execution's state: a partial write cannot happen, and a change by anyone else between the
checks and the write aborts it whole. On a Redis Cluster the document (`campaign_execution:<id>`)
and the cache (`campaign_cache:{<id>}`) lie in different slots, so no transaction holds both:
the cache is written first by one transaction, then the document by another. A failure between
the two leaves a cache without its document, which `start` refuses (event `failed`, nothing
launched) and a second load with `replace` mends.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from redis.asyncio import RedisCluster
from redis.exceptions import WatchError

from queue_adapters.redis import RedisClient, RedisKeys, RedisQueueStateStore
from queue_core.domain.campaign import CampaignExecution
from queue_core.domain.errors import QueueError
from queue_core.domain.state import LIVE_STATES

__all__ = ["CampaignLoadRefused", "CampaignLoader"]

# Records per RPUSH inside the transaction: one command stays a reasonable size.
_CHUNK = 1000

Write = Callable[[Any], None]


class CampaignLoadRefused(QueueError):
    """Nothing was written: the keys exist (`existing` names them) and `replace` was not
    given, or the execution is live, or someone changed the keys while they were written."""

    def __init__(self, message: str, existing: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.existing = list(existing)


class CampaignLoader:
    """Writes `campaign_execution:<id>` (a JSON string) and `campaign_cache:{<id>}`."""

    def __init__(self, redis: RedisClient, keys: RedisKeys | None = None) -> None:
        self._redis = redis
        self._keys = keys or RedisKeys()
        self._states = RedisQueueStateStore(redis, keys=self._keys)

    async def load(
        self, execution: CampaignExecution, records: Sequence[str], *, replace: bool = False
    ) -> None:
        """Write the document and exactly `records` (raw cache entries, in order) as the cache.

        Refuses with `CampaignLoadRefused`, writing nothing, when either key exists and
        `replace` is false, and whatever `replace` says while the execution is running, paused,
        stopping or draining (stop it first). Raises `StoreUnavailable` or a Redis error when
        Redis cannot be reached; see the module docstring for a cluster.
        """
        execution_id = execution.campaign_execution_id
        document_key = self._keys.campaign_execution(execution_id)
        cache_key = self._keys.campaign_cache(execution_id)
        state_key = self._keys.execution(execution_id).state
        document = json.dumps(execution.to_document(), separators=(",", ":"))

        def write_cache(pipe: Any) -> None:
            pipe.delete(cache_key)
            for start in range(0, len(records), _CHUNK):
                pipe.rpush(cache_key, *records[start : start + _CHUNK])

        def write_document(pipe: Any) -> None:
            pipe.set(document_key, document)

        keep = [] if replace else [document_key, cache_key]  # keys not to write over
        if not isinstance(self._redis, RedisCluster):
            watched = [document_key, cache_key, state_key]
            await self._transaction(execution_id, watched, keep, [write_cache, write_document])
            return
        # Two slots, two transactions (module docstring); both keys checked before the first.
        existing = [key for key in keep if await self._redis.type(key) != "none"]
        if existing:
            raise _exists(existing)
        for watched, write in (
            ([cache_key, state_key], write_cache),
            ([document_key], write_document),
        ):
            await self._transaction(
                execution_id, watched, [k for k in keep if k in watched], [write]
            )

    async def _transaction(
        self,
        execution_id: str,
        watched: Sequence[str],
        keep: Sequence[str],
        writes: Sequence[Write],
    ) -> None:
        """Write with `writes` in one MULTI/EXEC, `watched` WATCHed (one slot on a cluster);
        refuse when the execution is live or one of `keep` (keys not to overwrite) exists."""
        # One server's pipeline or a cluster's: the two are typed apart, and used alike here.
        pipeline: Any = self._redis.pipeline(transaction=True)
        async with pipeline as pipe:
            await pipe.watch(*watched)
            status = await self._states.load(execution_id)
            if status is not None and status.state in LIVE_STATES:
                raise CampaignLoadRefused(
                    f"execution {execution_id} is {status.state.value}: stop it before loading"
                )
            # TYPE, not EXISTS: a cluster's transaction drops an EXISTS sent before MULTI.
            existing = [key for key in keep if await pipe.type(key) != "none"]
            if existing:
                raise _exists(existing)
            pipe.multi()
            for write in writes:
                write(pipe)
            try:
                await pipe.execute()
            except WatchError:
                raise CampaignLoadRefused(
                    f"execution {execution_id}: its keys changed while they were being "
                    "written; nothing was written"
                ) from None


def _exists(keys: Sequence[str]) -> CampaignLoadRefused:
    verb = "exists" if len(keys) == 1 else "exist"
    return CampaignLoadRefused(f"{', '.join(keys)} already {verb}", existing=keys)
