"""The one error hierarchy of the queue service.

    QueueError
    ├── ContractViolation            input from another service breaks the contract
    │   ├── InvalidCommand           a control-stream entry that is not a valid command
    │   ├── InvalidCampaignExecution a missing or invalid `campaign_execution:{id}` document
    │   ├── InvalidContactRecord     a cache record that cannot be dialed
    │   ├── InvalidDoNotCallList     a do-not-call list key that holds no set of numbers
    │   └── InvalidWebhook           a webhook body that is not what Twilio or the flow sends
    ├── IllegalTransition            a queue state machine move that the table does not allow
    ├── LeaseLost                    another instance now drives this execution: stop at once
    └── StoreUnavailable             a backing store (Redis) cannot be reached; retry later

Each `ContractViolation` carries a message that names the offending key or field, so that the
caller (dead letter stream, `failed` event, HTTP 400) can say exactly what was wrong.
"""

from __future__ import annotations

__all__ = [
    "ContractViolation",
    "IllegalTransition",
    "InvalidCampaignExecution",
    "InvalidCommand",
    "InvalidContactRecord",
    "InvalidDoNotCallList",
    "InvalidWebhook",
    "LeaseLost",
    "QueueError",
    "StoreUnavailable",
]


class QueueError(Exception):
    """Base of every error the queue service raises on purpose."""


class ContractViolation(QueueError):
    """Input from outside breaks the integration contract."""


class InvalidCommand(ContractViolation):
    """A `queue_control_stream` entry is not a valid command."""


class InvalidCampaignExecution(ContractViolation):
    """The `campaign_execution:{id}` document is missing or invalid."""


class InvalidContactRecord(ContractViolation):
    """A `campaign_cache:{id}` record fails validation; it gets an `invalid_record` disposition."""


class InvalidDoNotCallList(ContractViolation):
    """A key an execution names in `dnc_sets` holds something other than a set of numbers.
    `key` is that key's name."""

    def __init__(self, key: str, found: str) -> None:
        super().__init__(f"do-not-call list {key!r} is not a set (it holds a {found})")
        self.key = key


class InvalidWebhook(ContractViolation):
    """A webhook body is malformed; the HTTP layer answers 400 with this message."""


class IllegalTransition(QueueError):
    """The queue state machine has no transition for this (state, trigger) pair."""

    def __init__(self, state: object, trigger: object) -> None:
        super().__init__(f"no transition from {state} on {trigger}")
        self.state = state
        self.trigger = trigger


class LeaseLost(QueueError):
    """This instance's lease on an execution expired or was taken over: its fencing token is
    no longer the current one, so it must not launch for that execution any more."""


class StoreUnavailable(QueueError):
    """A backing store cannot be reached. Transient: the caller retries with backoff."""
