"""`python -m bench.loadgen SPEC.json`: post signed Event Streams batches to one URL, with a
bounded number of requests in flight, and print what came back as JSON.

The spec names the target (`url`), the contacts the events are about (`contacts`: execution
SID, To, From), the batch size, how many requests, how many at once, a time limit and the auth
token to sign with. Every body is built and signed before the clock starts, so the figures
are the server's, not the generator's. Loopback only.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from bench.measures import percentile
from twilio_emulator import Execution, sign_json_body
from twilio_emulator import cloudevents as ce

__all__ = ["bodies", "main"]

_VOICE = ("call.initiated", "call.ringing")


def _execution(sid: str, to: str, from_: str, account_sid: str) -> Execution:
    now = time.time()
    return Execution(
        sid=sid,
        account_sid=account_sid,
        flow_sid="FW" + "0" * 32,
        contact_sid="FC" + "0" * 32,
        request_sid="RQ" + "0" * 32,
        to=to,
        from_=from_,
        parameters={},
        index=0,
        created_wall=now,
        created_monotonic=time.monotonic(),
        updated_wall=now,
        call_sid="CA" + sid[2:],
    )


def _events(rng: random.Random, execution: Execution) -> list[dict[str, Any]]:
    """A contact's first events: execution started, call initiated, call ringing (none final:
    each stays a contact in flight whatever the order)."""
    wall = time.time()
    out = [ce.execution_event(rng, execution, ended=False, wall=wall)]
    for kind in _VOICE:
        params = ce.call_parameters(execution, kind.removeprefix("call."), wall)
        out.append(ce.voice_event(rng, execution, ce.VOICE_PREFIX + kind, params, wall))
    return out


def bodies(spec: dict[str, Any]) -> list[tuple[str, dict[str, str], bytes]]:
    """(URL, headers, body) of every request of the spec, in order."""
    rng = random.Random(spec.get("seed", 1))
    account = spec["account_sid"]
    stream = (
        event
        for sid, to, from_ in spec["contacts"]
        for event in _events(rng, _execution(sid, to, from_, account))
    )
    destination = spec["url"].rstrip("/") + "/eventstreams"
    out = []
    for _ in range(spec["requests"]):
        batch = [next(stream) for _ in range(spec["batch"])]
        body = json.dumps(batch).encode()
        url, signature = sign_json_body(destination, body, spec["auth_token"])
        headers = {"content-type": "application/json", "x-twilio-signature": signature}
        out.append((url, headers, body))
    return out


async def _fire(spec: dict[str, Any]) -> dict[str, Any]:
    requests = bodies(spec)
    concurrency = int(spec["concurrency"])
    limit = float(spec["time_limit_s"])
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    matched = [0, 0]  # the service answers how many facts it matched to a contact, or not
    queue: asyncio.Queue[tuple[str, dict[str, str], bytes]] = asyncio.Queue()
    for request in requests:
        queue.put_nowait(request)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30.0) as client:
        for url, headers, body in requests[: min(20, len(requests))]:  # warm the connections
            await client.post(url, content=body, headers=headers)
        began = time.perf_counter()

        async def worker() -> None:
            while not queue.empty() and time.perf_counter() - began < limit:
                url, headers, body = queue.get_nowait()
                sent = time.perf_counter()
                try:
                    answer = await client.post(url, content=body, headers=headers)
                    key = str(answer.status_code)
                    if answer.status_code == 200 and "matched" in answer.text:
                        found = answer.json()
                        matched[0] += int(found["matched"])
                        matched[1] += int(found["unmatched"])
                except httpx.HTTPError as exc:
                    key = type(exc).__name__
                latencies.append(time.perf_counter() - sent)
                statuses[key] = statuses.get(key, 0) + 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    ok = statuses.get("200", 0)
    return {
        "requests": len(latencies),
        "ok": ok,
        "statuses": statuses,
        "matched": matched[0],
        "unmatched": matched[1],
        "elapsed_s": elapsed,
        "events_per_s": ok * spec["batch"] / elapsed,
        "requests_per_s": len(latencies) / elapsed,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
    }


def main() -> None:
    spec = json.loads(Path(sys.argv[1]).read_text())
    print(json.dumps(asyncio.run(_fire(spec))))


if __name__ == "__main__":
    main()
