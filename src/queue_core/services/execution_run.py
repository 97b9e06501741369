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
from queue_core.ports import (
    AbandonmentCounters,
    ActiveCallRegistry,
    CallLauncher,
    Clock,
    ContactCache,
    EventPublisher,
    LaunchLimiter,
    PacingStatsSource,
    QueueStateStore,
)
from queue_core.services.abandonment_view import AbandonmentView
from queue_core.services.launch_line import LaunchLine
from queue_core.services.pacing_report import PacingReports
from queue_core.services.reconciler import Reconciler
from queue_core.services.store_retry import StoreRetry
from queue_core.services.stored_state import StoredState

__all__ = ["ExecutionRun", "RunnerPorts", "RunnerSettings"]

log = logging.getLogger("queue_core.services.runner")

RATE_WINDOW_S = 10.0  # the launch rate reported for `status` is over this window
PACING_REPORT_S = 2.0  # and reported at most this often


@dataclass(frozen=True, slots=True)
class RunnerPorts:
    cache: ContactCache
    calls: ActiveCallRegistry
    stats: PacingStatsSource
    launcher: CallLauncher
    states: QueueStateStore
    events: EventPublisher
    clock: Clock
    limiter: LaunchLimiter | None = None
    abandonment: AbandonmentCounters | None = None


@dataclass(frozen=True, slots=True)
class RunnerSettings:
    owner: str
    callstatus_url: str
    stats_max_age_s: float = 60.0
    poll_interval_s: float = 0.5
    expect_voice_events: bool = True
    expect_task_events: bool = False  # a person's call waits for its task (ADR 0025)
    claim_lookahead_s: float = 1.0
    reconcile_margin_s: float = 5.0
    max_launch_attempts: int = 5
    # A launch reserved this long ago with no recorded outcome is over, whoever sent it: only
    # then is it reconciled with Studio's list (and sent again when Studio has none).
    reconcile_after_s: float = 60.0
    store_retry_cap_s: float = 5.0


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
            _reconciler(execution, ports, settings, tokens, line, retry, run_log),
            AbandonmentView(ports.abandonment, execution_id, execution.campaign_id, ports.clock),
        )


def _reconciler(
    execution: CampaignExecution,
    ports: RunnerPorts,
    settings: RunnerSettings,
    tokens: CallstatusTokens,
    line: LaunchLine,
    retry: StoreRetry,
    run_log: logging.LoggerAdapter[logging.Logger],
) -> Reconciler:
    return Reconciler(
        execution,
        cache=ports.cache,
        calls=ports.calls,
        launcher=ports.launcher,
        send_turn=line.send_turn,
        clock=ports.clock,
        tokens=tokens,
        callstatus_url=settings.callstatus_url,
        expect_voice_events=settings.expect_voice_events,
        max_launch_attempts=settings.max_launch_attempts,
        reconcile_margin_s=settings.reconcile_margin_s,
        reconcile_after_s=settings.reconcile_after_s,
        retry=retry,
        log=run_log,
        expect_task_events=settings.expect_task_events,
    )
