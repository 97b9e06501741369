"""Open a Redis or Redis Cluster client from a URL: the one place that picks between them."""

from __future__ import annotations

from typing import Any, TypeAlias

from redis.asyncio import BlockingConnectionPool, Redis, RedisCluster

from queue_adapters.redis._errors import unavailable

__all__ = ["RedisClient", "connect"]

RedisClient: TypeAlias = Redis | RedisCluster
"""What every adapter's constructor accepts: one server or a cluster."""


async def connect(
    url: str, *, cluster: bool | None = None, max_connections: int = 100, **options: Any
) -> RedisClient:
    """A client for `url` (`redis://`, `rediss://`, `unix://`), decoding responses as UTF-8.

    `cluster=None` asks the server (`INFO cluster`) and returns a `RedisCluster` when cluster
    mode is enabled; True or False forces the choice. `options` go to the connections
    (timeouts, retry...). On one server, a burst of more than `max_connections` concurrent
    calls waits for a free connection (a blocking pool) instead of failing; a cluster client
    holds `max_connections` per node and fails past that (`StoreUnavailable`). A blocking
    control-stream read needs a `socket_timeout`, when one is set, longer than its `block_ms`.
    Raises `StoreUnavailable` when the server cannot be reached to decide.
    """
    options.setdefault("decode_responses", True)
    # Bytes that are not UTF-8 (a hostile control entry, a broken record) read as U+FFFD
    # instead of failing the whole reply: the entry can then be refused and dead-lettered.
    options.setdefault("encoding_errors", "replace")
    if cluster is None:
        probe = Redis.from_url(url, **options)
        try:
            with unavailable():
                info = await probe.info("cluster")
        finally:
            await probe.aclose()
        cluster = bool(info.get("cluster_enabled"))
    if cluster:
        client = RedisCluster.from_url(url, max_connections=max_connections, **options)
        # Learn the slots now: a fresh client that first meets several concurrent commands
        # learns them under each, and redis-py 8.1 then sometimes writes on a connection it
        # just closed (AttributeError, not a RedisError).
        with unavailable():
            await client.initialize()
        return client
    pool = BlockingConnectionPool.from_url(url, max_connections=max_connections, **options)
    return Redis.from_pool(pool)
