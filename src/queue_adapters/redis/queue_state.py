"""`QueueStateStore` on Redis: a hash per execution and a set of every execution's id.

A transition is one script in the execution's slot (`transition.lua`): the compare-and-set of
the state with every effect of the table's entry, its event kept in the hash until it is
published (`state_events`, ADR 0018). The campaign's 30-day abandonment rate an event carries
is read just before, in the campaign's slot (ADR 0025).
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from queue_adapters.redis._abandonment import campaign_counts
from queue_adapters.redis._errors import unavailable
from queue_adapters.redis._scripts import Scripts
from queue_adapters.redis._wire import text
from queue_adapters.redis.connection import RedisClient
from queue_adapters.redis.keys import RedisKeys
from queue_adapters.redis.options import RedisOptions
from queue_adapters.redis.state_events import StateEvents, decode_pending
from queue_core.domain.abandonment import format_rate
from queue_core.domain.errors import StoreUnavailable
from queue_core.domain.queue_events import QueueEvent
from queue_core.domain.state import QueueState, Transition
from queue_core.ports import ExecutionStatus, PacingReport

__all__ = ["RedisQueueStateStore", "status_from_hash"]

_log = logging.getLogger(__name__)
_OWN_FIELDS = frozenset({"events"})  # kept for the store itself: not an execution's state


class RedisQueueStateStore:
    """The `QueueStateStore` port. The counts in `queue:state:{<id>}` are incremented by the
    contact scripts (launch, settle) in the same slot; a hash with counts only reads as idle.
    Also `relay_events` and `with_events`, for events a crash left unpublished."""

    def __init__(
        self,
        client: RedisClient,
        *,
        keys: RedisKeys | None = None,
        options: RedisOptions | None = None,
    ) -> None:
        self._client = client
        self._keys = keys or RedisKeys()
        self._scripts = Scripts(client)
        self._events = StateEvents(client, self._keys, options or RedisOptions())

    async def load(self, campaign_execution_id: str) -> ExecutionStatus | None:
        with unavailable():
            raw = await self._client.hgetall(self._keys.execution(campaign_execution_id).state)
        return status_from_hash(campaign_execution_id, raw)

    async def load_states(self, campaign_execution_ids: Sequence[str]) -> list[QueueState]:
        if not campaign_execution_ids:
            return []
        with unavailable():
            # One round trip: HGET of each hash's `state`, pipelined (split by node on a cluster).
            pipe = self._client.pipeline(transaction=False)
            for execution_id in campaign_execution_ids:
                pipe.hget(self._keys.execution(execution_id).state, "state")
            stored = await pipe.execute()
        return [QueueState.IDLE if value is None else QueueState(text(value)) for value in stored]

    async def transition(
        self,
        campaign_execution_id: str,
        expected: QueueState,
        move: Transition,
        now: float,
        reason: str = "",
        request_id: str = "",
        campaign_id: str | None = None,
    ) -> bool:
        """See the port. True once the script made the step: publishing its event (and
        any kept before it) afterwards may fail without raising; it is then left for the
        next transition or `relay_events`."""
        k = self._keys.execution(campaign_execution_id)
        rate = ""
        if move.announces is not None:
            rate = await self._campaign_rate(k.state, campaign_id, now)
        args: list[str | int | float] = [expected.value, move.new.value, repr(now)]
        args += [reason, request_id, int(move.stores), int(move.keeps_cause)]
        args += [int(move.resets_counts)]
        args += [self._event(campaign_execution_id, move, now, reason, request_id)]
        args += [secrets.token_hex(8), rate, int(campaign_id is not None), campaign_id or ""]
        with unavailable():
            if move.stores and expected is QueueState.IDLE:
                # The first state stored: listed first, so that a failure in between leaves
                # the state as it was for the retry (later ones find it listed already).
                await self._client.sadd(self._keys.executions, campaign_execution_id)
            pending = await self._scripts.run("transition", [k.state, k.active_calls], args)
        if pending is None:
            return False
        try:
            await self._events.publish(campaign_execution_id, decode_pending(pending))
        except StoreUnavailable as exc:
            _log.warning("events of %s left to publish: %s", campaign_execution_id, exc)
        return True

    async def _campaign_rate(self, state: str, campaign_id: str | None, now: float) -> str:
        """The 30-day rate of the campaign given, else of the one stored ("" for none)."""
        with unavailable():
            if campaign_id is None:
                campaign_id = text(await self._client.hget(state, "campaign_id") or "")
            if not campaign_id:
                return ""
            counts = await campaign_counts(self._client, self._keys, campaign_id, now)
        return format_rate(counts.rate)

    @staticmethod
    def _event(
        execution_id: str, move: Transition, now: float, reason: str, request_id: str
    ) -> str:
        """The fields of the event `move` announces, as JSON ('' for none); the script sets
        the counts (and the kept cause)."""
        if move.announces is None:
            return ""
        event = QueueEvent(
            move.announces, execution_id, now, request_id=request_id or None, reason=reason or None
        )
        return json.dumps(event.to_fields())

    async def relay_events(self, campaign_execution_id: str) -> int:
        """Publish the execution's events that a transition stored but could not publish (a
        crash, the stream out of reach); returns how many were added to the stream."""
        return await self._events.relay(campaign_execution_id)

    async def with_events(self, campaign_execution_ids: Sequence[str]) -> list[str]:
        """The executions among these with events still to publish, in one request."""
        return await self._events.with_events(campaign_execution_ids)

    async def save_pacing(self, campaign_execution_id: str, report: PacingReport) -> None:
        fields = {
            "launch_rate": repr(report.launch_rate),
            "launch_budget": repr(report.launch_budget),
            "dial_ratio": repr(report.dial_ratio),
            "pacing_reason": report.reason,
            "pacing_at": repr(report.at),
        }
        with unavailable():
            await self._client.hset(
                self._keys.execution(campaign_execution_id).state,
                mapping=fields,  # type: ignore[arg-type]
            )

    async def executions(self) -> list[str]:
        with unavailable():
            members = await self._client.smembers(self._keys.executions)
        return sorted(text(member) for member in members)


def status_from_hash(campaign_execution_id: str, raw: Mapping[Any, Any]) -> ExecutionStatus | None:
    """The execution's status from its state hash as read (None: never started)."""
    stored = {text(name): text(value) for name, value in raw.items()}
    if not stored.keys() - _OWN_FIELDS:
        return None
    return ExecutionStatus(
        campaign_execution_id=campaign_execution_id,
        state=QueueState(stored.get("state", QueueState.IDLE.value)),
        launched=int(stored.get("launched", 0)),
        dispositions=int(stored.get("dispositions", 0)),
        owner=stored.get("owner", ""),
        updated_at=float(stored.get("updated_at", 0.0)),
        reason=stored.get("reason", ""),
        request_id=stored.get("request_id", ""),
        pacing=_pacing(stored),
        human_answered=int(stored.get("human_answered", 0)),
        abandoned=int(stored.get("abandoned", 0)),
        campaign_id=stored.get("campaign_id", ""),
    )


def _pacing(stored: dict[str, str]) -> PacingReport | None:
    if "pacing_at" not in stored:
        return None
    return PacingReport(
        launch_rate=float(stored["launch_rate"]),
        launch_budget=float(stored["launch_budget"]),
        dial_ratio=float(stored["dial_ratio"]),
        reason=stored.get("pacing_reason", ""),
        at=float(stored["pacing_at"]),
    )
