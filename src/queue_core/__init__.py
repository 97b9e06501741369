"""The queue service's domain: pure logic and the ports it needs. Standard library only.

What other services import: the contract's types (`ControlCommand`, `CampaignExecution`,
`ContactRecord`, `Disposition`, `QueueEvent`) with their stream-entry and document forms; the
pacer and the launch schedule; the disposition assembler; the ports; and the application
services that run a queue on any implementation of the ports.
"""

from queue_core.domain.assembler import (
    DispositionAssembler,
    invalid_record_disposition,
    launch_failed_disposition,
)
from queue_core.domain.campaign import CampaignExecution, PacingMode, PacingSettings
from queue_core.domain.commands import Action, ControlCommand
from queue_core.domain.contacts import ClaimedRecord, ContactAttempt, ContactRecord, ContactRef
from queue_core.domain.disposition import SCHEMA_VERSION, Disposition, DispositionStatus
from queue_core.domain.errors import (
    ContractViolation,
    IllegalTransition,
    InvalidCampaignExecution,
    InvalidCommand,
    InvalidContactRecord,
    InvalidWebhook,
    LeaseLost,
    QueueError,
    StoreUnavailable,
)
from queue_core.domain.facts import (
    AmdEvent,
    CallStatusReport,
    ContactFact,
    ContactTimedOut,
    SettleGraceElapsed,
    StudioExecutionEvent,
    StudioStepEvent,
    VoiceCallEvent,
    VoiceEventKind,
)
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
from queue_core.domain.state import QueueState, QueueStateMachine, Trigger
from queue_core.domain.stats import QueueStats
from queue_core.domain.tokens import CallstatusTokens
from queue_core.ports import (
    ActiveCallRegistry,
    AssemblySnapshot,
    AssemblyStore,
    CallLauncher,
    CampaignExecutionStore,
    Clock,
    ContactCache,
    ControlEntry,
    ControlStream,
    EventPublisher,
    ExecutionLeases,
    ExecutionStatus,
    LaunchLimiter,
    LaunchSlot,
    PacingStatsSource,
    QueueStateStore,
)
from queue_core.services.control import ControlCommandHandler
from queue_core.services.launch_line import LaunchLine
from queue_core.services.runner import QueueRunner, RunnerPorts, RunnerSettings
from queue_core.services.supervisor import BudgetSettings, QueueSupervisor
from queue_core.services.tracker import ContactTracker, TrackResult

__all__ = [
    "SCHEMA_VERSION",
    "Action",
    "ActiveCallRegistry",
    "Ambiguous",
    "AmdEvent",
    "AssemblySnapshot",
    "AssemblyStore",
    "BudgetSettings",
    "CallLauncher",
    "CallStatusReport",
    "CallstatusTokens",
    "CampaignExecution",
    "CampaignExecutionStore",
    "ClaimedRecord",
    "Clock",
    "ContactAttempt",
    "ContactCache",
    "ContactFact",
    "ContactRecord",
    "ContactRef",
    "ContactTimedOut",
    "ContactTracker",
    "ContractViolation",
    "ControlCommand",
    "ControlCommandHandler",
    "ControlEntry",
    "ControlStream",
    "Disposition",
    "DispositionAssembler",
    "DispositionStatus",
    "EventPublisher",
    "ExecutionLeases",
    "ExecutionStatus",
    "IllegalTransition",
    "InvalidCampaignExecution",
    "InvalidCommand",
    "InvalidContactRecord",
    "InvalidWebhook",
    "LaunchLimiter",
    "LaunchLine",
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
    "PacingSettings",
    "PacingSnapshot",
    "PacingStatsSource",
    "QueueError",
    "QueueEvent",
    "QueueEventType",
    "QueueRunner",
    "QueueState",
    "QueueStateMachine",
    "QueueStateStore",
    "QueueStats",
    "QueueSupervisor",
    "RateLimited",
    "Rejected",
    "RunnerPorts",
    "RunnerSettings",
    "SendTurn",
    "SettleGraceElapsed",
    "SlotTerms",
    "StoreUnavailable",
    "StudioExecutionEvent",
    "StudioStepEvent",
    "TrackResult",
    "Trigger",
    "VoiceCallEvent",
    "VoiceEventKind",
    "account_rate",
    "invalid_record_disposition",
    "launch_failed_disposition",
    "share_rates",
]
