"""What the parts of one runner share: its execution, ports, settings and the parts that keep
state across rounds (ADR 0016). The runner (`runner`) owns the loop; its claims (`claims`) and
launches (`launches`) work on this, and nothing else."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from queue_core.domain.campaign import CampaignExecution
from queue_core.domain.launch_schedule import LaunchRateController
from queue_core.domain.pacer import Pacer
from queue_core.domain.state import QueueState
from queue_core.domain.tokens import CallstatusTokens
from queue_core.services.abandonment_view import AbandonmentView
from queue_core.services.launch_line import LaunchLine
from queue_core.services.pacing_report import PacingReports
from queue_core.services.reconciler import Reconciler
from queue_core.services.runner_config import RunnerPorts, RunnerSettings
from queue_core.services.store_retry import StoreRetry
from queue_core.services.stored_state import StoredState

__all__ = ["ExecutionRun"]

log = logging.getLogger("queue_core.services.runner")

RATE_WINDOW_S = 10.0  # the launch rate reported for `status` is over this window
PACING_REPORT_S = 2.0  # and reported at most this often


@dataclass(slots=True)
class ExecutionRun:
    """One execution's run: the fixed parts, and the two flags every part reads (`leaving`,
    `store_failures`). `wake` makes the runner's loop look again."""

    execution: CampaignExecution
    ports: RunnerPorts
    settings: RunnerSettings
    budget: LaunchRateController
    pacer: Pacer
    line: LaunchLine
    lease_token: int | None
    wake: Callable[[], None]
    log: logging.LoggerAdapter[logging.Logger]
    stored: StoredState
    reports: PacingReports
    retry: StoreRetry
    reconciler: Reconciler
    abandonment: AbandonmentView
    leaving: bool = False
    store_failures: int = 0

    @property
    def id(self) -> str:
        return self.execution.campaign_execution_id

    @property
    def state(self) -> QueueState:
        return self.stored.state

    def running(self) -> bool:
        """Launching is allowed: the execution runs, the store answers, this instance stays."""
        return not self.leaving and self.state is QueueState.RUNNING and self.store_failures == 0

    @classmethod
    def open(
        cls,
        execution: CampaignExecution,
        ports: RunnerPorts,
        settings: RunnerSettings,
        tokens: CallstatusTokens,
        parts: tuple[LaunchRateController, Pacer, LaunchLine, int | None],
        wake: Callable[[], None],
    ) -> ExecutionRun:
        """Build the run's parts: `parts` is (budget, pacer, line, lease token)."""
        budget, pacer, line, lease_token = parts
        execution_id = execution.campaign_execution_id
        # Every record names the execution (a field of its own in JSON logs).
        run_log = logging.LoggerAdapter(log, {"campaign_execution_id": execution_id})
        retry = StoreRetry(ports.clock, settings.store_retry_cap_s, run_log)
        return cls(
            execution,
            ports,
            settings,
            budget,
            pacer,
            line,
            lease_token,
            wake,
            run_log,
            StoredState(execution_id, ports.states, ports.clock),
            PacingReports(
                execution_id,
                ports.states,
                ports.clock,
                window_s=RATE_WINDOW_S,
                every_s=PACING_REPORT_S,
            ),
            retry,
            Reconciler(execution, ports, settings, line.send_turn, tokens, retry, run_log),
            AbandonmentView(ports.abandonment, execution_id, execution.campaign_id, ports.clock),
        )
