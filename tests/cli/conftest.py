"""The command line against a real `redis-server` of this module, run in-process with click's
`CliRunner` and `QUEUE_REDIS_URL` pointing at the server (emptied before each test)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from click.testing import CliRunner, Result

from queue_app.cli import main
from tests.support.redis_server import RedisServerProcess


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServerProcess]:
    with RedisServerProcess() as server:
        yield server


@pytest.fixture
def store(
    redis_server: RedisServerProcess, monkeypatch: pytest.MonkeyPatch
) -> Iterator[redis.Redis]:
    """A plain client of the empty server, which the command line is pointed at."""
    redis_server.flushall()
    monkeypatch.setenv("QUEUE_REDIS_URL", redis_server.url)
    client = redis_server.client()
    try:
        yield client
    finally:
        client.close()


def invoke(*args: str) -> Result:
    """`queue-service ARGS` in this process; stdout and stderr apart."""
    return CliRunner().invoke(main, list(args), catch_exceptions=True)
