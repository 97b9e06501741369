"""The public API: what each package exports, pinned (httpx's `test_exported_members` habit),
documented in docs/library.md name for name, and light to import for the client."""

from __future__ import annotations

import importlib
import importlib.resources
import inspect
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

PACKAGES = [
    "queue_core",
    "queue_core.ports",
    "queue_app",
    "queue_adapters.redis",
    "queue_adapters.twilio",
    "queue_adapters.http",
    "queue_adapters.zones",
    "twilio_emulator",
]

# The names other services build on. Removing or renaming one is a breaking change (a major
# version); adding one is not. Keep these lists in step with CHANGELOG.md.
PINNED = {
    "queue_app": {
        "DispositionReader",
        "ExecutionReport",
        "QueueClient",
        "Settings",
        "SettingsError",
        "__version__",
        "create_app",
    },
    "queue_core": {
        # the contract's types
        "Action",
        "ControlCommand",
        "CampaignExecution",
        "PacingMode",
        "PacingSettings",
        "ContactRecord",
        "Disposition",
        "DispositionStatus",
        "SCHEMA_VERSION",
        "QueueEvent",
        "QueueEventType",
        "QueueStats",
        "QueueState",
        # pacing and the launch schedule
        "Pacer",
        "PacingSnapshot",
        "PacingDecision",
        "LaunchSchedule",
        "LaunchRateController",
        "SendTurn",
        "SlotTerms",
        "account_rate",
        "share_rates",
        # the ports
        "ActiveCallRegistry",
        "AssemblyStore",
        "CallLauncher",
        "CampaignExecutionStore",
        "Clock",
        "ContactCache",
        "ControlStream",
        "EventPublisher",
        "ExecutionLeases",
        "LaunchLimiter",
        "LaunchSlot",
        "PacingStatsSource",
        "QueueStateStore",
        "Transition",
        # errors
        "QueueError",
        "ContractViolation",
        "StoreUnavailable",
    },
}


@pytest.mark.parametrize("name", PACKAGES)
def test_all_lists_exactly_the_public_names(name: str) -> None:
    package = importlib.import_module(name)
    public = {
        member
        for member, value in vars(package).items()
        if not member.startswith("_")
        and not isinstance(value, types.ModuleType)
        and member != "annotations"
    }
    assert sorted(package.__all__) == sorted(public | ({"__version__"} & set(package.__all__)))


@pytest.mark.parametrize("name", PACKAGES)
def test_every_exported_name_is_documented(name: str) -> None:
    package = importlib.import_module(name)
    undocumented = [
        member
        for member in package.__all__
        if (
            inspect.isclass(getattr(package, member))
            or inspect.isfunction(getattr(package, member))
        )
        and not inspect.getdoc(getattr(package, member))
    ]
    assert undocumented == []


@pytest.mark.parametrize("name", sorted(PINNED))
def test_the_pinned_names_are_exported(name: str) -> None:
    package = importlib.import_module(name)
    assert PINNED[name] <= set(package.__all__)


def test_the_packages_are_typed() -> None:
    for name in ("queue_core", "queue_app", "queue_adapters", "twilio_emulator"):
        package = importlib.import_module(name)
        assert package.__file__ is not None
        assert (importlib.resources.files(name) / "py.typed").is_file()


LIBRARY_DOC = Path(__file__).resolve().parents[2] / "docs" / "library.md"


def documented_names() -> dict[str, set[str]]:
    """The names in the bullet lists under each package heading (`### `) of "What each
    package exports" in docs/library.md (dotted names, such as a method, are not names)."""
    text = LIBRARY_DOC.read_text()
    section = text.split("\n## What each package exports\n", 1)[1].split("\n## ", 1)[0]
    names: dict[str, set[str]] = {}
    for part in re.split(r"^### ", section, flags=re.MULTILINE)[1:]:
        heading, _, body = part.partition("\n")
        bullets = re.findall(r"^- .*(?:\n  .*)*", body, flags=re.MULTILINE)
        names[heading.strip("` ")] = set(re.findall(r"`([A-Za-z_]\w*)`", "\n".join(bullets)))
    return names


def test_library_md_documents_each_package_s_names_and_nothing_else() -> None:
    documented = documented_names()
    assert set(documented) == {"queue_app", "queue_core", "queue_core.ports"}
    ports = importlib.import_module("queue_core.ports")
    assert documented["queue_core.ports"] == set(ports.__all__)
    # queue_core lists its own names, "and every name of `queue_core.ports`".
    core = importlib.import_module("queue_core")
    assert documented["queue_core"] | documented["queue_core.ports"] == set(core.__all__)
    assert not documented["queue_core"] & documented["queue_core.ports"]
    app = importlib.import_module("queue_app")
    assert documented["queue_app"] == set(app.__all__)


HEAVY = ("starlette", "twilio", "aiohttp", "dependency_injector")


@pytest.mark.parametrize(
    "statement",
    [
        "from queue_app import QueueClient, DispositionReader, ExecutionReport",
        "import queue_core",
    ],
)
def test_the_client_and_the_reader_import_without_the_web_stack(statement: str) -> None:
    # A fresh interpreter: this test process has loaded everything already.
    probe = f"import sys; {statement}; print(sorted(set(sys.modules) & set({HEAVY!r})))"
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == "[]"


def test_create_app_loads_the_web_stack_when_called_and_builds_the_app() -> None:
    probe = """
import sys, queue_app
before = "starlette" in sys.modules
settings = queue_app.Settings.model_validate(
    {"TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": "x" * 32}
)
print(before, type(queue_app.create_app(settings)).__name__)
"""
    printed = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.split()
    assert printed == ["False", "Starlette"]
