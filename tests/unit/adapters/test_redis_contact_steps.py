"""How a contact's steps run on Redis is chosen once, from the client and the options
(ADR 0019): one script per step on one server, one script per slot on a cluster or when
scripts across slots are turned off. No I/O: clients are built, never connected."""

from __future__ import annotations

from importlib import resources

from redis.asyncio import Redis, RedisCluster

from queue_adapters.redis import RedisKeys, RedisOptions
from queue_adapters.redis._contact_steps import OneScriptSteps, SlotWiseSteps, contact_steps

STEP_BY_STEP = RedisOptions(cross_slot_scripts=False)


async def test_one_server_runs_each_step_as_one_script() -> None:
    client = Redis()
    try:
        assert isinstance(contact_steps(client, RedisKeys(), RedisOptions()), OneScriptSteps)
        assert isinstance(contact_steps(client, RedisKeys(), STEP_BY_STEP), SlotWiseSteps)
    finally:
        await client.aclose()


async def test_a_cluster_runs_one_script_per_slot_whatever_the_setting() -> None:
    client = RedisCluster(host="127.0.0.1", port=7000)
    try:
        for options in (RedisOptions(), STEP_BY_STEP):
            assert isinstance(contact_steps(client, RedisKeys(), options), SlotWiseSteps)
    finally:
        await client.aclose()


def test_no_adapter_reads_the_setting_itself() -> None:
    package = resources.files("queue_adapters.redis")
    readers = [
        path.name
        for path in package.iterdir()
        if path.name.endswith(".py") and "cross_slot_scripts" in path.read_text("utf-8")
    ]
    assert readers == ["options.py"]
