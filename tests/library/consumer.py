"""A consumer of the public API, as another campaign service would write it: type-checked
with `mypy --strict` by test_consumer_typing.py (never run)."""

from __future__ import annotations

from queue_app import DispositionReader, ExecutionReport, QueueClient
from queue_core import (
    CampaignExecution,
    ContactRecord,
    Disposition,
    DispositionStatus,
    Pacer,
    PacingSettings,
    PacingSnapshot,
    QueueEvent,
    QueueEventType,
    QueueState,
)


async def start_and_wait(url: str, execution_id: str) -> ExecutionReport | None:
    async with QueueClient.connect(url) as client:
        entry_id: str = await client.start(execution_id, request_id="r-1")
        assert entry_id
        async for _, event in client.watch_events(execution_id, after="0"):
            typed: QueueEvent = event
            if typed.event is QueueEventType.COMPLETED:
                break
        return await client.status(execution_id)


async def answered(url: str) -> list[str]:
    async with QueueClient.connect(url) as client:
        reader = DispositionReader(client.redis, group="crm", consumer="crm-1")
        people: list[str] = []
        async for disposition in reader.read(forever=False):
            typed: Disposition = disposition
            if typed.status is DispositionStatus.COMPLETED and typed.answered_by == "human":
                people.append(typed.record_id)
        return people


def documents(execution: CampaignExecution, record: ContactRecord) -> tuple[dict[str, object], str]:
    return execution.to_document(), record.to_json()


def pace(ratio: float, agents_free: int) -> int:
    pacer = Pacer(PacingSettings(dial_ratio=ratio))
    snapshot = PacingSnapshot(now=0.0, stats=None, in_flight=0, answered_in_flight=0, claimed=0)
    count: int = pacer.decide(snapshot, QueueState.RUNNING).count
    return count + agents_free * 0
