"""`CampaignLoader` on one server and on a 3-master cluster: the document and the cache written
whole (no CROSSSLOT on a cluster), existing keys kept unless `replace`, nothing written over a
live execution, and a change by anyone else during the load aborts it on one server."""

from __future__ import annotations

import json

import pytest
from redis.asyncio import Redis

from queue_adapters.redis import RedisClient, RedisKeys, RedisQueueStateStore
from queue_app.campaign_loader import CampaignLoader, CampaignLoadRefused
from queue_core.domain.campaign import CampaignExecution
from queue_core.domain.state import QueueState
from queue_core.ports import ExecutionStatus
from tests.contract.conftest import BACKENDS

pytestmark = pytest.mark.redis

KEYS = RedisKeys()
EXECUTION = CampaignExecution("ce-7", "FW" + "a" * 32, "+15005550006", "WQ" + "b" * 32)
RECORDS = [
    json.dumps({"record_id": f"r-{n}", "phone_number": f"+1415555{n:04d}", "attributes": {}})
    for n in range(2500)  # more than one RPUSH's worth
]


async def seed_state(client: RedisClient, execution_id: str, state: QueueState) -> None:
    """What the loader finds stored: an execution's state hash, as transitions leave it."""
    keys = RedisKeys()
    await client.hset(keys.execution(execution_id).state, mapping={"state": state.value})
    await client.sadd(keys.executions, execution_id)


@pytest.fixture(params=[b for b in BACKENDS if b != "fake"])
def client(request: pytest.FixtureRequest) -> RedisClient:
    name = "redis_client" if request.param == "redis" else "cluster_client"
    found: RedisClient = request.getfixturevalue(name)
    return found


async def test_the_document_and_every_record_are_written(client: RedisClient) -> None:
    await CampaignLoader(client).load(EXECUTION, RECORDS)

    document = await client.get(KEYS.campaign_execution("ce-7"))
    assert json.loads(document) == EXECUTION.to_document()
    assert await client.lrange(KEYS.campaign_cache("ce-7"), 0, -1) == RECORDS


async def test_existing_keys_are_kept_unless_replace(client: RedisClient) -> None:
    await client.rpush(KEYS.campaign_cache("ce-7"), "old")

    with pytest.raises(CampaignLoadRefused) as refused:
        await CampaignLoader(client).load(EXECUTION, RECORDS)

    assert refused.value.existing == [KEYS.campaign_cache("ce-7")]
    assert await client.lrange(KEYS.campaign_cache("ce-7"), 0, -1) == ["old"]
    assert await client.get(KEYS.campaign_execution("ce-7")) is None
    await CampaignLoader(client).load(EXECUTION, RECORDS[:2], replace=True)
    assert await client.lrange(KEYS.campaign_cache("ce-7"), 0, -1) == RECORDS[:2]


@pytest.mark.parametrize("state", [QueueState.RUNNING, QueueState.PAUSED, QueueState.DRAINING])
async def test_a_live_execution_is_never_loaded_over(
    client: RedisClient, state: QueueState
) -> None:
    await seed_state(client, "ce-7", state)

    with pytest.raises(CampaignLoadRefused, match=f"is {state.value}: stop it"):
        await CampaignLoader(client).load(EXECUTION, RECORDS, replace=True)

    assert await client.exists(KEYS.campaign_cache("ce-7")) == 0


async def test_an_ended_execution_is_loaded_over_with_replace(client: RedisClient) -> None:
    await seed_state(client, "ce-7", QueueState.COMPLETED)
    await CampaignLoader(client).load(EXECUTION, RECORDS[:1])

    await CampaignLoader(client).load(EXECUTION, RECORDS[1:3], replace=True)

    assert await client.lrange(KEYS.campaign_cache("ce-7"), 0, -1) == RECORDS[1:3]


async def test_a_write_by_someone_else_during_the_load_aborts_it_whole(
    redis_client: Redis,
) -> None:
    class Meddling(RedisQueueStateStore):
        """Reads the state while the loader WATCHes, then another client writes the cache."""

        async def load(self, campaign_execution_id: str) -> ExecutionStatus | None:
            await redis_client.rpush(KEYS.campaign_cache("ce-7"), "theirs")
            return await super().load(campaign_execution_id)

    loader = CampaignLoader(redis_client)
    loader._states = Meddling(redis_client)  # the one seam between WATCH and EXEC

    with pytest.raises(CampaignLoadRefused, match="changed while they were being written"):
        await loader.load(EXECUTION, RECORDS, replace=True)

    assert await redis_client.lrange(KEYS.campaign_cache("ce-7"), 0, -1) == ["theirs"]
    assert await redis_client.get(KEYS.campaign_execution("ce-7")) is None
