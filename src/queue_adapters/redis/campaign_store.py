"""`CampaignExecutionStore` on Redis: fetch and decode `campaign_execution:<id>`.

The document is a RedisJSON value (read with JSON.GET) or a plain string holding JSON (GET).
This module only fetches its text; `CampaignExecution.parse` reads it within bounds and
validates it, whichever way it was stored.
"""

from __future__ import annotations

import json

from redis.exceptions import ResponseError

from queue_adapters.redis._errors import unavailable
from queue_adapters.redis._wire import text
from queue_adapters.redis.connection import RedisClient
from queue_adapters.redis.keys import RedisKeys
from queue_core.domain.campaign import CampaignExecution
from queue_core.domain.errors import InvalidCampaignExecution

__all__ = ["RedisCampaignExecutionStore"]


class _Text(json.JSONDecoder):
    """redis-py's JSON.GET answer left as the text it is (`CampaignExecution.parse` reads it)."""

    def decode(self, s: str, *args: object, **kwargs: object) -> object:
        return s


_AS_TEXT = _Text()


class RedisCampaignExecutionStore:
    """The `CampaignExecutionStore` port.

    GET first (one round trip for a string); on WRONGTYPE, JSON.GET; when that fails too (no
    RedisJSON, or a list, hash...), TYPE names what the key holds in the error.
    """

    def __init__(self, client: RedisClient, *, keys: RedisKeys | None = None) -> None:
        self._client = client
        self._keys = keys or RedisKeys()

    async def load(self, campaign_execution_id: str) -> CampaignExecution:
        key = self._keys.campaign_execution(campaign_execution_id)
        with unavailable():
            text = await self._fetch(key)
        return CampaignExecution.parse(text, key=key, campaign_execution_id=campaign_execution_id)

    async def _fetch(self, key: str) -> str | bytes:
        try:
            raw: str | bytes | None = await self._client.get(key)
        except ResponseError as exc:
            if not str(exc).startswith("WRONGTYPE"):
                raise
            raw = await self._fetch_json(key)
        if raw is None:
            raise InvalidCampaignExecution(f"{key}: no such key")
        return raw

    async def _fetch_json(self, key: str) -> str | bytes | None:
        try:
            # The document's text as JSON.GET writes it, read as a string's would be. (redis-py
            # keeps the decoder for JSON.GET on the client: nothing else here reads RedisJSON.)
            found = await self._client.json(decoder=_AS_TEXT).get(key)
        except ResponseError:
            kind = text(await self._client.type(key))
            raise InvalidCampaignExecution(
                f"{key}: holds a {kind}, not a RedisJSON document nor a string of JSON"
            ) from None
        return found if isinstance(found, str | bytes) else None
