"""One in-memory fake per port, shared by the unit tests and proven by the contract suite."""

from tests.fakes.clock import FakeClock
from tests.fakes.launcher import FakeCallLauncher
from tests.fakes.stores import (
    FakeActiveCallRegistry,
    FakeAssemblyStore,
    FakeCampaignExecutionStore,
    FakeContactCache,
    FakeControlStream,
    FakeEventPublisher,
    FakeExecutionLeases,
    FakeLaunchLimiter,
    FakePacingStatsSource,
    FakeQueueStateStore,
    InMemoryBackend,
)
from tests.fakes.waiting import FakeDoNotCallLists, FakeWaitingRecords
from tests.fakes.zones import FakeContactZones

__all__ = [
    "FakeActiveCallRegistry",
    "FakeAssemblyStore",
    "FakeCallLauncher",
    "FakeCampaignExecutionStore",
    "FakeClock",
    "FakeContactCache",
    "FakeContactZones",
    "FakeControlStream",
    "FakeDoNotCallLists",
    "FakeEventPublisher",
    "FakeExecutionLeases",
    "FakeLaunchLimiter",
    "FakePacingStatsSource",
    "FakeQueueStateStore",
    "FakeWaitingRecords",
    "InMemoryBackend",
]
