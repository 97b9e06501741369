"""How many Redis commands one contact costs, claim to published disposition, measured with
INFO commandstats on a real server (and cross-checked against what the client sent)."""

from __future__ import annotations

import re
from collections import Counter
from importlib import resources
from typing import Any

import pytest
from redis.asyncio import Redis

from queue_core.contacts import ContactRef
from queue_core.facts import CallStatusReport, StudioExecutionEvent
from tests.contract.conftest import NOW, World, attempt, disposition, record, redis_world
from tests.support.redis_server import RedisServerProcess

pytestmark = pytest.mark.redis

CONTACTS = 10
# Top-level commands per contact: claim 1/10, reserve 2, record_launch 2, three adds 3,
# settle 1 + publish 1 + outbox XDEL 1, release 2 (sent concurrently: one round trip).
MAX_COMMANDS_PER_CONTACT = 12.1


def lua_commands() -> set[str]:
    """Every command name any of the adapters' scripts calls (lower case)."""
    names: set[str] = set()
    for path in resources.files("queue_adapters.redis.lua").iterdir():
        names |= {m.lower() for m in re.findall(r"redis\.call\('(\w+)'", path.read_text())}
    return names


def calls(stats: dict[str, Any]) -> Counter[str]:
    return Counter({name.removeprefix("cmdstat_"): int(v["calls"]) for name, v in stats.items()})


def facts(ref: ContactRef, i: int) -> list[list[Any]]:
    sid = attempt(ref, i).execution_sid
    return [
        [StudioExecutionEvent(f"start-{i}", False, sid, "FW" + "0" * 32, f"+1415555{i:04d}")],
        [CallStatusReport(sid, ref.campaign_execution_id, f"r-{i}", "CA1", "completed")],
        [StudioExecutionEvent(f"end-{i}", True, sid, "FW" + "0" * 32, f"+1415555{i:04d}")],
    ]


async def lifecycle(world: World, execution_id: str, count: int) -> None:
    """What the service does to Redis for `count` contacts that all complete."""
    claims = await world.cache.claim(execution_id, "owner-a", count, NOW)
    for i, claim in enumerate(claims):
        ref = ContactRef(execution_id, claim.claim_id)
        launched = attempt(ref, i)
        assert await world.calls.reserve(ref, launched.to, launched.from_, NOW)
        await world.calls.record_launch(launched)
        for batch in facts(ref, i):
            assert await world.assembly.add(ref, batch) is not None
        assert await world.cache.settle(execution_id, claim.claim_id, disposition(execution_id, i))
        await world.calls.release(ref, launched.to, launched.from_, launched.execution_sid)


async def test_one_contact_costs_at_most_a_dozen_redis_commands(
    redis_server: RedisServerProcess, redis_client: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = Redis.from_url(redis_server.url, decode_responses=True)
    sent: Counter[str] = Counter()
    real = client.execute_command

    async def counting(*args: Any, **options: Any) -> Any:
        sent[str(args[0]).lower()] += 1
        return await real(*args, **options)

    monkeypatch.setattr(client, "execute_command", counting)
    world = redis_world("redis", client)
    try:
        await world.push_records("ce-warm", [record(i) for i in range(2)])
        await world.push_records("ce-42", [record(i) for i in range(CONTACTS)])
        await lifecycle(world, "ce-warm", 2)  # loads the scripts, opens the connections
        sent.clear()
        before = calls(await redis_client.info("commandstats"))

        await lifecycle(world, "ce-42", CONTACTS)

        after = calls(await redis_client.info("commandstats"))
    finally:
        await client.aclose()
    server = after - before
    server.pop("info", None)
    inside = lua_commands()
    top_level = {name: n for name, n in server.items() if name == "evalsha" or name not in inside}
    per_contact = sum(top_level.values()) / CONTACTS
    print(
        f"\nper contact: {per_contact:.1f} top-level Redis commands {top_level}, "
        f"{server.total() / CONTACTS:.1f} commands executed in all (scripts' included)"
    )

    assert sum(top_level.values()) == sent.total(), (top_level, sent)
    assert server["evalsha"] == sent["evalsha"]
    assert per_contact <= MAX_COMMANDS_PER_CONTACT
    assert len(await redis_world("redis", redis_client).dispositions()) == CONTACTS + 2
