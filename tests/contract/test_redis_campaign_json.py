"""The RedisJSON form of `campaign_execution:<id>`.

No RedisJSON module can be loaded into the test `redis-server` here, so JSON.GET is proven on
fakeredis' RedisJSON emulation; the real server proves the fallbacks (a string, other types,
and a server without the module)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from fakeredis import FakeAsyncRedis
from redis.asyncio import Redis

from queue_adapters.redis import RedisCampaignExecutionStore
from queue_core.domain.campaign import CampaignExecution
from queue_core.domain.errors import InvalidCampaignExecution
from tests.contract.test_store_campaign_and_stats import CE, DOCUMENT

KEY = f"campaign_execution:{CE}"


@pytest.fixture
async def json_redis() -> AsyncIterator[FakeAsyncRedis]:
    client = FakeAsyncRedis(decode_responses=True)
    yield client
    await client.aclose()


async def test_a_redisjson_document_is_read_with_json_get(json_redis: FakeAsyncRedis) -> None:
    await json_redis.json().set(KEY, "$", DOCUMENT)

    execution = await RedisCampaignExecutionStore(json_redis).load(CE)

    assert execution == CampaignExecution.from_document(DOCUMENT, key=KEY)


async def test_an_invalid_redisjson_document_names_key_and_field(
    json_redis: FakeAsyncRedis,
) -> None:
    await json_redis.json().set(KEY, "$", {**DOCUMENT, "task_queue_sid": 42})

    with pytest.raises(InvalidCampaignExecution, match=f"{KEY}: field 'task_queue_sid'"):
        await RedisCampaignExecutionStore(json_redis).load(CE)


@pytest.mark.redis
@pytest.mark.parametrize("kind", ["list", "hash"])
async def test_a_key_of_another_type_names_its_type(redis_client: Redis, kind: str) -> None:
    if kind == "list":
        await redis_client.rpush(KEY, json.dumps(DOCUMENT))
    else:
        await redis_client.hset(KEY, "document", json.dumps(DOCUMENT))

    with pytest.raises(InvalidCampaignExecution, match=f"{KEY}: holds a {kind}"):
        await RedisCampaignExecutionStore(redis_client).load(CE)


async def test_a_redisjson_document_is_read_within_the_same_bounds(
    json_redis: FakeAsyncRedis,
) -> None:
    nested: dict[str, object] = {"n": 1}
    for _ in range(40):
        nested = {"n": nested}
    await json_redis.json().set(KEY, "$", {**DOCUMENT, "notes": nested})

    with pytest.raises(InvalidCampaignExecution, match=f"{KEY}: .*deeper than 32 levels"):
        await RedisCampaignExecutionStore(json_redis).load(CE)


async def test_a_redisjson_document_naming_another_execution_is_invalid(
    json_redis: FakeAsyncRedis,
) -> None:
    await json_redis.json().set(KEY, "$", {**DOCUMENT, "campaign_execution_id": "ce-43"})

    with pytest.raises(InvalidCampaignExecution, match="'ce-43', not 'ce-42'"):
        await RedisCampaignExecutionStore(json_redis).load(CE)
