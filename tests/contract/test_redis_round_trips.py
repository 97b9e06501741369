"""How many Redis commands one contact costs, claim to published disposition, measured with
INFO commandstats on a real server (and cross-checked against what the client sent)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Any

import pytest
from redis.asyncio import Redis

from queue_adapters.redis import RedisOptions
from queue_core.domain.contacts import ContactAttempt, ContactRef
from queue_core.domain.facts import (
    CallStatusReport,
    ContactFact,
    StudioExecutionEvent,
    VoiceCallEvent,
    VoiceEventKind,
)
from queue_core.services.tracker import ContactTracker
from tests.contract.conftest import (
    FLOW,
    NOW,
    StoppedClock,
    World,
    attempt,
    disposition,
    record,
    redis_world,
)
from tests.support.redis_server import RedisServerProcess

pytestmark = pytest.mark.redis

CONTACTS = 10
STEP_BY_STEP = RedisOptions(cross_slot_scripts=False)
# Top-level commands per contact, one port call at a time, each step one script on one server
# (ADR 0009): claim 1/10, reserve 1, record_launch 1, three adds 3, settle (published, indexes
# released) 1.
MAX_COMMANDS_PER_CONTACT = 6.1
# The same with a cluster's steps, each script in one slot: reserve 2, record_launch 2, settle
# + publish + outbox XDEL 3, release 2 (one script per index, sent together).
MAX_STEP_BY_STEP_COMMANDS_PER_CONTACT = 12.1
# Through the tracker, with webhook batches that each name every contact: claim 1/10, reserve 1,
# record_launch 1, one script per batch for them all, lookups included (3 batches: 3/10), one
# answered mark, settle 1.
MAX_TRACKED_COMMANDS_PER_CONTACT = 4.4
# With a cluster's steps: reserve 2, record_launch 2, the first batch an MGET and an add, the
# next ones an add (both indexes of a contact are remembered once it is found: 4/10), one
# answered mark, settle + publish + XDEL 3, release 2.
MAX_STEP_BY_STEP_TRACKED_COMMANDS_PER_CONTACT = 10.5


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
        done = disposition(execution_id, i)
        assert await world.cache.settle(execution_id, claim.claim_id, done, release=launched)


def webhooks(attempts: list[ContactAttempt]) -> list[list[ContactFact]]:
    """Three webhook batches naming every contact: started and ringing, answered, then the
    call's end, the flow's report and the execution's end (final)."""

    def voice(a: ContactAttempt, kind: VoiceEventKind, status: str) -> VoiceCallEvent:
        call = "CA" + a.execution_sid[2:]
        return VoiceCallEvent(f"{kind}-{a.record_id}", kind, call, status, a.to, a.from_)

    def studio(a: ContactAttempt, ended: bool) -> StudioExecutionEvent:
        return StudioExecutionEvent(f"{ended}-{a.record_id}", ended, a.execution_sid, FLOW, a.to)

    def report(a: ContactAttempt) -> CallStatusReport:
        call = "CA" + a.execution_sid[2:]
        execution_id = a.ref.campaign_execution_id
        return CallStatusReport(a.execution_sid, execution_id, a.record_id, call, "completed")

    return [
        [
            f
            for a in attempts
            for f in (studio(a, False), voice(a, VoiceEventKind.RINGING, "ringing"))
        ],
        [voice(a, VoiceEventKind.ANSWERED, "in-progress") for a in attempts],
        [
            f
            for a in attempts
            for f in (voice(a, VoiceEventKind.COMPLETED, "completed"), report(a), studio(a, True))
        ],
    ]


async def tracked_lifecycle(world: World, execution_id: str, count: int) -> None:
    """What the runner and the webhook intake do to Redis for `count` contacts that all complete,
    their events coming in batches that name them all."""
    tracker = ContactTracker(world.calls, world.assembly, world.cache, StoppedClock())
    claims = await world.cache.claim(execution_id, "owner-a", count, NOW)
    attempts = []
    for i, claim in enumerate(claims):
        ref = ContactRef(execution_id, claim.claim_id)
        launched = attempt(ref, i)
        assert await world.calls.reserve(ref, launched.to, launched.from_, NOW)
        await world.calls.record_launch(launched)
        attempts.append(launched)
    settled = 0
    for batch in webhooks(attempts):
        result = await tracker.record(batch)
        assert (result.matched, result.unmatched) == (len(batch), 0)
        settled += len(result.settled)
    assert settled == count


async def commands_per_contact(
    redis_server: RedisServerProcess,
    redis_client: Redis,
    monkeypatch: pytest.MonkeyPatch,
    lifecycle: Callable[[World, str, int], Awaitable[None]],
    options: RedisOptions,
) -> float:
    """Top-level commands per contact of `lifecycle`, counted by the server and checked
    against what the client sent."""
    client = Redis.from_url(redis_server.url, decode_responses=True)
    sent: Counter[str] = Counter()
    real = client.execute_command

    async def counting(*args: Any, **options: Any) -> Any:
        sent[str(args[0]).lower()] += 1
        return await real(*args, **options)

    monkeypatch.setattr(client, "execute_command", counting)
    world = redis_world("redis", client, options)
    try:
        await world.push_records("ce-warm", [record(i) for i in range(CONTACTS)])
        await world.push_records("ce-42", [record(i) for i in range(CONTACTS)])
        # Loads the scripts, opens as many connections as the lifecycle uses at once.
        await lifecycle(world, "ce-warm", CONTACTS)
        sent.clear()
        before = calls(await redis_client.info("commandstats"))

        await lifecycle(world, "ce-42", CONTACTS)

        after = calls(await redis_client.info("commandstats"))
    finally:
        await client.aclose()
    server = after - before
    server.pop("info", None)
    # A connection the pool opened meanwhile (it grows with the concurrency of the moment, which
    # scheduling varies) is not a step of the contacts.
    server.pop("hello", None)
    inside = lua_commands()
    top_level = {name: n for name, n in server.items() if name == "evalsha" or name not in inside}
    per_contact = sum(top_level.values()) / CONTACTS
    print(
        f"\n{lifecycle.__name__} ({options.cross_slot_scripts=}), per contact: "
        f"{per_contact:.1f} top-level Redis commands "
        f"{top_level}, {server.total() / CONTACTS:.1f} commands executed in all (scripts' "
        "included)"
    )

    assert sum(top_level.values()) == sent.total(), (top_level, sent)
    assert server["evalsha"] == sent["evalsha"]
    assert len(await redis_world("redis", redis_client).dispositions()) == 2 * CONTACTS
    return per_contact


async def test_one_contact_costs_at_most_six_redis_commands(
    redis_server: RedisServerProcess, redis_client: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    per_contact = await commands_per_contact(
        redis_server, redis_client, monkeypatch, lifecycle, RedisOptions()
    )

    assert per_contact <= MAX_COMMANDS_PER_CONTACT


async def test_webhook_batches_cost_a_fixed_number_of_commands_whatever_their_size(
    redis_server: RedisServerProcess, redis_client: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    per_contact = await commands_per_contact(
        redis_server, redis_client, monkeypatch, tracked_lifecycle, RedisOptions()
    )

    assert per_contact <= MAX_TRACKED_COMMANDS_PER_CONTACT


async def test_a_clusters_steps_cost_at_most_a_dozen_commands_per_contact(
    redis_server: RedisServerProcess, redis_client: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    alone = await commands_per_contact(
        redis_server, redis_client, monkeypatch, lifecycle, STEP_BY_STEP
    )
    redis_server.flushall()
    tracked = await commands_per_contact(
        redis_server, redis_client, monkeypatch, tracked_lifecycle, STEP_BY_STEP
    )

    assert alone <= MAX_STEP_BY_STEP_COMMANDS_PER_CONTACT
    assert tracked <= MAX_STEP_BY_STEP_TRACKED_COMMANDS_PER_CONTACT
