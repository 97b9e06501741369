"""`queue-service status`: a table, one JSON document valid against the schema the package
ships, a live view; exit 0 when no execution was ever started."""

from __future__ import annotations

import asyncio
import io
import json
import time
from typing import Any

import jsonschema
import pytest
import redis
from rich.console import Console

from queue_adapters.redis import (
    RedisExecutionLeases,
    RedisKeys,
    RedisQueueStateStore,
    connect,
)
from queue_app.cli._status import table, watch
from queue_app.client import ExecutionReport, QueueClient
from queue_app.schemas import status_schema
from queue_core.domain.state import QueueState
from queue_core.ports import PacingReport
from tests.cli.conftest import invoke
from tests.support.redis_server import RedisServerProcess, free_port

pytestmark = pytest.mark.redis

KEYS = RedisKeys()


async def seed_state(
    client: Any, execution_id: str, state: QueueState, reason: str = "", request_id: str = ""
) -> None:
    """What a test finds stored: an execution's state hash, as the service's transitions
    leave it."""
    fields = {"state": state.value, "updated_at": repr(time.time())}
    fields |= {"reason": reason, "request_id": request_id}
    await client.hset(KEYS.execution(execution_id).state, mapping=fields)
    await client.sadd(KEYS.executions, execution_id)


def seed(url: str) -> None:
    """Two executions as the service stores them: one running with pacing and an owner, one
    stopped with nothing else known."""

    async def write() -> None:
        client = await connect(url)
        try:
            states = RedisQueueStateStore(client)
            await seed_state(client, "ce-run", QueueState.RUNNING, request_id="r-1")
            await states.save_pacing(
                "ce-run", PacingReport(4.5, 9.0, 1.5, "agents free", time.time())
            )
            await RedisExecutionLeases(client).acquire("ce-run", "instance-a", 30)
            await client.rpush(KEYS.campaign_cache("ce-run"), *["{}"] * 7)
            await client.sadd(KEYS.active_calls("ce-run"), "FN1", "FN2")
            await seed_state(client, "ce-old", QueueState.STOPPED, reason="enough")
            # Free text from outside, shown as written, never read as rich markup.
            await seed_state(client, "ce-odd", QueueState.FAILED, reason="[bold]bad[/] doc [/x]")
        finally:
            await client.aclose()

    asyncio.run(write())


def test_status_exits_0_when_no_execution_was_ever_started(store: redis.Redis) -> None:
    table_run = invoke("status")
    json_run = invoke("status", "--json")

    assert (table_run.exit_code, table_run.stdout) == (0, "no execution has been started\n")
    assert json_run.exit_code == 0
    document = json.loads(json_run.stdout)
    jsonschema.validate(document, status_schema())
    assert document["executions"] == []


def test_status_json_is_one_document_valid_against_the_shipped_schema(
    store: redis.Redis, redis_server: RedisServerProcess
) -> None:
    seed(redis_server.url)

    done = invoke("status", "--json")

    assert done.exit_code == 0, done.output
    document = json.loads(done.stdout)
    validator = jsonschema.Draft202012Validator(status_schema())
    validator.check_schema(status_schema())
    assert list(validator.iter_errors(document)) == []
    odd, old, running = document["executions"]  # sorted by id
    assert odd["reason"] == "[bold]bad[/] doc [/x]"
    assert running["campaign_execution_id"] == "ce-run"
    assert (running["state"], running["active"], running["cache_remaining"]) == ("running", 2, 7)
    assert running["owner"] == "instance-a"
    assert running["pacing"]["launch_rate"] == 4.5
    assert running["pacing"]["reason"] == "agents free"
    assert (old["state"], old["reason"], old["owner"], old["pacing"]) == (
        "stopped",
        "enough",
        None,
        None,
    )


def test_the_schema_refuses_a_document_with_a_key_it_does_not_name() -> None:
    document = {"schema_version": 1, "at": "2026-01-01T00:00:00.000Z", "executions": [], "x": 1}

    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, status_schema())


def test_status_of_an_execution_never_started_exits_1_and_still_prints_its_document(
    store: redis.Redis,
) -> None:
    done = invoke("status", "ce-none", "--json")

    assert done.exit_code == 1
    assert json.loads(done.stdout)["executions"] == []
    assert "no execution ce-none has been started" in done.stderr


def test_status_table_piped_keeps_every_value_whole(
    store: redis.Redis, redis_server: RedisServerProcess
) -> None:
    seed(redis_server.url)

    done = invoke("status", "ce-run")

    assert done.exit_code == 0
    row = next(line for line in done.stdout.splitlines() if "ce-run" in line)
    cells = [cell.strip() for cell in row.split("│")[1:-1]]
    assert cells[:7] == ["ce-run", "running", "0", "0", "2", "0", "7"]
    assert cells[-1] == "instance-a"
    odd = invoke("status", "ce-odd")
    assert "[bold]bad[/] doc [/x]" in odd.stdout


def test_json_and_watch_together_is_a_usage_error(store: redis.Redis) -> None:
    done = invoke("status", "--json", "--watch")

    assert done.exit_code == 2
    assert "--json and --watch" in done.stderr


def test_the_watch_redraws_in_place_on_a_terminal(
    store: redis.Redis, redis_server: RedisServerProcess
) -> None:
    seed(redis_server.url)
    out = io.StringIO()
    terminal = Console(file=out, force_terminal=True, width=200)
    reads: list[int] = []

    async def follow() -> None:
        async with QueueClient.connect(redis_server.url) as client:

            async def read() -> list[ExecutionReport]:
                reads.append(1)
                return await client.statuses()

            await watch(read, table, terminal, 0.01, rounds=3)

    asyncio.run(follow())

    assert len(reads) == 3
    text = out.getvalue()
    assert "\x1b[" in text  # cursor movements: the view is redrawn, not appended
    assert "ce-run" in text
    assert "ce-old" in text


def test_an_unreachable_redis_names_the_url_and_the_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = f"redis://:secret@127.0.0.1:{free_port()}/0"
    monkeypatch.setenv("QUEUE_REDIS_URL", url)

    done = invoke("status")

    assert done.exit_code == 1
    assert isinstance(done.exception, SystemExit)  # no traceback
    message = " ".join(done.stderr.split())
    assert message.startswith("Redis unavailable at redis://:***@127.0.0.1:")
    assert message.endswith("(set QUEUE_REDIS_URL)")
    assert "secret" not in message


def test_the_watch_piped_prints_one_view_after_the_other(
    store: redis.Redis, redis_server: RedisServerProcess
) -> None:
    seed(redis_server.url)
    out = io.StringIO()
    piped = Console(file=out, width=1000)

    async def follow() -> None:
        async with QueueClient.connect(redis_server.url) as client:
            await watch(client.statuses, table, piped, 0.01, rounds=2)

    asyncio.run(follow())

    text = out.getvalue()
    assert "\x1b[" not in text
    assert text.count("ce-run") == 2
