"""The pacer: how many contacts one execution should claim and launch now (ADRs 0002, 0023,
0031).

    progressive  floor(ratio x (available agents - pending tasks))
                     - (in flight - answered in flight) - claimed
    fixed        max_concurrent_calls - in flight - claimed       (no agents needed)
    predictive   floor(level x agents in view) - in flight - claimed

In predictive mode the agents in view are those idle or talking (available - pending +
answered in flight), and the level (calls in flight per agent in view, within [1.0,
max_dial_ratio]) keeps ringing the unanswered calls that bring people at the rate the
estimates ask (`queue_core.domain._predictive`); until they are warm, `dial_ratio` calls per
free agent, as progressive dials. At level 1.0 it dials as progressive does at ratio 1.0; it
is held there while a call waits past the connect rule, or while the abandon share (this
execution's over the last day, or the campaign's over 30 days) is at or over
`abandon_target`.

Every count is then clamped to [0, max_concurrent_calls - in flight - claimed], and is 0 unless
the execution is running. Pure: time comes in with the snapshot; the only state is the
predictive estimates, so the same snapshots always give the same decisions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from queue_core.domain._abandon_window import ABANDON_WINDOW_S, AbandonWindow, reached
from queue_core.domain._predictive import Estimates
from queue_core.domain.campaign import PacingMode, PacingSettings
from queue_core.domain.state import QueueState, QueueStateMachine
from queue_core.domain.stats import QueueStats

__all__ = [
    "ABANDON_WINDOW_S",
    "CONNECT_RULE_S",
    "Pacer",
    "PacingDecision",
    "PacingSnapshot",
]

CONNECT_RULE_S = 2.0  # a person answering should reach an agent within 2 s

# ratio x agents is a float: 1.15 x 100 is 114.999...; without this nudge it floors to 114.
_FLOOR_SLACK = 1e-9
_MODELLED = "predictive"


@dataclass(frozen=True, slots=True)
class PacingSnapshot:
    """What the runner knows about one execution at `now` (monotonic seconds).

    `stats` None means missing, unparsable or stale: progressive and predictive launch nothing.
    `in_flight` is SCARD `active_calls:{id}`; `answered_in_flight` those a person answered (now
    TaskRouter's); `claimed` records claimed but not launched. The two totals are cumulative
    over the execution's current run: human-answered calls, and those abandoned before
    reaching an agent. `campaign_abandon_rate_30d` is the campaign's abandoned share of its
    human-answered calls over 30 days, None when unknown.
    """

    now: float
    stats: QueueStats | None
    in_flight: int
    answered_in_flight: int
    claimed: int
    human_answered_total: int = 0
    abandoned_total: int = 0
    campaign_abandon_rate_30d: float | None = None


@dataclass(frozen=True, slots=True)
class PacingDecision:
    """Claim and launch `count` (>= 0) contacts now; `dial_ratio` is the ratio in force."""

    count: int
    dial_ratio: float
    reason: str


class Pacer:
    """One execution's pacer. Call `decide` once per pacing tick with a fresh snapshot."""

    def __init__(self, settings: PacingSettings) -> None:
        self._settings = settings
        self._max_ratio = max(1.0, settings.max_dial_ratio)
        if settings.mode is PacingMode.PREDICTIVE:
            self._ratio = min(max(settings.dial_ratio, 1.0), self._max_ratio)
        else:
            self._ratio = settings.dial_ratio
        self._start_ratio = self._ratio
        self._estimates = Estimates(settings.abandon_target)
        self._window = AbandonWindow()
        self._last_now: float | None = None
        self._over_target = False
        self._learn = False  # whether the last decision was the estimates' own

    @property
    def dial_ratio(self) -> float:
        """The ratio in force: the configured one, or the predictive level."""
        return self._ratio

    def decide(self, snapshot: PacingSnapshot, state: QueueState) -> PacingDecision:
        """How many contacts to claim and launch now, and why."""
        s = self._settings
        cap = max(0, s.max_concurrent_calls - snapshot.in_flight - snapshot.claimed)
        if s.mode is PacingMode.PREDICTIVE:
            self._observe(snapshot)
        if not QueueStateMachine.launches(state):
            return PacingDecision(0, self._ratio, f"not running ({state.value})")
        if s.mode is PacingMode.PREDICTIVE:
            return self._predictive(snapshot, cap)
        if s.mode is PacingMode.FIXED:
            reason = "max concurrent reached" if cap == 0 else "fixed"
            return PacingDecision(cap, self._ratio, reason)
        return self._progressive(snapshot, cap)

    def _progressive(self, snapshot: PacingSnapshot, cap: int) -> PacingDecision:
        stats = snapshot.stats
        if stats is None:
            return PacingDecision(0, self._ratio, "no stats")
        if cap == 0:
            return PacingDecision(0, self._ratio, "max concurrent reached")
        free_agents = stats.available_workers - stats.pending_tasks
        if free_agents <= 0:
            return PacingDecision(0, self._ratio, "no free agents")
        # A call a person answered has become TaskRouter's: counting it would starve the idle
        # agents while the others talk.
        unanswered = max(0, snapshot.in_flight - snapshot.answered_in_flight)
        wanted = math.floor(self._ratio * free_agents + _FLOOR_SLACK) - unanswered
        wanted -= snapshot.claimed
        if wanted <= 0:
            return PacingDecision(0, self._ratio, "calls in flight cover the agents")
        return PacingDecision(min(wanted, cap), self._ratio, "progressive")

    def _predictive(self, snapshot: PacingSnapshot, cap: int) -> PacingDecision:
        stats = snapshot.stats
        held = self._held(snapshot)
        if held is not None:
            self._ratio = 1.0
        if stats is None:
            return PacingDecision(0, self._ratio, "no stats")
        if cap == 0:
            return PacingDecision(0, self._ratio, "max concurrent reached")
        # People answered since these stats were taken hold agents the stats call available.
        free = stats.available_workers - stats.pending_tasks
        free -= self._estimates.people_since_stats(snapshot.human_answered_total)
        in_view = free + snapshot.answered_in_flight
        pooled = self._estimates.pool(snapshot.now, in_view)
        level, reason = (1.0, held) if held is not None else self._level(free, in_view, pooled)
        self._ratio = level
        wanted = math.floor(level * in_view + _FLOOR_SLACK) - snapshot.in_flight - snapshot.claimed
        # The estimates learn from what they decided alone: not from a rule, a ceiling or a cap.
        self._learn = reason == _MODELLED and level < self._max_ratio and wanted <= cap
        if wanted <= 0:
            why = "no free agents" if free <= 0 else "calls in flight cover the agents"
            return PacingDecision(0, level, why if reason == _MODELLED else reason)
        return PacingDecision(min(wanted, cap), level, reason)

    def _held(self, snapshot: PacingSnapshot) -> str | None:
        """Why the level is held at 1.0 now, or None."""
        stats = snapshot.stats
        if stats is not None and stats.longest_task_waiting_age_s > CONNECT_RULE_S:
            return "a call waits past the connect rule"
        if self._over_target:
            return "abandon share at or over the target"
        campaign = snapshot.campaign_abandon_rate_30d
        if campaign is not None and reached(campaign, 1.0, self._settings.abandon_target):
            return "campaign abandon share at or over the target"
        return None

    def _level(self, free: int, in_view: int, pooled: float) -> tuple[float, str]:
        """The estimates' level; while they warm up, progressive's at the starting ratio."""
        if free <= 0:
            return 1.0, _MODELLED  # no agent to dial for
        ringing = self._estimates.wanted_ringing(free, pooled)
        reason = _MODELLED
        if ringing is None:
            ringing, reason = self._start_ratio * free, "predictive, warming up"
        # At least one call per free agent (level 1.0), the wanted ones beyond that.
        level = 1.0 + max(0.0, ringing - free) / in_view
        return min(level, self._max_ratio), reason

    def _observe(self, snapshot: PacingSnapshot) -> None:
        """Feed the estimates and the abandon window, at every decision."""
        now = snapshot.now
        if self._last_now is not None and now < self._last_now:
            # Time went back: nothing recorded can be placed on it any more. Starting over
            # counts every abandon seen so far as recent, the cautious side.
            self._window.reset()
            self._estimates.reset()
        self._last_now = now
        people, abandoned = snapshot.human_answered_total, snapshot.abandoned_total
        self._over_target = self._window.reached(
            now, people, abandoned, self._settings.abandon_target
        )
        stats = snapshot.stats
        self._estimates.observe(
            now,
            max(0, snapshot.in_flight - snapshot.answered_in_flight),
            people,
            abandoned,
            None if stats is None else stats.timestamp,
            learn=self._learn,
        )
        self._learn = False
