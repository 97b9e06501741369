"""The execution documents an instance runs by, loaded once each (`CampaignExecutionStore`).
A document that cannot be run is logged once per reason, not on every sweep."""

from __future__ import annotations

import logging

from queue_core.domain.campaign import CampaignExecution
from queue_core.domain.errors import InvalidCampaignExecution
from queue_core.ports import CampaignExecutionStore

__all__ = ["ExecutionDocuments"]

log = logging.getLogger("queue_core.services.supervisor")


class ExecutionDocuments:
    """Known documents by execution id."""

    def __init__(self, executions: CampaignExecutionStore) -> None:
        self._executions = executions
        self._known: dict[str, CampaignExecution] = {}
        self._refused: dict[str, str] = {}  # why an execution could not be run, last logged

    async def get(self, execution_id: str) -> CampaignExecution | None:
        """The execution's document, loaded when not known; None when it is invalid."""
        known = self._known.get(execution_id)
        if known is not None:
            return known
        try:
            execution = await self._executions.load(execution_id)
        except InvalidCampaignExecution as exc:
            if self._refused.get(execution_id) != str(exc):
                self._refused[execution_id] = str(exc)
                log.error(
                    "cannot run %s: %s",
                    execution_id,
                    exc,
                    extra={"campaign_execution_id": execution_id},
                )
            return None
        self._refused.pop(execution_id, None)
        self._known[execution_id] = execution
        return execution

    def known(self, execution_id: str) -> CampaignExecution | None:
        return self._known.get(execution_id)

    def put(self, execution: CampaignExecution) -> None:
        """A `start` brought this document."""
        self._known[execution.campaign_execution_id] = execution

    def forget(self, execution_id: str) -> None:
        self._known.pop(execution_id, None)

    def runs_flow(self, flow_sid: str) -> bool:
        """Whether a known execution launches this Studio flow."""
        return any(e.studio_flow_sid == flow_sid for e in self._known.values())
