"""The global (To, From) and execution SID indexes, which several adapters read or let go:
lookups in one request (one per node of a cluster) and compare-and-delete releases."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from functools import lru_cache

from redis.asyncio import RedisCluster

from queue_adapters.redis._scripts import Scripts
from queue_adapters.redis._wire import decode_ref, encode_ref
from queue_adapters.redis.connection import RedisClient
from queue_adapters.redis.keys import RedisKeys
from queue_adapters.redis.options import RedisOptions
from queue_core.domain.contacts import ContactRef

__all__ = ["cross_slot", "holder", "index_keys", "lookup", "release"]


def cross_slot(client: RedisClient, options: RedisOptions) -> bool:
    """Whether one script may touch keys of several slots: one server that allows it."""
    return options.cross_slot_scripts and not isinstance(client, RedisCluster)


@lru_cache(maxsize=4096)
def holder(value: str | None) -> ContactRef | None:
    """An index value names one contact for as long as it is in flight: parse each once."""
    return decode_ref(value)


def index_keys(
    keys: RedisKeys, pairs: Sequence[tuple[str, str]], execution_sids: Sequence[str]
) -> list[str]:
    """The index keys of the pairs, then of the SIDs, in the order given."""
    out = [keys.pair(to, from_) for to, from_ in pairs]
    return out + [keys.execution_sid(sid) for sid in execution_sids]


async def lookup(client: RedisClient, keys: list[str]) -> list[ContactRef | None]:
    """The contact each index key names, in one MGET (a pipeline per node of a cluster, since
    every index key has a slot of its own). Not atomic across the keys of a cluster."""
    if not keys:
        return []
    if isinstance(client, RedisCluster):
        values = await client.mget_nonatomic(keys)
    else:
        values = await client.mget(keys)
    return [holder(value) for value in values]


async def release(scripts: Scripts, keys: list[str], ref: ContactRef, *, one_script: bool) -> None:
    """Delete each index key that still points at `ref`: in one script when `one_script`,
    else one script per key, sent together (no order is needed between them)."""
    value = encode_ref(ref)
    if one_script:
        await scripts.run("compare_delete", keys, [value])
        return
    await asyncio.gather(*(scripts.run("compare_delete", [key], [value]) for key in keys))
