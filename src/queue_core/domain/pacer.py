"""The pacer: how many contacts one execution should claim and launch now (ADR 0002).

    progressive  floor(ratio x (available agents - pending tasks))
                     - (in flight - answered in flight) - claimed
    fixed        max_concurrent_calls - in flight - claimed       (no agents needed)
    predictive   progressive, with a ratio that adapts to idle agents vs calls waiting

Every count is then clamped to [0, max_concurrent_calls - in flight - claimed], and is 0 unless
the execution is running. Pure: time comes in with the snapshot; the only state is the
predictive ratio's recent history, so the same snapshots always give the same decisions.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

from queue_core.domain.campaign import PacingMode, PacingSettings
from queue_core.domain.state import QueueState, QueueStateMachine
from queue_core.domain.stats import QueueStats

__all__ = [
    "ABANDON_WINDOW_S",
    "AVERAGE_WINDOW_S",
    "CONNECT_RULE_S",
    "RESCALE_EVERY_S",
    "RESCALE_STEP",
    "Pacer",
    "PacingDecision",
    "PacingSnapshot",
]

CONNECT_RULE_S = 2.0  # a person answering should reach an agent within 2 s
AVERAGE_WINDOW_S = 15.0  # the predictive moving average looks this far back
RESCALE_EVERY_S = 5.0  # the predictive ratio moves at most this often
RESCALE_STEP = 0.25  # ... and by at most this much each time
ABANDON_WINDOW_S = 300.0  # the abandon share is measured over this recent window

# ratio x agents is a float: 1.15 x 100 is 114.999...; without this nudge it floors to 114.
_FLOOR_SLACK = 1e-9


@dataclass(frozen=True, slots=True)
class PacingSnapshot:
    """What the runner knows about one execution at `now` (monotonic seconds).

    `stats` None means missing, unparsable or stale: progressive and predictive launch nothing.
    `in_flight` is SCARD `active_calls:{id}`; `answered_in_flight` those a person answered (now
    TaskRouter's); `claimed` records claimed but not launched. The two totals are cumulative
    over the execution's current run: human-answered calls, and those abandoned before
    reaching an agent.
    """

    now: float
    stats: QueueStats | None
    in_flight: int
    answered_in_flight: int
    claimed: int
    human_answered_total: int = 0
    abandoned_total: int = 0


@dataclass(frozen=True, slots=True)
class PacingDecision:
    """Claim and launch `count` (>= 0) contacts now; `dial_ratio` is the ratio in force."""

    count: int
    dial_ratio: float
    reason: str


@dataclass(frozen=True, slots=True)
class _Sample:
    at: float
    idle: int
    waiting: int


@dataclass(frozen=True, slots=True)
class _Counts:
    at: float
    answered: int
    abandoned: int


class Pacer:
    """One execution's pacer. Call `decide` once per pacing tick with a fresh snapshot."""

    def __init__(self, settings: PacingSettings) -> None:
        self._settings = settings
        self._max_ratio = max(1.0, settings.max_dial_ratio)
        if settings.mode is PacingMode.PREDICTIVE:
            self._ratio = min(max(settings.dial_ratio, 1.0), self._max_ratio)
        else:
            self._ratio = settings.dial_ratio
        self._samples: deque[_Sample] = deque()
        self._counts: deque[_Counts] = deque()
        self._last_rescale: float | None = None
        self._last_now: float | None = None

    @property
    def dial_ratio(self) -> float:
        """The ratio in force: the configured one, or the adapted one in predictive mode."""
        return self._ratio

    def decide(self, snapshot: PacingSnapshot, state: QueueState) -> PacingDecision:
        """How many contacts to claim and launch now, and why."""
        s = self._settings
        cap = max(0, s.max_concurrent_calls - snapshot.in_flight - snapshot.claimed)
        running = QueueStateMachine.launches(state)
        if s.mode is PacingMode.PREDICTIVE:
            self._adapt(snapshot, sample=running and cap > 0)
        if not running:
            return PacingDecision(0, self._ratio, f"not running ({state.value})")
        if s.mode is PacingMode.FIXED:
            if cap == 0:
                return PacingDecision(0, self._ratio, "max concurrent reached")
            return PacingDecision(cap, self._ratio, "fixed")
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
        return PacingDecision(min(wanted, cap), self._ratio, s.mode.value)

    def _adapt(self, snapshot: PacingSnapshot, *, sample: bool) -> None:
        """Move the predictive ratio: VICIdial's adaptive mode, with two hard stops at 1.0."""
        now = snapshot.now
        if self._last_now is not None and now < self._last_now:
            # Time went back: nothing recorded can be placed on it any more. Starting over
            # counts every abandon seen so far as recent, the cautious side.
            self._samples.clear()
            self._counts.clear()
            self._last_rescale = None
        self._last_now = now
        over_abandon = self._abandon_share_exceeded(snapshot)
        stats = snapshot.stats
        calls_wait = stats is not None and stats.longest_task_waiting_age_s > CONNECT_RULE_S
        if calls_wait or over_abandon:
            self._ratio = 1.0
            self._samples.clear()
            self._last_rescale = now
            return
        if stats is None or not sample:
            # When paused or at max_concurrent_calls, idle agents say nothing about the ratio.
            return
        self._samples.append(_Sample(now, stats.available_workers, stats.pending_tasks))
        while self._samples and self._samples[0].at < now - AVERAGE_WINDOW_S:
            self._samples.popleft()
        if self._last_rescale is None:
            self._last_rescale = now
            return
        if now - self._last_rescale < RESCALE_EVERY_S:
            return
        self._last_rescale = now
        idle = sum(x.idle for x in self._samples) / len(self._samples)
        waiting = sum(x.waiting for x in self._samples) / len(self._samples)
        # Normalised to [-1, 1]: agents idle push the ratio up, calls waiting push it down.
        error = (idle - waiting) / max(1.0, idle + waiting)
        self._ratio = min(max(self._ratio + RESCALE_STEP * error, 1.0), self._max_ratio)

    def _abandon_share_exceeded(self, snapshot: PacingSnapshot) -> bool:
        """Whether abandoned / human-answered over the recent window passes the target."""
        now = snapshot.now
        current = _Counts(now, snapshot.human_answered_total, snapshot.abandoned_total)
        if self._counts and (
            current.answered < self._counts[-1].answered
            or current.abandoned < self._counts[-1].abandoned
        ):
            self._counts.clear()  # the totals restarted: a new run of the execution
        if not self._counts:
            # The totals count from the run's start, so zero is their value at the baseline.
            self._counts.append(_Counts(now, 0, 0))
        last = self._counts[-1]
        if (current.answered, current.abandoned) != (last.answered, last.abandoned):
            self._counts.append(current)
        # Keep as baseline the newest entry at or before the window's start.
        while len(self._counts) >= 2 and self._counts[1].at <= now - ABANDON_WINDOW_S:
            self._counts.popleft()
        base, last = self._counts[0], self._counts[-1]
        answered = last.answered - base.answered
        abandoned = last.abandoned - base.abandoned
        return abandoned > self._settings.abandon_target * answered
