"""Fixtures of the system tests: a private `redis-server`, the Twilio emulator and
`queue-service serve`, each a real process, always stopped after the test, even on failure.

When a test fails, the tail of every process log is added to its report.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator, Mapping
from pathlib import Path

import pytest
import redis

from tests.support.redis_server import RedisServerProcess, free_port
from tests.system.processes import EmulatorProcess, ServiceProcess, log_tail, service_env

_LOGS = pytest.StashKey[list[Path]]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.failed:
        for path in item.stash.get(_LOGS, []):
            report.sections.append((f"tail of {path.name}", log_tail(path)))
    return report


def _log(request: pytest.FixtureRequest, path: Path) -> Path:
    request.node.stash.setdefault(_LOGS, []).append(path)
    return path


@pytest.fixture
def redis_server() -> Iterator[RedisServerProcess]:
    with RedisServerProcess() as server:
        yield server


@pytest.fixture
def store(redis_server: RedisServerProcess) -> Iterator[redis.Redis]:
    """What the other campaign services use: a plain client of the service's Redis."""
    client = redis_server.client()
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def emulator(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EmulatorProcess]:
    process = EmulatorProcess(_log(request, tmp_path / "emulator.log"))
    try:
        yield process.start()
    finally:
        process.stop()


@pytest.fixture
def serve_env(redis_server: RedisServerProcess, emulator: EmulatorProcess) -> dict[str, str]:
    """The environment of `queue-service serve` on a free port, signatures checked."""
    return service_env(redis_server.url, emulator.url, free_port())


@pytest.fixture
def launch_service(
    request: pytest.FixtureRequest, tmp_path: Path, serve_env: dict[str, str]
) -> Iterator[Callable[..., ServiceProcess]]:
    """Start `queue-service serve` (the fixture's environment, or `env`) and wait until it is
    ready (with `ready=False`: until it answers at all). Every process started is stopped
    after the test; all share one log file."""
    log = _log(request, tmp_path / "service.log")
    started: list[ServiceProcess] = []

    def launch(env: Mapping[str, str] | None = None, *, ready: bool = True) -> ServiceProcess:
        with log.open("a") as out:
            out.write(f"--- queue-service serve, start {len(started) + 1} ---\n")
        process = ServiceProcess(log, env if env is not None else serve_env)
        started.append(process)
        return process.start(ready=ready)

    try:
        yield launch
    finally:
        for process in started:
            process.stop()
