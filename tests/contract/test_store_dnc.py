"""The `DoNotCallLists` contract: the numbers on any of an execution's lists, as they read now;
a missing list is empty, a key of another type is named in the error; one request per batch."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from redis.asyncio import Redis, RedisCluster
from redis.asyncio.cluster import ClusterNode

from queue_adapters.redis import RedisDoNotCallLists
from queue_core.domain.errors import InvalidDoNotCallList
from tests.contract.conftest import World
from tests.support.redis_server import RedisServerProcess

NATIONAL, OWN = "dnc:national", "dnc:c-7"
A, B, C = "+14155550100", "+14155550101", "+14155550102"


async def test_listed_names_the_numbers_on_any_list(world: World) -> None:
    await world.put_dnc_list(NATIONAL, [A, "+19995550000"])
    await world.put_dnc_list(OWN, [B])

    assert await world.dnc.listed([NATIONAL, OWN], [A, B, C, A]) == {A, B}
    assert await world.dnc.listed([OWN], [A, C]) == set()


async def test_a_missing_list_is_empty_and_nothing_asked_is_nothing_found(world: World) -> None:
    await world.put_dnc_list(NATIONAL, [A])

    assert await world.dnc.listed(["dnc:nobody-wrote-me", NATIONAL], [A, B]) == {A}
    assert await world.dnc.listed([], [A]) == set()
    assert await world.dnc.listed([NATIONAL], []) == set()
    await world.dnc.check(["dnc:nobody-wrote-me", NATIONAL])
    await world.dnc.check([])


async def test_a_number_added_now_is_listed_now(world: World) -> None:
    await world.put_dnc_list(NATIONAL, [A])
    assert await world.dnc.listed([NATIONAL], [B]) == set()

    await world.put_dnc_list(NATIONAL, [B])

    assert await world.dnc.listed([NATIONAL], [B]) == {B}


async def test_a_key_of_another_type_is_named(world: World) -> None:
    await world.put_dnc_list(NATIONAL, [A])
    await world.put_string("dnc:broken")

    with pytest.raises(InvalidDoNotCallList, match="dnc:broken") as listed:
        await world.dnc.listed([NATIONAL, "dnc:broken"], [A])
    with pytest.raises(InvalidDoNotCallList, match=r"dnc:broken.*string") as checked:
        await world.dnc.check([NATIONAL, "dnc:broken"])

    assert listed.value.key == checked.value.key == "dnc:broken"


@pytest.mark.redis
async def test_a_batch_is_one_round_trip_on_one_server(
    redis_server: RedisServerProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    redis_server.flushall()
    client = Redis.from_url(redis_server.url, decode_responses=True)
    try:
        await client.sadd(NATIONAL, A)
        sent: list[int] = []
        real = type(client.pipeline(transaction=False))
        execute = real.execute

        async def counted(self: Any, raise_on_error: bool = True) -> Any:
            sent.append(len(self.command_stack))
            return await execute(self, raise_on_error)

        monkeypatch.setattr(real, "execute", counted)
        await client.config_resetstat()
        lists = RedisDoNotCallLists(client)

        found = await lists.listed(
            [NATIONAL, OWN, "dnc:third"], [f"+1415555{i:04d}" for i in range(200)]
        )

        stats = await client.info("commandstats")
        assert found == {A}
        assert sent == [3]  # one pipeline, one command per list, every number in each
        assert stats["cmdstat_smismember"]["calls"] == 3
    finally:
        await client.aclose()


@pytest.mark.redis
async def test_a_batch_asks_each_cluster_node_holding_a_list_once_all_at_once(
    cluster_client: RedisCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = [f"dnc:list-{i}" for i in range(12)]  # spread over the slots of every master
    for name in names:
        await cluster_client.sadd(name, A)
    holders = {cluster_client.get_node_from_key(name).name for name in names}
    asked: list[str] = []
    at_once = [0, 0]  # now, most
    real = ClusterNode.execute_pipeline

    async def watched(self: ClusterNode, commands: Any) -> bool:
        asked.append(self.name)
        at_once[0] += 1
        at_once[1] = max(at_once)
        await asyncio.sleep(0.05)
        at_once[0] -= 1
        return await real(self, commands)

    monkeypatch.setattr(ClusterNode, "execute_pipeline", watched)

    assert await RedisDoNotCallLists(cluster_client).listed(names, [A, B]) == {A}

    assert sorted(asked) == sorted(holders)
    assert len(holders) > 1
    assert at_once[1] == len(holders)
