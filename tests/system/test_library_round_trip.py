"""A consumer built only from the public API drives a running service: it writes a campaign,
starts it, watches its events to `completed`, and reads every disposition exactly once."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable

import pytest

from queue_app import DispositionReader, QueueClient
from queue_core import (
    CampaignExecution,
    ContactRecord,
    Disposition,
    PacingMode,
    PacingSettings,
    QueueEventType,
    QueueState,
)
from tests.support.redis_server import RedisServerProcess
from tests.system.campaign import FLOW_SID, FROM, TASK_QUEUE_SID, phone
from tests.system.processes import ServiceProcess

pytestmark = pytest.mark.slow

EXECUTION = "ce-library-1"
CONTACTS = 60


async def consumer(
    redis_url: str,
) -> tuple[list[QueueEventType], list[Disposition], QueueState, str]:
    async with QueueClient.connect(redis_url) as client:
        execution = CampaignExecution(
            EXECUTION,
            FLOW_SID,
            FROM,
            TASK_QUEUE_SID,
            PacingSettings(mode=PacingMode.FIXED, max_concurrent_calls=20),
        )
        await client.redis.set(
            f"campaign_execution:{EXECUTION}", json.dumps(execution.to_document())
        )
        records = [ContactRecord(f"r-{n}", phone(n), {"n": n}) for n in range(CONTACTS)]
        await client.redis.rpush(f"campaign_cache:{{{EXECUTION}}}", *(r.to_json() for r in records))
        reader = DispositionReader(
            client.redis, group="test-consumer", consumer="c-1", block_ms=200
        )
        await reader.ensure_group("$")

        await client.start(EXECUTION, request_id="round-trip")
        seen: list[QueueEventType] = []
        owner = ""
        async with asyncio.timeout(60):
            async for _, event in client.watch_events(EXECUTION, after="0"):
                seen.append(event.event)
                if event.event is QueueEventType.STARTED:
                    # `started` is published as the command is handled; the instance takes
                    # the lease right after it, so look until it has.
                    while not owner:
                        running = await client.status(EXECUTION)
                        owner = running.owner if running else ""
                        await asyncio.sleep(0 if owner else 0.02)
                if event.event in (QueueEventType.COMPLETED, QueueEventType.FAILED):
                    break
        dispositions = [d async for d in reader.read(forever=False)]
        again = [d async for d in reader.read(forever=False)]
        assert again == []
        report = await client.status(EXECUTION)
        assert report is not None
        return seen, dispositions, report.state, owner


def test_a_public_api_consumer_starts_watches_and_reads_every_disposition_once(
    launch_service: Callable[..., ServiceProcess], redis_server: RedisServerProcess
) -> None:
    launch_service()

    seen, dispositions, state, owner = asyncio.run(consumer(redis_server.url))

    assert seen == [QueueEventType.STARTED, QueueEventType.COMPLETED]
    assert state is QueueState.COMPLETED
    assert owner == "system-test"  # the service's QUEUE_INSTANCE_ID holds the lease
    assert Counter(d.record_id for d in dispositions) == Counter(f"r-{n}" for n in range(CONTACTS))
    assert {d.campaign_execution_id for d in dispositions} == {EXECUTION}
