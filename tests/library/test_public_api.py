"""The public API: what each package exports, pinned (httpx's `test_exported_members` habit)."""

from __future__ import annotations

import importlib
import importlib.resources
import inspect
import types

import pytest

PACKAGES = [
    "queue_core",
    "queue_app",
    "queue_adapters.redis",
    "queue_adapters.twilio",
    "queue_adapters.http",
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
        "LaunchLine",
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
