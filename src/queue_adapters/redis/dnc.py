"""`DoNotCallLists` on Redis: SETs of E.164 numbers that other services write.

`listed` is one pipeline of SMISMEMBER, one command per list with every number asked: one
round trip on one server. On a cluster the lists may lie in any slots; the cluster client
splits the same pipeline by node and sends each node its part at once, in parallel, so a
batch costs one round trip to each node holding a list, never one per list or per number.
"""

from __future__ import annotations

from collections.abc import Sequence

from redis import exceptions as redis_errors

from queue_adapters.redis._errors import unavailable
from queue_adapters.redis._wire import text
from queue_adapters.redis.connection import RedisClient
from queue_core.domain.errors import InvalidDoNotCallList

__all__ = ["RedisDoNotCallLists"]

_ANOTHER_TYPE = "value of another type"


class RedisDoNotCallLists:
    """The `DoNotCallLists` port: a missing key is an empty list (SMISMEMBER and TYPE say so);
    a key of another type raises `InvalidDoNotCallList` naming it."""

    def __init__(self, client: RedisClient) -> None:
        self._client = client

    async def listed(self, list_names: Sequence[str], numbers: Sequence[str]) -> set[str]:
        asked = list(dict.fromkeys(numbers))
        if not list_names or not asked:
            return set()
        with unavailable():
            pipe = self._client.pipeline(transaction=False)
            for name in list_names:
                pipe.smismember(name, asked)
            replies = await pipe.execute(raise_on_error=False)
        found: set[str] = set()
        for name, reply in zip(list_names, replies, strict=True):
            if isinstance(reply, redis_errors.ResponseError) and "WRONGTYPE" in str(reply):
                raise InvalidDoNotCallList(name, _ANOTHER_TYPE)
            if isinstance(reply, Exception):
                with unavailable():
                    raise reply
            found.update(n for n, member in zip(asked, reply, strict=True) if member)
        return found

    async def check(self, list_names: Sequence[str]) -> None:
        if not list_names:
            return
        with unavailable():
            pipe = self._client.pipeline(transaction=False)
            for name in list_names:
                pipe.type(name)
            kinds = await pipe.execute()
        for name, kind in zip(list_names, kinds, strict=True):
            if text(kind) not in ("set", "none"):
                raise InvalidDoNotCallList(name, text(kind))
