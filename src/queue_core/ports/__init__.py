"""The ports: what the core needs from the world, as `typing.Protocol`s, one module each.

    abandonment     `AbandonmentCounters`: person-answered and abandoned calls, per
                    execution and per campaign over 30 days
    clock           `Clock`: wall-clock and monotonic time, and waiting
    control         `ControlStream` (`ControlEntry`): the commands other services send
    campaigns       `CampaignExecutionStore`: each execution's settings document
    stats           `PacingStatsSource`: the stats service's figures for a task queue
    contacts        `ContactCache`: an execution's records, claimed and settled exactly once
    calls           `ActiveCallRegistry`: the contacts in flight, and the indexes that tie a
                    webhook to its contact
    assembly        `AssemblyStore` (`AssemblySnapshot`, `Correlation`): each contact's facts
    events          `EventPublisher`: the queue events other services watch
    state           `QueueStateStore` (`ExecutionStatus`, `PacingReport`): each execution's
                    state and counts
    leases          `ExecutionLeases`: which instance drives an execution
    launch_limiter  `LaunchLimiter` (`LaunchSlot`): the account's schedule of launch slots
    launcher        `CallLauncher`: creating the Studio executions that place the calls
    zones           `ContactZones`: the time zones of a phone number (not a coroutine)

What holds for every port, unless its docstring says otherwise:

- Every method is a coroutine (`Clock.now` and `Clock.monotonic` are not).
- What one instance of the service stores, every other instance reads: an implementation
  keeps its state where all of them share it.
- `StoreUnavailable` when the store (or Twilio) cannot be reached or does not answer in time:
  the step may or may not have taken effect, and the caller retries with backoff; each
  docstring says whether a retry is harmless. `ContractViolation` subclasses when what was
  read breaks the integration contract. No other error.
- Atomic: another instance sees all of the step or none of it.
- Times are unix seconds (float) on the wall clock, durations seconds, unless a name says
  otherwise (`block_ms`). `None` results are documented per method.

How each is kept in Redis (keys, scripts, a cluster's slots) is said by its adapter in
`queue_adapters.redis`; the contract suite in `tests/contract/` holds every implementation to
these docstrings.
"""

from queue_core.ports.abandonment import AbandonmentCounters
from queue_core.ports.assembly import (
    AssemblySnapshot,
    AssemblyStore,
    Correlation,
    FactsByCall,
    FactsByContact,
    FactsByPair,
    FactsBySid,
)
from queue_core.ports.calls import ActiveCallRegistry
from queue_core.ports.campaigns import CampaignExecutionStore
from queue_core.ports.clock import Clock
from queue_core.ports.contacts import ContactCache
from queue_core.ports.control import ControlEntry, ControlStream
from queue_core.ports.dnc import DoNotCallLists
from queue_core.ports.events import EventPublisher
from queue_core.ports.launch_limiter import LaunchLimiter, LaunchSlot
from queue_core.ports.launcher import CallLauncher
from queue_core.ports.leases import ExecutionLeases
from queue_core.ports.state import ExecutionStatus, PacingReport, QueueStateStore
from queue_core.ports.stats import PacingStatsSource
from queue_core.ports.waiting import WaitingRecords
from queue_core.ports.zones import ContactZones

__all__ = [
    "AbandonmentCounters",
    "ActiveCallRegistry",
    "AssemblySnapshot",
    "AssemblyStore",
    "CallLauncher",
    "CampaignExecutionStore",
    "Clock",
    "ContactCache",
    "ContactZones",
    "ControlEntry",
    "ControlStream",
    "Correlation",
    "DoNotCallLists",
    "EventPublisher",
    "ExecutionLeases",
    "ExecutionStatus",
    "FactsByCall",
    "FactsByContact",
    "FactsByPair",
    "FactsBySid",
    "LaunchLimiter",
    "LaunchSlot",
    "PacingReport",
    "PacingStatsSource",
    "QueueStateStore",
    "WaitingRecords",
]
