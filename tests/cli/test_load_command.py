"""`queue-service load`: a campaign execution's document and its contacts from a CSV file,
exactly the good records or nothing, never over existing keys without --replace."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import redis

from queue_adapters.redis import (
    RedisCampaignExecutionStore,
    RedisContactCache,
    RedisKeys,
    connect,
)
from queue_core.domain.campaign import CampaignExecution, PacingMode
from queue_core.domain.contacts import ContactRecord
from tests.cli.conftest import invoke
from tests.support.redis_server import RedisServerProcess

pytestmark = pytest.mark.redis

FLOW = "FW" + "a" * 32
QUEUE = "WQ" + "b" * 32
FROM = "+15005550006"
KEYS = RedisKeys()
DOCUMENT = KEYS.campaign_execution("ce-1")
CACHE = KEYS.campaign_cache("ce-1")

GOOD = (
    "record_id,phone_number,first_name,timezone\n"
    "r-1,+14155550100,Ada,America/Chicago\n"
    "r-2,+14155550101,Grace,\n"
    "r-3,+14155550102,Alan,\n"
)
BAD = (
    "record_id,phone_number,first_name\n"
    "r-1,+14155550100,Ada\n"
    "r-2,4155550101,Grace\n"  # line 3: not E.164
    "r-1,+14155550102,Alan\n"  # line 4: a duplicate record_id
    "r-4,+14155550103\n"  # line 5: a column missing
    "r-5,+14155550104,Edsger\n"
)


def load(path: Path, *extra: str, execution: str = "ce-1") -> tuple[int, str, str]:
    done = invoke(
        "load", execution, "--csv", str(path), "--flow", FLOW, "--from", FROM,
        "--task-queue", QUEUE, *extra,
    )  # fmt: skip
    assert isinstance(done.exception, SystemExit | None), done.exception
    return done.exit_code, done.stdout, done.stderr


@pytest.fixture
def good(tmp_path: Path) -> Path:
    path = tmp_path / "good.csv"
    path.write_text(GOOD)
    return path


@pytest.fixture
def bad(tmp_path: Path) -> Path:
    path = tmp_path / "bad.csv"
    path.write_text(BAD)
    return path


def test_a_good_sheet_writes_exactly_its_records_and_the_document(
    store: redis.Redis, good: Path
) -> None:
    code, out, _ = load(good, "--mode", "fixed", "--max-concurrent-calls", "20")

    assert code == 0
    assert "loaded ce-1: 3 contact(s)" in out
    cached = [json.loads(raw) for raw in store.lrange(CACHE, 0, -1)]
    assert cached == [
        {
            "record_id": "r-1",
            "phone_number": "+14155550100",
            "timezone": "America/Chicago",
            "attributes": {"first_name": "Ada"},
        },
        {"record_id": "r-2", "phone_number": "+14155550101", "attributes": {"first_name": "Grace"}},
        {"record_id": "r-3", "phone_number": "+14155550102", "attributes": {"first_name": "Alan"}},
    ]
    assert all(ContactRecord.parse(raw) for raw in store.lrange(CACHE, 0, -1))
    stored = store.get(DOCUMENT)
    assert isinstance(stored, str)  # a JSON string, as the contract accepts
    execution = CampaignExecution.from_document(json.loads(stored), key=DOCUMENT)
    assert (execution.studio_flow_sid, execution.from_number, execution.task_queue_sid) == (
        FLOW,
        FROM,
        QUEUE,
    )
    assert (execution.pacing.mode, execution.pacing.max_concurrent_calls) == (PacingMode.FIXED, 20)
    assert execution.pacing.dial_ratio == 1.0  # the contract's default where no option is given


def test_a_bad_sheet_lists_every_bad_row_by_line_and_writes_nothing(
    store: redis.Redis, bad: Path
) -> None:
    code, _, err = load(bad)

    assert code == 1
    lines = err.splitlines()
    assert [line.split(": ")[1] for line in lines[:-1]] == ["line 3", "line 4", "line 5"]
    assert "E.164" in lines[0]
    assert "duplicate record_id 'r-1' (first on line 2)" in lines[1]
    assert "2 values for 3 columns" in lines[2]
    assert lines[-1] == f"3 bad row(s) in {bad}: nothing written"
    assert store.keys("*") == []


def test_a_bad_row_is_shown_as_written(store: redis.Redis, tmp_path: Path) -> None:
    path = tmp_path / "brackets.csv"
    path.write_text("record_id,phone_number\n[red]r-1[/x],[/]\n")

    code, _, err = load(path)

    assert code == 1
    assert "line 2: field 'phone_number' must be an E.164 number, got '[/]'" in err


def test_a_missing_column_writes_nothing(store: redis.Redis, tmp_path: Path) -> None:
    path = tmp_path / "no-phone.csv"
    path.write_text("record_id,name\nr-1,Ada\n")

    code, _, err = load(path)

    assert code == 1
    assert "line 1: missing column phone_number" in err
    assert store.keys("*") == []


def test_skip_invalid_writes_the_good_rows_and_lists_those_skipped(
    store: redis.Redis, bad: Path
) -> None:
    code, out, err = load(bad, "--skip-invalid")

    assert code == 0
    assert [line.split(": ")[1] for line in err.splitlines()] == [
        "skipped line 3",
        "skipped line 4",
        "skipped line 5",
    ]
    assert "3 bad row(s) skipped" in out
    assert [json.loads(raw)["record_id"] for raw in store.lrange(CACHE, 0, -1)] == ["r-1", "r-5"]


def test_existing_keys_are_kept_unless_replace(store: redis.Redis, good: Path, bad: Path) -> None:
    assert load(bad, "--skip-invalid")[0] == 0
    before = (store.get(DOCUMENT), store.lrange(CACHE, 0, -1))

    code, _, err = load(good)

    assert code == 1
    assert f"{DOCUMENT}, {CACHE} already exist: give --replace to overwrite" in err
    assert (store.get(DOCUMENT), store.lrange(CACHE, 0, -1)) == before
    assert load(good, "--replace")[0] == 0
    assert [json.loads(raw)["record_id"] for raw in store.lrange(CACHE, 0, -1)] == [
        "r-1",
        "r-2",
        "r-3",
    ]


def test_a_running_execution_is_not_loaded_over_even_with_replace(
    store: redis.Redis, good: Path
) -> None:
    store.hset(KEYS.execution("ce-1").state, mapping={"state": "running", "updated_at": "1"})
    store.sadd(KEYS.executions, "ce-1")

    code, _, err = load(good, "--replace")

    assert code == 1
    assert "execution ce-1 is running: stop it before loading; nothing written" in err
    assert store.exists(DOCUMENT, CACHE) == 0


@pytest.mark.parametrize(
    ("option", "value", "named"),
    [
        ("--flow", "FW123", "--flow"),
        ("--from", "5005550006", "--from"),
        ("--task-queue", "WQ", "--task-queue"),
        ("--dial-ratio", "0", "--dial-ratio"),
        ("--cps-share", "1.5", "--cps-share"),
        ("--max-concurrent-calls", "0", "--max-concurrent-calls"),
    ],
)
def test_a_bad_option_is_a_usage_error_naming_it_and_nothing_is_written(
    store: redis.Redis, good: Path, option: str, value: str, named: str
) -> None:
    done = invoke(
        "load", "ce-1", "--csv", str(good), "--flow", FLOW, "--from", FROM,
        "--task-queue", QUEUE, option, value,
    )  # fmt: skip

    assert done.exit_code == 2
    assert f"Invalid value for {named}" in done.stderr
    assert store.keys("*") == []


def test_a_load_is_what_the_service_reads_on_start(
    store: redis.Redis, redis_server: RedisServerProcess, good: Path
) -> None:
    assert load(good)[0] == 0

    async def read() -> tuple[CampaignExecution, int]:
        client = await connect(redis_server.url)
        try:
            execution = await RedisCampaignExecutionStore(client).load("ce-1")
            return execution, await RedisContactCache(client).remaining("ce-1")
        finally:
            await client.aclose()

    execution, remaining = asyncio.run(read())

    assert (execution.campaign_execution_id, remaining) == ("ce-1", 3)
