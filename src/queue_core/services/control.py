"""The control command handler: one `queue_control_stream` entry at a time.

Order of effects: validate, apply the command to the stored state through the table (the
store keeps the new state and announces it in one step, on the condition that the state is
still the one the command was judged on: `StateTransitions`), then ack. A crash before the
ack redelivers the entry, and the redelivered command is an idempotent no-op. An entry that
is not a valid command is acked, copied to the dead letter stream and announced as
`command_rejected`; a valid command that the state table refuses (say `pause` on a completed
execution) is announced as `command_rejected` and acked. Nothing is silently dropped.

One entry never holds up the others: one whose handling fails on an unexpected error (a bug,
or a value nothing foresaw) is logged with its traceback, dead-lettered and announced like an
invalid one, and the next entry is handled. Only `StoreUnavailable` leaves entries pending (to
be read again). Every reason written is cut to MAX_ECHO_CHARS (`queue_core.domain.bounds`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from queue_core.domain.bounds import MAX_ID_ECHO_CHARS, cut
from queue_core.domain.campaign import CampaignExecution
from queue_core.domain.commands import Action, ControlCommand
from queue_core.domain.errors import (
    InvalidCampaignExecution,
    InvalidCommand,
    InvalidDoNotCallList,
    StoreUnavailable,
)
from queue_core.domain.queue_events import QueueEvent, QueueEventType
from queue_core.domain.state import QueueState, Trigger
from queue_core.ports import (
    AbandonmentCounters,
    ActiveCallRegistry,
    CampaignExecutionStore,
    Clock,
    ControlEntry,
    ControlStream,
    DoNotCallLists,
    EventPublisher,
    QueueStateStore,
)
from queue_core.services.transitions import StateTransitions

__all__ = ["ControlCommandHandler", "StateChange"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class StateChange:
    """A command changed an execution's stored state (`execution` is set on `start`)."""

    command: ControlCommand
    old: QueueState
    new: QueueState
    execution: CampaignExecution | None = None


class ControlCommandHandler:
    """Applies control-stream entries: validate, store the state, announce it, ack."""

    def __init__(
        self,
        stream: ControlStream,
        executions: CampaignExecutionStore,
        states: QueueStateStore,
        events: EventPublisher,
        calls: ActiveCallRegistry,
        clock: Clock,
        on_change: Callable[[StateChange], Awaitable[None]],
        abandonment: AbandonmentCounters | None = None,
        dnc: DoNotCallLists | None = None,
    ) -> None:
        """`abandonment` gives a rejected command's event its campaign's 30-day rate (the
        store gives the others theirs); `dnc` checks on `start` that the execution's
        do-not-call lists can be read."""
        self._abandonment = abandonment
        self._dnc = dnc
        self._stream = stream
        self._executions = executions
        self._states = states
        self._events = events
        self._calls = calls
        self._clock = clock
        self._on_change = on_change
        self._transitions = StateTransitions(states, clock)

    async def poll(self, count: int = 16, block_ms: int = 1000) -> int:
        """Read and handle up to `count` entries; return how many were handled."""
        entries = await self._stream.read(count, block_ms)
        for entry in entries:
            try:
                await self.handle(entry)
            except StoreUnavailable:
                raise
            except Exception as exc:
                log.exception("control entry %s could not be handled", entry.entry_id)
                await self._reject(entry, f"could not be handled: {type(exc).__name__}")
        return len(entries)

    async def handle(self, entry: ControlEntry) -> None:
        try:
            command = ControlCommand.from_fields(entry.fields)
        except InvalidCommand as exc:
            await self._reject(entry, str(exc))
            return
        await self._apply(command)
        await self._stream.ack(entry.entry_id)

    async def _reject(self, entry: ControlEntry, error: str) -> None:
        """Dead-letter the entry and announce `command_rejected`, every echo cut."""
        error = cut(error)
        await self._stream.dead_letter(entry, error)
        await self._announce(
            QueueEventType.COMMAND_REJECTED,
            entry.fields.get("campaign_execution_id", "")[:MAX_ID_ECHO_CHARS],
            request_id=cut(entry.fields.get("request_id", ""), MAX_ID_ECHO_CHARS) or None,
            reason=error,
        )

    async def _apply(self, command: ControlCommand) -> None:
        """Apply the command through the table: the store announces what it sets off."""
        execution_id = command.campaign_execution_id
        trigger, reason = Trigger(command.action.value), command.reason or ""
        execution = None
        if command.action is Action.START:
            try:
                execution = await self._load(execution_id)
            except (InvalidCampaignExecution, InvalidDoNotCallList) as exc:
                trigger, reason = Trigger.INVALID_DOCUMENT, cut(str(exc))
        campaign_id = None if execution is None else execution.campaign_id or ""
        applied = await self._transitions.apply(
            execution_id, trigger, reason, command.request_id or "", campaign_id
        )
        if applied.moved and trigger is not Trigger.INVALID_DOCUMENT:
            await self._on_change(StateChange(command, applied.old, applied.new, execution))

    async def _load(self, execution_id: str) -> CampaignExecution:
        """The execution's document, its do-not-call lists checked (a key of another type
        fails the `start`; a missing one is an empty list)."""
        execution = await self._executions.load(execution_id)
        if execution.dnc_sets and self._dnc is not None:
            await self._dnc.check(execution.dnc_sets)
        return execution

    async def _announce(
        self,
        event: QueueEventType,
        execution_id: str,
        request_id: str | None = None,
        reason: str | None = None,
    ) -> None:
        status = await self._states.load(execution_id) if execution_id else None
        now = self._clock.now()
        campaign_rate = None
        if status is not None and status.campaign_id and self._abandonment is not None:
            counts = await self._abandonment.of_campaign(status.campaign_id, now)
            campaign_rate = counts.reported_rate
        await self._events.publish(
            QueueEvent(
                event=event,
                campaign_execution_id=execution_id,
                at=now,
                launched=status.launched if status else 0,
                dispositions=status.dispositions if status else 0,
                active=await self._calls.count(execution_id) if execution_id else 0,
                request_id=request_id,
                reason=reason,
                human_answered=status.human_answered if status else 0,
                abandoned=status.abandoned if status else 0,
                campaign_abandon_rate_30d=campaign_rate,
            )
        )
