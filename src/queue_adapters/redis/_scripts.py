"""The Lua scripts of `lua/`, read once and registered on a client (EVALSHA, loaded on NOSCRIPT).

Every script takes all its keys in KEYS and every multi-key script's keys share one hash slot.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from redis.commands.core import AsyncScript

from queue_adapters.redis.connection import RedisClient

__all__ = ["Scripts"]


@cache
def _source(name: str) -> str:
    return resources.files("queue_adapters.redis.lua").joinpath(f"{name}.lua").read_text("utf-8")


class Scripts:
    """The named scripts bound to one client; each is registered on first use only."""

    def __init__(self, client: RedisClient) -> None:
        self._client = client
        self._registered: dict[str, AsyncScript] = {}

    def script(self, name: str) -> AsyncScript:
        """The script registered on this client (to queue it on a pipeline: loaded, when
        missing, as the pipeline runs)."""
        script = self._registered.get(name)
        if script is None:
            script = self._registered[name] = self._client.register_script(_source(name))
        return script

    async def run(self, name: str, keys: list[str], args: list[str | int | float]) -> Any:
        return await self.script(name)(keys=keys, args=args)
