"""The `CampaignExecutionStore` port: the settings of each campaign execution."""

from __future__ import annotations

from typing import Protocol

from queue_core.domain.campaign import CampaignExecution

__all__ = ["CampaignExecutionStore"]


class CampaignExecutionStore(Protocol):
    """The settings document of each campaign execution, written by the campaign manager and
    only read here."""

    async def load(self, campaign_execution_id: str) -> CampaignExecution:
        """The execution's settings document, read and validated (`CampaignExecution.parse`:
        within the bounds of `queue_core.domain.bounds`).

        Raises `InvalidCampaignExecution` (naming the document and field), and no other error
        but `StoreUnavailable`, when the document is missing, not a JSON object, too large or
        too deeply nested, invalid, or names another execution than `campaign_execution_id`."""
        ...
