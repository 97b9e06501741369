"""The `CampaignExecutionStore` and `PacingStatsSource` contracts (string documents; the
RedisJSON form is in test_redis_campaign_json.py)."""

from __future__ import annotations

import json

import pytest

from queue_core.domain.campaign import CampaignExecution, PacingMode
from queue_core.domain.errors import InvalidCampaignExecution
from queue_core.domain.stats import QueueStats
from tests.contract.conftest import World

CE = "ce-42"
WQ = "WQ" + "0123456789abcdef" * 2
DOCUMENT = {
    "campaign_execution_id": CE,
    "studio_flow_sid": "FW" + "0123456789abcdef" * 2,
    "from_number": "+15005550006",
    "task_queue_sid": WQ,
    "pacing": {"mode": "fixed", "max_concurrent_calls": 7},
    "unknown": "ignored",
}


async def test_a_json_string_document_loads(world: World) -> None:
    await world.put_document(CE, json.dumps(DOCUMENT))

    execution = await world.campaigns.load(CE)

    assert execution == CampaignExecution.from_document(DOCUMENT, key="k")
    assert execution.pacing.mode is PacingMode.FIXED


async def test_a_missing_document_names_the_key(world: World) -> None:
    with pytest.raises(InvalidCampaignExecution, match="campaign_execution:ce-42: no such key"):
        await world.campaigns.load(CE)


async def test_a_string_that_is_not_json_names_the_key(world: World) -> None:
    await world.put_document(CE, "{not json")

    with pytest.raises(InvalidCampaignExecution, match=r"campaign_execution:ce-42: .*not JSON"):
        await world.campaigns.load(CE)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"studio_flow_sid": None}, "studio_flow_sid"),
        ({"from_number": "5005550006"}, "from_number"),
        ({"pacing": {"dial_ratio": -1}}, "pacing.dial_ratio"),
    ],
)
async def test_an_invalid_document_names_key_and_field(
    world: World, change: dict[str, object], field: str
) -> None:
    await world.put_document(CE, json.dumps({**DOCUMENT, **change}))

    with pytest.raises(InvalidCampaignExecution, match=f"campaign_execution:ce-42.*'{field}'"):
        await world.campaigns.load(CE)


async def test_a_document_that_is_not_an_object_is_invalid(world: World) -> None:
    await world.put_document(CE, "[1, 2]")

    with pytest.raises(InvalidCampaignExecution, match="campaign_execution:ce-42"):
        await world.campaigns.load(CE)


async def test_stats_are_read_per_task_queue(world: World) -> None:
    raw = {"total_available_workers": 4, "tasks_by_status": {"pending": 1, "reserved": 2}}
    await world.put_stats(WQ, json.dumps(raw))

    assert await world.stats.read(WQ) == QueueStats(4, pending_tasks=1, reserved_tasks=2)
    assert await world.stats.read("WQ" + "f" * 32) is None


async def test_unparsable_stats_read_as_none(world: World) -> None:
    await world.put_stats(WQ, "{broken")

    assert await world.stats.read(WQ) is None


DEEP = "[" * 2_000 + "]" * 2_000  # past json.loads' recursion limit


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (json.dumps({**DOCUMENT, "notes": "@"}).replace('"@"', DEEP), "deeper than 32 levels"),
        ("[" * 100_000, "more than 65536"),
        (json.dumps({**DOCUMENT, "notes": "n" * 70_000}), "more than 65536"),
    ],
)
async def test_a_document_too_deep_or_too_large_is_invalid_and_read_no_further(
    world: World, document: str, message: str
) -> None:
    await world.put_document(CE, document)

    with pytest.raises(InvalidCampaignExecution, match=f"campaign_execution:ce-42: .*{message}"):
        await world.campaigns.load(CE)


async def test_a_document_naming_another_execution_is_invalid_naming_both(world: World) -> None:
    await world.put_document(CE, json.dumps({**DOCUMENT, "campaign_execution_id": "ce-43"}))

    with pytest.raises(InvalidCampaignExecution, match="'ce-43', not 'ce-42'"):
        await world.campaigns.load(CE)


@pytest.mark.parametrize(
    "raw",
    [
        '{"total_available_workers": 4, "x": ' + DEEP + "}",
        '{"total_available_workers": 4, "pad": "' + "p" * 70_000 + '"}',
        '{"total_available_workers": 1' + "0" * 400 + "}",
        '{"total_available_workers": 4, "timestamp": NaN}',
    ],
)
async def test_stats_too_deep_too_large_or_out_of_range_read_as_none(
    world: World, raw: str
) -> None:
    await world.put_stats(WQ, raw)

    assert await world.stats.read(WQ) is None
