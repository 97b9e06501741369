"""Every example of docs/library.md runs, in order, against a real redis-server."""

from __future__ import annotations

import asyncio
import contextlib
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from queue_app import DispositionReader, QueueClient
from tests.support.redis_server import RedisServerProcess

DOC = Path(__file__).resolve().parents[2] / "docs" / "library.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.DOTALL)


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with RedisServerProcess() as server:
        yield server.url


def run_example(source: str, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("QUEUE_REDIS_URL", redis_url)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(source, str(DOC), "exec"), {"__name__": "__example__"})
    return out.getvalue()


def test_the_doc_has_its_four_examples() -> None:
    assert len(BLOCKS) == 4


def test_writing_a_campaign_and_starting_it(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    printed = run_example(BLOCKS[0], redis_url, monkeypatch)
    assert re.match(r"start written as \d+-\d+\nNone\n$", printed)
    with redis.Redis.from_url(redis_url, decode_responses=True) as store:
        entry = store.xrange("queue_control_stream")[-1][1]
        assert entry == {
            "action": "start",
            "campaign_execution_id": "ce-42",
            "request_id": "launch-1",
            "reason": "morning run",
        }
        assert store.llen("campaign_cache:{ce-42}") == 3


def test_watching_queue_events(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    printed = run_example(BLOCKS[1], redis_url, monkeypatch)
    assert re.match(r"\d+-\d+ started 0 0 0\n$", printed)


def test_consuming_dispositions(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    printed = run_example(BLOCKS[2], redis_url, monkeypatch)
    assert printed == "r-0 completed 57\n"
    with redis.Redis.from_url(redis_url, decode_responses=True) as store:
        assert store.xpending("call_dispositions", "crm-sync")["pending"] == 0
    assert asyncio.run(read_again(redis_url)) == []  # acked: never delivered to the group again


async def read_again(redis_url: str) -> list[str]:
    async with QueueClient.connect(redis_url) as client:
        reader = DispositionReader(client.redis, group="crm-sync", consumer="crm-sync-2")
        return [d.record_id async for d in reader.read(forever=False)]


def test_pacing_without_the_service(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    printed = run_example(BLOCKS[3], redis_url, monkeypatch).splitlines()
    assert printed[0] == "10 progressive"
    assert printed[1] == "{'ce-42': 6.0, 'ce-43': 3.0}"
    assert abs(float(printed[2]) - 1 / 6) < 1e-9
