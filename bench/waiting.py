"""Part 7, the dialing rules' storage path: Redis round trips per contact with calling windows,
do-not-call lists and retries on and off, and how fast records are taken back from a waiting
set of 10,000.

Round trips: the storage ports' calls for a batch of contacts, driven directly on a private
`redis-server` (no service, no Twilio), every top-level command logged with MONITOR as the
`redis` part counts them (`bench.redis_cost`; EVALSHA under its script's name). Off: claim (by
10), reserve, record the launch, settle. On: the same, plus one do-not-call lookup per claimed
batch over two lists (one contact in ten is listed and settled `dnc` without a launch), half of
each batch deferred for its window and taken back when due, and every dialed contact retried
once (a settle that is not final, taken back when due, dialed again, settled final). Both
ways a contact's steps run: one script per step (one server), and one per slot (a cluster's
steps, here on one server).

Rate: 10,000 records waiting, all due, taken back 100 at a time by one client; a take when
none is due, and `next_due`, on the same set; and claims from a cache of 10,000, for
comparison. Launches: `serve` at 100/s with 0 and with 10,000 records waiting in its
execution (`bench.waiting_launches`).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from redis.asyncio import Redis
from tests.support.redis_server import RedisServerProcess

from bench.redis_cost import monitored
from bench.waiting_launches import launch_rates
from queue_adapters.redis import (
    RedisActiveCallRegistry,
    RedisContactCache,
    RedisDoNotCallLists,
    RedisOptions,
    RedisWaitingRecords,
    connect,
)
from queue_core.domain.contacts import ClaimedRecord, ContactAttempt, ContactRef
from queue_core.domain.disposition import Disposition, DispositionStatus

__all__ = ["run"]

NOW = 1_795_000_000.0
FROM = "+15005550006"
BATCH = 10
LISTS = ("dnc:national", "dnc:campaign")
STRATEGIES = {
    "one script per step": RedisOptions(),
    "one script per slot": RedisOptions(cross_slot_scripts=False),
}


def _number(i: int) -> str:
    return f"+1415{i:07d}"


def _record(i: int) -> str:
    return f'{{"record_id":"r-{i}","phone_number":"{_number(i)}","attributes":{{"n":{i}}}}}'


class _Ports:
    """The storage ports of one instance, on one client."""

    def __init__(self, client: Any, options: RedisOptions) -> None:
        self.cache = RedisContactCache(client, options=options)
        self.calls = RedisActiveCallRegistry(client, options=options)
        self.waiting = RedisWaitingRecords(client, options=options)
        self.dnc = RedisDoNotCallLists(client)


def _i(record: ClaimedRecord) -> int:
    return int(record.raw.split('"r-', 1)[1].split('"', 1)[0])


def _ended(ce: str, i: int, status: DispositionStatus, attempt: int) -> Disposition:
    return Disposition(ce, f"r-{i}", status, _number(i), FROM, NOW, NOW + 30, attempt=attempt)


async def _dial(ports: _Ports, ce: str, record: ClaimedRecord, retry: bool) -> None:
    """Reserve, record the launch and settle one claim: busy and retried, or completed."""
    i, ref = _i(record), ContactRef(ce, record.claim_id)
    await ports.calls.reserve(ref, _number(i), FROM, NOW)
    launched = ContactAttempt(ref, f"r-{i}", _number(i), FROM, "FW0", f"FN{i:032x}", NOW, True)
    await ports.calls.record_launch(launched)
    status = DispositionStatus.BUSY if retry else DispositionStatus.COMPLETED
    ended = _ended(ce, i, status, record.attempt)
    if retry:
        ended = replace(ended, final=False, retry_at=NOW)
    await ports.cache.settle(ce, record.claim_id, ended, release=launched)


async def _batch(ports: _Ports, ce: str, rules: bool) -> int:
    """One claimed batch through the storage path; how many records it claimed."""
    claimed = await ports.cache.claim(ce, "bench", BATCH, NOW)
    if not rules:
        for record in claimed:
            await _dial(ports, ce, record, retry=False)
        return len(claimed)
    listed = await ports.dnc.listed(LISTS, [_number(_i(r)) for r in claimed])
    dialed = []
    for record in claimed:
        if _number(_i(record)) in listed:
            dnc = _ended(ce, _i(record), DispositionStatus.DNC, 1)
            await ports.cache.settle(ce, record.claim_id, dnc)
        else:
            dialed.append(record)
    await ports.waiting.defer(ce, [(r, NOW) for r in dialed[::2]])
    dialed = dialed[1::2] + await ports.waiting.take_due(ce, "bench", NOW, BATCH)
    for record in dialed:
        await _dial(ports, ce, record, retry=True)
    for record in await ports.waiting.take_due(ce, "bench", NOW, BATCH):
        await _dial(ports, ce, record, retry=False)
    await ports.waiting.next_due(ce)
    return len(claimed)


async def _round_trips(server: RedisServerProcess, contacts: int) -> dict[str, Any]:
    """Round trips per contact and per dialed attempt, each way, rules on and off."""
    out: dict[str, Any] = {}
    seed = Redis.from_url(server.url, decode_responses=True, single_connection_client=True)
    address = str((await seed.client_info())["addr"])
    await seed.sadd(LISTS[0], *[_number(i) for i in range(0, 10 * contacts, 10)])
    await seed.sadd(LISTS[1], "+19995550000")
    client = await connect(server.url, cluster=False)
    try:
        for way, options in STRATEGIES.items():
            for rules in (False, True):
                ports = _Ports(client, options)
                # A first batch, not counted, loads the scripts (EVALSHA, NOSCRIPT, LOAD).
                await seed.rpush("campaign_cache:{bench-warm}", *map(_record, range(BATCH)))
                await _batch(ports, "bench-warm", rules)
                ce = f"bench-{len(out)}"
                await seed.rpush(f"campaign_cache:{{{ce}}}", *map(_record, range(contacts)))
                async with monitored(server.url, address) as (top, _):
                    while await _batch(ports, ce, rules):
                        pass
                await seed.delete("campaign_cache:{bench-warm}")
                dispositions = await seed.xlen("call_dispositions") - await _warm(seed)
                await seed.delete("call_dispositions")
                out[f"{way}, rules {'on' if rules else 'off'}"] = _figures(
                    top, contacts, dispositions
                )
    finally:
        await client.aclose()
        await seed.aclose()
    return out


async def _warm(seed: Redis) -> int:
    """The dispositions of the uncounted first batch on the stream."""
    entries = await seed.xrange("call_dispositions")
    return sum(1 for _, fields in entries if fields["campaign_execution_id"] == "bench-warm")


def _figures(top: Counter[str], contacts: int, dispositions: int) -> dict[str, Any]:
    # MONITOR logs each command of a pipeline: the lookup's SMISMEMBERs are one round trip.
    trips = top.total() - top["smismember"] + top["smismember"] / len(LISTS)
    return {
        "contacts": contacts,
        "dispositions": dispositions,
        "commands": top.total(),
        "round_trips": trips,
        "per_contact": trips / contacts,
        "per_disposition": trips / dispositions,
        "by_command": {name: n / contacts for name, n in top.most_common()},
    }


async def _per_call_us(call: Callable[[], Awaitable[object]], calls: int = 200) -> float:
    """Microseconds per call, round trip included, over `calls` calls one after another."""
    began = time.perf_counter()
    for _ in range(calls):
        await call()
    return (time.perf_counter() - began) / calls * 1e6


async def _rates(server: RedisServerProcess, waiting: int) -> dict[str, float]:
    """Records per second taken from the waiting set, and claimed from the cache."""
    client = await connect(server.url, cluster=False)
    try:
        ports = _Ports(client, RedisOptions())
        ce = "bench-rate"
        await client.rpush(f"campaign_cache:{{{ce}}}", *map(_record, range(waiting)))
        began = time.perf_counter()
        while claimed := await ports.cache.claim(ce, "bench", 100, NOW):
            await ports.waiting.defer(ce, [(r, NOW + _i(r) % 60) for r in claimed])
        fill_s = time.perf_counter() - began
        none_due_us = await _per_call_us(lambda: ports.waiting.take_due(ce, "b", NOW - 1, 100))
        next_due_us = await _per_call_us(lambda: ports.waiting.next_due(ce))
        began = time.perf_counter()
        taken = 0
        while got := await ports.waiting.take_due(ce, "bench", NOW + 60, 100):
            taken += len(got)
        take_s = time.perf_counter() - began
        ce = "bench-claim"
        await client.rpush(f"campaign_cache:{{{ce}}}", *map(_record, range(waiting)))
        began = time.perf_counter()
        while await ports.cache.claim(ce, "bench", 100, NOW):
            pass
        claim_s = time.perf_counter() - began
    finally:
        await client.aclose()
    return {
        "waiting": waiting,
        "taken": taken,
        "take_due_per_s": taken / take_s,
        "claim_per_s": waiting / claim_s,
        "claim_and_defer_per_s": waiting / fill_s,
        "take_none_due_us": none_due_us,
        "next_due_us": next_due_us,
    }


async def run(workdir: Path, *, quick: bool) -> dict[str, Any]:
    """Measure; the figures as a JSON-ready dict."""
    contacts = 40 if quick else 400
    with RedisServerProcess() as server:
        round_trips = await _round_trips(server, contacts)
        server.flushall()
        rates = await _rates(server, 10_000)
    launches = await launch_rates(workdir, quick=quick)
    return {
        "batch": BATCH,
        "lists": len(LISTS),
        "round_trips": round_trips,
        "rates": rates,
        "launches": launches,
    }
