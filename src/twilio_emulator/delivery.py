"""Event Streams delivery: at least once, batched, possibly late, reordered and repeated.

Each published event goes to every active sink subscribed to its type. Per sink, events wait
until their due time (`delivery_delay_s`, plus the delay of their source: `voice_delay_s`,
`studio_delay_s`, `studio_started_delay_s`; plus up to `delivery_jitter_s`, so that jitter
moves events across batches), then leave in batches gathered over `batch_window_s`, shuffled when
`shuffle_within_batch` is on. With `duplicate_probability` an event is also sent a second
time, later. Each batch is a signed POST (`bodySHA256` scheme) retried with exponential backoff
on a non-2xx answer or a connection error, `delivery_max_attempts` times at most.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import json
import time
from typing import TYPE_CHECKING, Any

import httpx

from twilio_emulator.cloudevents import with_schema_version
from twilio_emulator.signing import sign_json_body
from twilio_emulator.sources import source_delay_s

if TYPE_CHECKING:
    from twilio_emulator.state import EmulatorState

__all__ = ["EventDelivery"]

_MAX_BACKOFF_S = 2.0


class EventDelivery:
    """Routes published CloudEvents to the sinks' destinations."""

    def __init__(self, state: EmulatorState) -> None:
        self._state = state
        self._queues: dict[str, _SinkQueue] = {}

    def publish(self, event: dict[str, Any]) -> None:
        """Hand `event` to every sink subscribed to its type; no sink: it is dropped."""
        state = self._state
        state.counters[f"emitted:{event['type']}"] += 1
        routes = state.routes(event["type"])
        if not routes:
            state.counters["events_unrouted"] += 1
            return
        config = state.config
        delay = config.delivery_delay_s + source_delay_s(config, event["type"])
        for sink, version in routes:
            copy = with_schema_version(event, version)
            queue = self._queues.get(sink.sid)
            if queue is None:
                queue = self._queues[sink.sid] = _SinkQueue(state, sink.sid)
            due = time.monotonic() + delay
            queue.schedule(copy, due + state.delivery_rng.uniform(0.0, config.delivery_jitter_s))
            if state.delivery_rng.random() < config.duplicate_probability:
                state.counters["duplicates_injected"] += 1
                later = due + config.batch_window_s + state.delivery_rng.uniform(0.0, 0.1)
                queue.schedule(copy, later + config.delivery_jitter_s)


class _SinkQueue:
    """Events due for one sink, sent in batches by one worker task."""

    def __init__(self, state: EmulatorState, sink_sid: str) -> None:
        self._state = state
        self._sink_sid = sink_sid
        self._heap: list[tuple[float, int, dict[str, Any]]] = []
        self._order = itertools.count()
        self._wakeup = asyncio.Event()
        self._worker: asyncio.Task[None] | None = None

    def schedule(self, event: dict[str, Any], due: float) -> None:
        heapq.heappush(self._heap, (due, next(self._order), event))
        self._state.work_started()
        self._wakeup.set()
        if self._worker is None or self._worker.done():
            # The worker itself is not counted as work: the events it holds are.
            self._worker = asyncio.get_running_loop().create_task(self._run())
            self._state.track(self._worker)

    async def _run(self) -> None:
        while True:
            if not self._heap:
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            wait = self._heap[0][0] - time.monotonic()
            if wait > 0:
                self._wakeup.clear()
                try:
                    async with asyncio.timeout(wait):
                        await self._wakeup.wait()
                except TimeoutError:
                    pass
                continue
            await asyncio.sleep(self._state.config.batch_window_s)
            self._send_due()

    def _send_due(self) -> None:
        state = self._state
        sink = state.sinks.get(self._sink_sid)
        now = time.monotonic()
        limit = state.config.batch_max_events if sink is None or sink.batch_events else 1
        batch: list[dict[str, Any]] = []
        while self._heap and self._heap[0][0] <= now and len(batch) < limit:
            batch.append(heapq.heappop(self._heap)[2])
        if sink is None or sink.status != "active":
            state.counters["events_dropped_no_sink"] += len(batch)
            state.work_done(len(batch))
            return
        if state.config.shuffle_within_batch:
            state.delivery_rng.shuffle(batch)
        body = json.dumps(batch if sink.batch_events else batch[0]).encode()
        # spawn() counts the send as one unit of work; the events it carries are done here.
        state.spawn(self._send(sink.destination, body, len(batch)))
        state.work_done(len(batch))

    async def _send(self, destination: str, body: bytes, events: int) -> None:
        state = self._state
        assert state.http is not None, "the emulator was not started"
        for attempt in range(state.config.delivery_max_attempts):
            url, signature = sign_json_body(destination, body, state.config.auth_token)
            headers = {
                "Content-Type": "application/json",
                "X-Twilio-Signature": signature,
                "User-Agent": "TwilioEventStreams/emulator",
            }
            state.counters["delivery_attempts"] += 1
            try:
                answer = await state.http.post(
                    url, content=body, headers=headers, timeout=state.config.delivery_timeout_s
                )
                delivered = 200 <= answer.status_code < 300
            except httpx.HTTPError:
                delivered = False
            if delivered:
                state.counters["batches_delivered"] += 1
                state.counters["events_delivered"] += events
                return
            state.counters["delivery_failures"] += 1
            if attempt + 1 < state.config.delivery_max_attempts:
                backoff = state.config.delivery_retry_base_s * 2**attempt
                await asyncio.sleep(min(backoff, _MAX_BACKOFF_S))
        state.counters["batches_given_up"] += 1
