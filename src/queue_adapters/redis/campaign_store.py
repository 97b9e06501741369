"""`CampaignExecutionStore` on Redis: fetch and decode `campaign_execution:<id>`.

The document is a RedisJSON value (read with JSON.GET) or a plain string holding JSON (GET).
This module only fetches and decodes; `CampaignExecution.from_document` is the one validation.
"""

from __future__ import annotations

import json

from redis.exceptions import ResponseError

from queue_adapters.redis._errors import unavailable
from queue_adapters.redis._wire import text
from queue_adapters.redis.connection import RedisClient
from queue_adapters.redis.keys import RedisKeys
from queue_core.campaign import CampaignExecution
from queue_core.errors import InvalidCampaignExecution

__all__ = ["RedisCampaignExecutionStore"]


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
            document = await self._fetch(key)
        return CampaignExecution.from_document(document, key=key)

    async def _fetch(self, key: str) -> object:
        try:
            raw = await self._client.get(key)
        except ResponseError as exc:
            if not str(exc).startswith("WRONGTYPE"):
                raise
            return await self._fetch_json(key)
        if raw is None:
            raise InvalidCampaignExecution(f"{key}: no such key")
        try:
            return json.loads(raw)
        except ValueError:
            raise InvalidCampaignExecution(f"{key}: the value is not JSON") from None

    async def _fetch_json(self, key: str) -> object:
        try:
            return await self._client.json().get(key)
        except ResponseError:
            kind = text(await self._client.type(key))
            raise InvalidCampaignExecution(
                f"{key}: holds a {kind}, not a RedisJSON document nor a string of JSON"
            ) from None
