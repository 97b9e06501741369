"""The queue service's core: the rules of the queue, the ports it needs and the services that
drive them (ADR 0016). Standard library only.

What other services may build on is what `__all__` lists, as `docs/library.md` documents it
(a test holds the two equal): the contract's types with their stream-entry and document
forms; the pacer and the launch schedule; the errors; the ports (`queue_core.ports`) and the
values they carry. The services that run a queue (`queue_core.services`) and the rules they
apply (`queue_core.domain`) are importable by their module paths, with no promise of
stability: the packaged service (`queue_app.create_app`) is what runs them.
"""

from queue_core.domain.calling_window import CallingWindow
from queue_core.domain.campaign import CampaignExecution, PacingMode, PacingSettings
from queue_core.domain.commands import Action, ControlCommand
from queue_core.domain.contacts import ClaimedRecord, ContactAttempt, ContactRecord, ContactRef
from queue_core.domain.disposition import SCHEMA_VERSION, Disposition, DispositionStatus
from queue_core.domain.errors import (
    ContractViolation,
    InvalidCampaignExecution,
    InvalidCommand,
    InvalidContactRecord,
    InvalidDoNotCallList,
    LeaseLost,
    QueueError,
    StoreUnavailable,
)
from queue_core.domain.facts import ContactFact
from queue_core.domain.launch import (
    Ambiguous,
    Launched,
    LaunchOutcome,
    LaunchRequest,
    RateLimited,
    Rejected,
)
from queue_core.domain.launch_schedule import (
    LaunchRateController,
    LaunchSchedule,
    SendTurn,
    SlotTerms,
    account_rate,
    share_rates,
)
from queue_core.domain.pacer import Pacer, PacingDecision, PacingSnapshot
from queue_core.domain.queue_events import QueueEvent, QueueEventType
from queue_core.domain.retry import RetryPolicy
from queue_core.domain.state import QueueState, Transition
from queue_core.domain.stats import QueueStats
from queue_core.domain.waiting import WaitingRecord, WaitReason
from queue_core.ports import (
    AbandonmentCounters,
    ActiveCallRegistry,
    AssemblySnapshot,
    AssemblyStore,
    CallLauncher,
    CampaignExecutionStore,
    Clock,
    ContactCache,
    ContactZones,
    ControlEntry,
    ControlStream,
    Correlation,
    DoNotCallLists,
    EventPublisher,
    ExecutionLeases,
    ExecutionStatus,
    FactsByCall,
    FactsByContact,
    FactsByPair,
    FactsBySid,
    LaunchLimiter,
    LaunchSlot,
    PacingReport,
    PacingStatsSource,
    QueueStateStore,
    WaitingRecords,
)

__all__ = [
    "SCHEMA_VERSION",
    "AbandonmentCounters",
    "Action",
    "ActiveCallRegistry",
    "Ambiguous",
    "AssemblySnapshot",
    "AssemblyStore",
    "CallLauncher",
    "CallingWindow",
    "CampaignExecution",
    "CampaignExecutionStore",
    "ClaimedRecord",
    "Clock",
    "ContactAttempt",
    "ContactCache",
    "ContactFact",
    "ContactRecord",
    "ContactRef",
    "ContactZones",
    "ContractViolation",
    "ControlCommand",
    "ControlEntry",
    "ControlStream",
    "Correlation",
    "Disposition",
    "DispositionStatus",
    "DoNotCallLists",
    "EventPublisher",
    "ExecutionLeases",
    "ExecutionStatus",
    "FactsByCall",
    "FactsByContact",
    "FactsByPair",
    "FactsBySid",
    "InvalidCampaignExecution",
    "InvalidCommand",
    "InvalidContactRecord",
    "InvalidDoNotCallList",
    "LaunchLimiter",
    "LaunchOutcome",
    "LaunchRateController",
    "LaunchRequest",
    "LaunchSchedule",
    "LaunchSlot",
    "Launched",
    "LeaseLost",
    "Pacer",
    "PacingDecision",
    "PacingMode",
    "PacingReport",
    "PacingSettings",
    "PacingSnapshot",
    "PacingStatsSource",
    "QueueError",
    "QueueEvent",
    "QueueEventType",
    "QueueState",
    "QueueStateStore",
    "QueueStats",
    "RateLimited",
    "Rejected",
    "RetryPolicy",
    "SendTurn",
    "SlotTerms",
    "StoreUnavailable",
    "Transition",
    "WaitReason",
    "WaitingRecord",
    "WaitingRecords",
    "account_rate",
    "share_rates",
]
