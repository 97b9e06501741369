"""`QueueStateStore` on Redis: a hash per execution and a set of every execution's id."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from queue_adapters.redis._errors import unavailable
from queue_adapters.redis._wire import text
from queue_adapters.redis.connection import RedisClient
from queue_adapters.redis.keys import RedisKeys
from queue_core.domain.state import QueueState
from queue_core.ports import ExecutionStatus, PacingReport

__all__ = ["RedisQueueStateStore"]


class RedisQueueStateStore:
    """The `QueueStateStore` port. The counts in `queue:state:{<id>}` are incremented by the
    contact scripts (launch, settle) in the same slot; a hash with counts only reads as idle."""

    def __init__(self, client: RedisClient, *, keys: RedisKeys | None = None) -> None:
        self._client = client
        self._keys = keys or RedisKeys()

    async def load(self, campaign_execution_id: str) -> ExecutionStatus | None:
        with unavailable():
            raw = await self._client.hgetall(self._keys.execution(campaign_execution_id).state)
        if not raw:
            return None
        stored = {text(name): text(value) for name, value in raw.items()}
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
        )

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

    async def save_pacing(self, campaign_execution_id: str, report: PacingReport) -> None:
        await self._write(
            campaign_execution_id,
            {
                "launch_rate": repr(report.launch_rate),
                "launch_budget": repr(report.launch_budget),
                "dial_ratio": repr(report.dial_ratio),
                "pacing_reason": report.reason,
                "pacing_at": repr(report.at),
            },
        )

    async def save_state(
        self,
        campaign_execution_id: str,
        state: QueueState,
        now: float,
        reason: str = "",
        request_id: str = "",
    ) -> None:
        fields = {
            "state": state.value,
            "updated_at": repr(now),
            "reason": reason,
            "request_id": request_id,
        }
        await self._write(campaign_execution_id, fields)

    async def reset_counts(self, campaign_execution_id: str) -> None:
        await self._write(campaign_execution_id, {"launched": "0", "dispositions": "0"})

    async def _write(self, campaign_execution_id: str, fields: dict[str, str]) -> None:
        state_key = self._keys.execution(campaign_execution_id).state
        with unavailable():
            # Two slots; a retry after a partial failure converges (HSET and SADD are idempotent).
            await asyncio.gather(
                self._client.hset(state_key, mapping=fields),  # type: ignore[arg-type]
                self._client.sadd(self._keys.executions, campaign_execution_id),
            )

    async def executions(self) -> list[str]:
        with unavailable():
            members = await self._client.smembers(self._keys.executions)
        return sorted(text(member) for member in members)


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
