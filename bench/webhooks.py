"""Part 3, webhook intake: events/s and answer times of `POST /eventstreams` on the packaged
service, against a bare Starlette endpoint that only parses the same JSON, in the same run.

Batches are signed as Event Streams signs them (`twilio_emulator.sign_json_body`) and the
service checks the signatures (QUEUE_VERIFY_SIGNATURES left at its default, true). Every event
is about a contact in flight (seeded through the Redis adapters before the clock starts), so
each one is correlated and stored, not dropped as unknown. A separate load generator process
(`bench.loadgen`: httpx, a bounded number of requests in flight) posts the same batches to
both servers; the service and the bare endpoint alternate, round by round.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

from bench.campaign import FROM, flow_sid, write_execution
from bench.measures import median
from bench.processes import ACCOUNT_SID, AUTH_TOKEN, Proc, free_port
from bench.stack import Stack, running_stack
from queue_adapters.redis import RedisActiveCallRegistry, RedisContactCache
from queue_core.domain.contacts import ContactAttempt, ContactRecord, ContactRef

__all__ = ["run"]

CONCURRENCY = 16
EXECUTION = "hooks-1"
EVENTS_PER_CONTACT = 3


async def _seed(stack: Stack, count: int) -> list[list[str]]:
    """`count` contacts in flight, as launching them would leave them; (SID, To, From) each."""
    flow = flow_sid(99)
    await write_execution(stack.redis, EXECUTION, flow, count)
    cache = RedisContactCache(stack.redis)
    calls = RedisActiveCallRegistry(stack.redis)
    claims = await cache.claim(EXECUTION, "bench-seed", count, time.time())
    seeded: list[list[str]] = []

    async def one(i: int) -> None:
        claim = claims[i]
        contact = ContactRecord.parse(claim.raw)
        ref = ContactRef(EXECUTION, claim.claim_id)
        sid = f"FN{i + 1:032x}"
        assert await calls.reserve(ref, contact.phone_number, FROM, time.time())
        attempt = ContactAttempt(
            ref=ref,
            record_id=contact.record_id,
            to=contact.phone_number,
            from_=FROM,
            flow_sid=flow,
            execution_sid=sid,
            launched_at=time.time(),
            expect_voice_events=True,
        )
        await calls.record_launch(attempt)
        seeded.append([sid, contact.phone_number, FROM])

    for first in range(0, len(claims), 200):
        await asyncio.gather(*(one(i) for i in range(first, min(first + 200, len(claims)))))
    return seeded


async def _load(workdir: Path, spec: dict[str, Any]) -> dict[str, Any]:
    path = workdir / "loadgen-spec.json"
    path.write_text(json.dumps(spec))
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.loadgen", str(path), stdout=asyncio.subprocess.PIPE
    )
    out, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"the load generator failed ({process.returncode})")
    result: dict[str, Any] = json.loads(out)
    return result


async def run(workdir: Path, *, quick: bool) -> dict[str, Any]:
    """Measure; the figures as a JSON-ready dict."""
    runs = 1 if quick else 3
    requests = {1: 150, 50: 12} if quick else {1: 1500, 50: 200}
    where = workdir / "webhooks"
    needed = sum(runs * (n * b // EVENTS_PER_CONTACT + 1) for b, n in requests.items())
    async with running_stack(where, time_scale=0.01) as stack:
        contacts = await _seed(stack, needed)
        _service, service_url = await stack.start_service({}, provisioned=False)
        port = free_port()
        bare = Proc(f"bare-{port}", [sys.executable, "-m", "bench.bare_app", str(port)], {}, where)
        stack.services.append(bare)
        bare_url = f"http://127.0.0.1:{port}"
        await bare.wait_http(f"{bare_url}/readyz")
        results: dict[str, dict[str, list[dict[str, Any]]]] = {}
        used = 0
        for batch, count in requests.items():
            rounds: dict[str, list[dict[str, Any]]] = {"service": [], "bare": []}
            for i in range(runs):
                share = count * batch // EVENTS_PER_CONTACT + 1
                spec = {
                    "contacts": contacts[used : used + share],
                    "batch": batch,
                    "requests": count,
                    "concurrency": CONCURRENCY,
                    "time_limit_s": 30.0,
                    "auth_token": AUTH_TOKEN,
                    "account_sid": ACCOUNT_SID,
                    "seed": i,
                }
                used += share
                for name, url in (("service", service_url), ("bare", bare_url)):
                    rounds[name].append(await _load(where, {**spec, "url": url}))
            results[str(batch)] = rounds
    return {
        "concurrency": CONCURRENCY,
        "signed": True,
        "batches": {
            batch: {
                name: {
                    "runs": rs,
                    "median_events_per_s": median([r["events_per_s"] for r in rs]),
                    "median_p50_ms": median([r["p50_ms"] for r in rs]),
                    "median_p99_ms": median([r["p99_ms"] for r in rs]),
                }
                for name, rs in rounds.items()
            }
            for batch, rounds in results.items()
        },
    }
