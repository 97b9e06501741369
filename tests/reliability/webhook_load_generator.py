"""A load generator for the service's `/eventstreams`, run as its own process:

    python -m tests.reliability.webhook_load_generator PLAN.json RESULT.json

It posts signed Event Streams batches on a fixed schedule (request i is due at start +
i / requests_per_s), with at most `max_in_flight` requests open, to a loopback URL only: a
service slower than the schedule gets fewer requests, never a growing pile. It stops by
itself: it sends nothing after `duration_s`, then waits `grace_s` at most for the answers.

The plan names the contacts in flight; each contact's events are `distinct_per_contact` voice
`ringing`/`answered` events with their own ids, sent round robin, so every one goes out
several times (duplicates).

The result holds the answers by status, the answer times (from sending to the answer, and
from the due time, which adds any wait for a free slot) and the event ids sent per contact.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from tests.reliability.signed_events import InFlight, signed_batch, voice_event

__all__ = ["event_id", "main"]


def event_id(contact: int, index: int) -> str:
    """The CloudEvent id of a contact's `index`-th distinct event (34 characters, like EZ...)."""
    return f"EZ{contact:08d}{index:024d}"


def _check_loopback(url: str) -> None:
    host = urlsplit(url).hostname or ""
    if not (host == "localhost" or host.startswith("127.") or host == "::1"):
        raise SystemExit(f"refusing to send load to {host!r}: loopback only")


class _Plan:
    def __init__(self, raw: dict[str, Any]) -> None:
        self.destination: str = raw["destination"]
        self.auth_token: str = raw["auth_token"]
        self.contacts = [InFlight(*c) for c in raw["contacts"]]
        self.events_per_s: float = raw["events_per_s"]
        self.batch_size: int = raw["batch_size"]
        self.contacts_per_batch: int = raw["contacts_per_batch"]
        self.duration_s: float = raw["duration_s"]
        self.distinct_per_contact: int = raw["distinct_per_contact"]
        self.max_in_flight: int = raw["max_in_flight"]
        self.grace_s: float = raw["grace_s"]

    @property
    def requests(self) -> int:
        return round(self.events_per_s * self.duration_s / self.batch_size)

    @property
    def requests_per_s(self) -> float:
        return self.events_per_s / self.batch_size


class _Batches:
    """Request i's events: `contacts_per_batch` contacts in turn, each with its next events."""

    def __init__(self, plan: _Plan) -> None:
        self._plan = plan
        self._next_contact = 0
        self._sent_per_contact = [0] * len(plan.contacts)
        self.sent: list[set[str]] = [set() for _ in plan.contacts]

    def next(self) -> list[dict[str, Any]]:
        plan = self._plan
        per_contact = plan.batch_size // plan.contacts_per_batch
        events: list[dict[str, Any]] = []
        for _ in range(plan.contacts_per_batch):
            n = self._next_contact
            self._next_contact = (n + 1) % len(plan.contacts)
            for _ in range(per_contact):
                index = self._sent_per_contact[n] % plan.distinct_per_contact
                self._sent_per_contact[n] += 1
                kind = "ringing" if index % 2 == 0 else "answered"
                event = voice_event(event_id(n, index), plan.contacts[n], kind, sequence=index + 1)
                self.sent[n].add(event["id"])
                events.append(event)
        return events


async def _run(plan: _Plan) -> dict[str, Any]:
    _check_loopback(plan.destination)
    batches = _Batches(plan)
    statuses: Counter[str] = Counter()
    service_s: list[float] = []
    since_due_s: list[float] = []
    slots = asyncio.Semaphore(plan.max_in_flight)
    limits = httpx.Limits(max_connections=plan.max_in_flight)
    async with httpx.AsyncClient(timeout=30.0, limits=limits) as client:

        async def send(due: float, events: list[dict[str, Any]]) -> None:
            try:
                url, body, headers = signed_batch(plan.destination, events, plan.auth_token)
                sent = time.monotonic()
                try:
                    answer = await client.post(url, content=body, headers=headers)
                    statuses[str(answer.status_code)] += 1
                except httpx.HTTPError as exc:
                    statuses[type(exc).__name__] += 1
                done = time.monotonic()
                service_s.append(done - sent)
                since_due_s.append(done - due)
            finally:
                slots.release()

        start = time.monotonic()
        tasks = []
        for i in range(plan.requests):
            due = start + i / plan.requests_per_s
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            # A saturated service slows the schedule down (a slot frees when an answer comes)
            # rather than piling requests up; nothing is sent after the schedule's end.
            await slots.acquire()
            if time.monotonic() - start > plan.duration_s:
                slots.release()
                break
            tasks.append(asyncio.create_task(send(due, batches.next())))
        scheduled_s = time.monotonic() - start
        late: set[asyncio.Task[None]] = set()
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=plan.grace_s)
        for task in late:
            task.cancel()
        finished_s = time.monotonic() - start
    return {
        "requests_planned": plan.requests,
        "requests": len(tasks),
        "events": len(tasks) * plan.batch_size,
        "statuses": dict(statuses),
        "unanswered_at_the_deadline": len(late),
        "scheduled_s": round(scheduled_s, 3),
        "finished_s": round(finished_s, 3),
        "answer_s": sorted(service_s),
        "answer_since_due_s": sorted(since_due_s),
        "event_ids": [sorted(ids) for ids in batches.sent],
    }


def main(argv: list[str]) -> None:
    plan_path, result_path = Path(argv[0]), Path(argv[1])
    plan = _Plan(json.loads(plan_path.read_text()))
    result = asyncio.run(_run(plan))
    result_path.write_text(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
