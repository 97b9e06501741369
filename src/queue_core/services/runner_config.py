"""What an instance's runners are built from: their ports (`RunnerPorts`), their settings
(`RunnerSettings`) and the settings of what they share: the account's launch budget, the
contact timeout and settle grace, the lease time (`BudgetSettings`). `queue_app` fills the
settings from the environment and the ports from its adapters."""

from __future__ import annotations

from dataclasses import dataclass

from queue_core.domain.launch_schedule import (
    DEFAULT_GUARD_S,
    STUDIO_EXECUTIONS_PER_SECOND,
    LaunchSchedule,
    account_rate,
)
from queue_core.ports import (
    AbandonmentCounters,
    ActiveCallRegistry,
    CallLauncher,
    Clock,
    ContactCache,
    ContactZones,
    DoNotCallLists,
    EventPublisher,
    LaunchLimiter,
    PacingStatsSource,
    QueueStateStore,
    WaitingRecords,
)

__all__ = ["BudgetSettings", "RunnerPorts", "RunnerSettings"]


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
    # The dialing rules' (ADR 0027): without `waiting`, records are dialed as they come.
    waiting: WaitingRecords | None = None
    dnc: DoNotCallLists | None = None
    zones: ContactZones | None = None


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


@dataclass(frozen=True, slots=True)
class BudgetSettings:
    account_cps: float = 1.0
    cps_share: float = 0.9
    contact_timeout_s: float = 7200.0
    settle_grace_s: float = 30.0
    lease_ttl_s: float = 10.0
    studio_executions_per_s: float = STUDIO_EXECUTIONS_PER_SECOND
    # The spread of the way from a launch slot to Twilio that every launch cap leaves free.
    launch_guard_s: float = DEFAULT_GUARD_S

    @property
    def account_rate(self) -> float:
        """Launches/s this service may use (`queue_core.domain.launch_schedule.account_rate`)."""
        return account_rate(self.account_cps, self.cps_share, self.studio_executions_per_s)

    def schedule(self) -> LaunchSchedule:
        """A process's launch schedule at the account rate and the launch guard."""
        return LaunchSchedule(self.account_rate, self.launch_guard_s)
