"""The live commands as an operator runs them, real processes: `status --watch` and
`events --follow` keep going until Ctrl-C, which ends them with exit 0; `--version`."""

from __future__ import annotations

import importlib.metadata
import os
import signal
import subprocess
import time

import pytest
import redis

from tests.support.redis_server import RedisServerProcess
from tests.system.processes import queue_service, wait_for

pytestmark = pytest.mark.slow


def _start(redis_url: str, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QUEUE_", "TWILIO_"))}
    return subprocess.Popen(
        [queue_service(), *args],
        env={**env, "QUEUE_REDIS_URL": redis_url},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_connected(store: redis.Redis) -> None:
    """Until the command has a connection of its own: it is past its start (a Ctrl-C while
    Python imports is Python's, a traceback) and reading."""
    wait_for(lambda: store.client_list(_type="normal")[1:], "the command to connect")


def _interrupt(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=15)
    return process.returncode, out, err


def test_events_follow_prints_new_events_until_ctrl_c(
    redis_server: RedisServerProcess, store: redis.Redis
) -> None:
    store.xadd("queue_event_stream", {"event": "started", "campaign_execution_id": "ce-1"})
    process = _start(redis_server.url, "events", "--follow")
    try:
        _wait_connected(store)
        time.sleep(0.5)
        store.xadd("queue_event_stream", {"event": "paused", "campaign_execution_id": "ce-1"})
        time.sleep(1.5)
    finally:
        code, out, err = _interrupt(process)

    assert code == 0, err
    assert "Traceback" not in err
    assert [line.split()[1] for line in out.splitlines()] == ["started", "paused"]


def test_status_watch_refreshes_until_ctrl_c(
    redis_server: RedisServerProcess, store: redis.Redis
) -> None:
    process = _start(redis_server.url, "status", "--watch", "--interval", "0.2")
    try:
        _wait_connected(store)
        time.sleep(1.5)
    finally:
        code, out, err = _interrupt(process)

    assert code == 0, err
    assert "Traceback" not in err
    assert out.count("no execution has been started") >= 2


def test_version_prints_the_package_version() -> None:
    done = subprocess.run(
        [queue_service(), "--version"], capture_output=True, text=True, timeout=30, check=False
    )

    version = importlib.metadata.version("dialer-queue-service")
    assert (done.returncode, done.stdout) == (0, f"queue-service, version {version}\n")
