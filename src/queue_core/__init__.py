"""The queue service's domain: pure logic and the ports it needs. Standard library only."""

from queue_core.campaign import CampaignExecution, PacingMode, PacingSettings
from queue_core.commands import Action, ControlCommand
from queue_core.contacts import ClaimedRecord, ContactAttempt, ContactRecord, ContactRef
from queue_core.disposition import SCHEMA_VERSION, Disposition, DispositionStatus
from queue_core.errors import (
    ContractViolation,
    IllegalTransition,
    InvalidCampaignExecution,
    InvalidCommand,
    InvalidContactRecord,
    InvalidWebhook,
    QueueError,
    StoreUnavailable,
)
from queue_core.queue_events import QueueEvent, QueueEventType
from queue_core.state import QueueState, QueueStateMachine, Trigger
from queue_core.stats import QueueStats

__all__ = [
    "SCHEMA_VERSION",
    "Action",
    "CampaignExecution",
    "ClaimedRecord",
    "ContactAttempt",
    "ContactRecord",
    "ContactRef",
    "ContractViolation",
    "ControlCommand",
    "Disposition",
    "DispositionStatus",
    "IllegalTransition",
    "InvalidCampaignExecution",
    "InvalidCommand",
    "InvalidContactRecord",
    "InvalidWebhook",
    "PacingMode",
    "PacingSettings",
    "QueueError",
    "QueueEvent",
    "QueueEventType",
    "QueueState",
    "QueueStateMachine",
    "QueueStats",
    "StoreUnavailable",
    "Trigger",
]
