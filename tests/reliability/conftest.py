"""Fixtures of the reliability tests: the system tests' processes (reused from
`tests/system/conftest.py`), on a Redis with AOF on that a test may crash and restart.

Figures. A test puts what it measured in the `figures` dict. Unless the test fails, they are
written to `build/reliability-figures/<test name>.json` (overwritten on each run; git ignores
`build/`, so a test run leaves the work tree clean), attached to the test's JUnit report
(`record_property`), and printed in a "reliability figures" section of the terminal summary,
with or without `-s`. `python3 dev.py figures` copies them to `docs/reliability-figures/`.
"""

from __future__ import annotations

import json
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.durable_redis import DurableRedisServer
from tests.system import conftest as system

# The system tests' fixtures, re-exported so that pytest finds them here; `store`, `serve_env`
# and `launch_service` run on this directory's `redis_server`.
emulator = system.emulator
launch_service = system.launch_service
serve_env = system.serve_env
store = system.store

__all__ = ["emulator", "figures", "launch_service", "redis_server", "serve_env", "store"]

FIGURES_DIR = Path(__file__).resolve().parents[2] / "build" / "reliability-figures"

_PASSED = pytest.StashKey[bool]()
_FIGURES = pytest.StashKey[dict[str, dict[str, Any]]]()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the reliability tests one after another on one worker when the suite runs on
    several (`pytest -n`): they load the machine and measure under that load, and their
    figures would mix with each other's."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.xdist_group("reliability"))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    # The system tests' hook adds the process logs to a failed report; this one also notes
    # whether the test itself passed, for the `figures` fixture.
    report = yield from system.pytest_runtest_makereport(item, call)
    if report.when == "call":
        item.stash[_PASSED] = not report.failed  # passed, or an expected failure
    return report


def pytest_terminal_summary(terminalreporter: Any) -> None:
    measured = terminalreporter.config.stash.get(_FIGURES, {})
    if not measured:
        return
    terminalreporter.section("reliability figures")
    for name, found in measured.items():
        terminalreporter.write_line(name)
        for key, value in found.items():
            terminalreporter.write_line(f"    {key}: {json.dumps(value)}")


@pytest.fixture
def redis_server() -> Iterator[DurableRedisServer]:
    with DurableRedisServer() as server:
        yield server


@pytest.fixture
def figures(request: pytest.FixtureRequest, record_property: Any) -> Iterator[dict[str, Any]]:
    """What the test measured, JSON values by name; reported unless the test fails."""
    found: dict[str, Any] = {}
    yield found
    if not found or not request.node.stash.get(_PASSED, False):
        return
    name = request.node.name
    request.config.stash.setdefault(_FIGURES, {})[name] = found
    for key, value in found.items():
        record_property(key, value)
    FIGURES_DIR.mkdir(parents=True, exist_ok=True)
    text = json.dumps(found, indent=2) + "\n"
    (FIGURES_DIR / f"{name}.json").write_text(text)
