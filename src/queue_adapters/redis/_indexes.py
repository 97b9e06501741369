"""The global (To, From), execution SID and call SID indexes, which several adapters read:
their keys, and lookups in one request (one per node of a cluster). Writing and letting go of
them are steps of a contact (`_contact_steps`)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from redis.asyncio import RedisCluster

from queue_adapters.redis._wire import decode_ref
from queue_adapters.redis.connection import RedisClient
from queue_adapters.redis.keys import RedisKeys
from queue_core.domain.contacts import ContactAttempt, ContactRef

__all__ = ["holder", "index_keys", "lookup", "of_attempt"]


@lru_cache(maxsize=4096)
def holder(value: str | None) -> ContactRef | None:
    """An index value names one contact for as long as it is in flight: parse each once."""
    return decode_ref(value)


def index_keys(
    keys: RedisKeys,
    pairs: Sequence[tuple[str, str]],
    execution_sids: Sequence[str],
    call_sids: Sequence[str] = (),
) -> list[str]:
    """The index keys of the pairs, then of the SIDs, then of the calls, in the order given."""
    out = [keys.pair(to, from_) for to, from_ in pairs]
    out += [keys.execution_sid(sid) for sid in execution_sids]
    return out + [keys.call(sid) for sid in call_sids]


def of_attempt(keys: RedisKeys, attempt: ContactAttempt, call_sid: str = "") -> list[str]:
    """The index keys of a launch: its pair, then its SID when it has one, then its call's
    when it expects task events and `call_sid` names the call (only those are indexed)."""
    sids = [attempt.execution_sid] if attempt.execution_sid else []
    calls = [call_sid] if call_sid and attempt.expect_task_events else []
    return index_keys(keys, [(attempt.to, attempt.from_)], sids, calls)


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
