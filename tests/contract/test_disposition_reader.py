"""`DispositionReader` on a real `redis-server`: schema_version 2 entries with their new fields,
version 1 entries left from before with the fields' defaults, and another version refused."""

from __future__ import annotations

from dataclasses import replace

import pytest
from redis.asyncio import Redis

from queue_app import DispositionReader
from queue_core.domain.errors import ContractViolation
from tests.contract.conftest import disposition

pytestmark = pytest.mark.redis

VERSION_1 = {
    "schema_version", "campaign_execution_id", "record_id", "execution_sid", "call_sid", "to",
    "from", "status", "answered_by", "duration_s", "sip_response_code", "error_code",
    "error_message", "launched_at", "ended_at",
}  # fmt: skip


async def test_the_reader_reads_both_versions_and_refuses_another(redis_client: Redis) -> None:
    old = disposition("ce-1", 1)
    new = replace(
        disposition("ce-1", 2),
        campaign_id="c-7",
        human_answered=True,
        agent_connected_s=2.345,
        abandoned=True,
        task_sid="WT" + "a" * 32,
    )
    old_fields = {k: v for k, v in old.to_fields().items() if k in VERSION_1}
    await redis_client.xadd("call_dispositions", {**old_fields, "schema_version": "1"})
    await redis_client.xadd("call_dispositions", new.to_fields())
    reader = DispositionReader(redis_client, group="g", consumer="c", block_ms=50)

    assert [d async for d in reader.read(forever=False)] == [old, new]

    await redis_client.xadd("call_dispositions", {**new.to_fields(), "schema_version": "3"})
    with pytest.raises(ContractViolation, match="schema_version '3'"):
        async for _ in reader.read(forever=False):
            pass
    pending = await redis_client.xpending("call_dispositions", "g")
    assert pending["pending"] == 1  # not acked: nothing skipped silently
