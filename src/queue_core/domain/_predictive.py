"""Predictive pacing's estimates (ADRs 0023, 0031): how fast unanswered calls turn into
people, how many agents are free right now, how many the team pools, and the pull learned from
the execution's own abandons.

The pacer keeps `pull x sqrt(agents pooled) x free agents` people per second coming:
the calls to keep ringing are that rate over the answer rate per unanswered call-second. The
square root is the pooling of agents (square-root staffing): the more agents, the likelier
one comes free for a person the others could not take. The agents pooled are those in view
(idle or talking) averaged over about POOL_WINDOW_S: the team's size, not how many happen to
be wrapping up this second. The pull is learned, one small step per event: down by
LEARNING_STEP for each abandon, up by LEARNING_STEP x AIM x target for each person answered,
so that it settles where AIM x target of the people are abandoned.
"""

from __future__ import annotations

import math

__all__ = [
    "AIM",
    "ESTIMATE_WINDOW_S",
    "LEARNING_STEP",
    "POOL_WINDOW_S",
    "START_PULL",
    "WARM_UP_PEOPLE",
    "Estimates",
]

ESTIMATE_WINDOW_S = 900.0  # the answer rate is an average over about this long (its time constant)
WARM_UP_PEOPLE = 20  # people answered before the estimates pace
START_PULL = 0.006  # people per second per free agent per sqrt(agent in view), before learning
LEARNING_STEP = 0.05  # the pull's step (of its logarithm) per abandon
AIM = 0.9  # the learning settles at this share of abandon_target
POOL_WINDOW_S = 60.0  # the agents pooled are those in view averaged over about this long
_PULL_RANGE = 4.0  # the pull stays within e**4 of START_PULL either way


class Estimates:
    """One execution's estimates, fed every decision with the snapshot's counts."""

    def __init__(self, target: float) -> None:
        self._target = target
        self._log_pull = math.log(START_PULL)
        self.reset()

    def reset(self) -> None:
        """Forget the run (a new run, or time that went back); the learned pull stays."""
        self._last: tuple[float, int, int, int] | None = None  # now, unanswered, people, abandons
        self._people_w = 0.0  # people answered, decayed by ESTIMATE_WINDOW_S
        self._ringing_s = 0.0  # unanswered call-seconds, decayed the same
        self._people_seen = 0
        self._mark: float | None = None
        self._people_at_mark = 0
        self._pooled: tuple[float, float] | None = None  # when, agents pooled

    @property
    def pull(self) -> float:
        return math.exp(self._log_pull)

    def observe(
        self,
        now: float,
        unanswered: int,
        people: int,
        abandoned: int,
        stats_mark: float | None,
        *,
        learn: bool,
    ) -> None:
        """Take one snapshot's counts. `people` and `abandoned` are the run's totals;
        `stats_mark` tells the queue statistics apart (their timestamp, None when unknown);
        `learn` whether the last decision was the estimates' own (people count only then)."""
        if self._last is not None and (people < self._last[2] or abandoned < self._last[3]):
            self.reset()  # the totals restarted: a new run of the execution
        if stats_mark is None or stats_mark != self._mark:
            self._mark, self._people_at_mark = stats_mark, people
        if self._last is None:
            self._last = (now, unanswered, people, abandoned)
            return
        then, ringing, people_then, abandoned_then = self._last
        self._last = (now, unanswered, people, abandoned)
        new_people, new_abandons = people - people_then, abandoned - abandoned_then
        decay = math.exp(-(now - then) / ESTIMATE_WINDOW_S)
        self._people_w = self._people_w * decay + new_people
        self._ringing_s = self._ringing_s * decay + ringing * (now - then)
        self._people_seen += new_people
        # Every abandon counts; people count only when the estimates paced alone: a rule, a
        # ceiling or a cap holding the pacer back would otherwise teach it to pull harder.
        warm = self._people_seen >= WARM_UP_PEOPLE
        up = AIM * self._target * new_people if learn and warm else 0.0
        step = LEARNING_STEP * (up - new_abandons)
        low = math.log(START_PULL) - _PULL_RANGE
        self._log_pull = min(max(self._log_pull + step, low), low + 2 * _PULL_RANGE)

    def people_since_stats(self, people: int) -> int:
        """People answered since the queue statistics in hand were taken (0 when unknown):
        each has taken an agent those statistics still count as available, or waits."""
        return max(0, people - self._people_at_mark) if self._mark is not None else 0

    def pool(self, now: float, in_view: int) -> float:
        """The agents pooled at `now`: those in view (idle or talking), averaged with a decay
        of POOL_WINDOW_S. An agent wrapping up leaves the view for a moment, not the team.
        Time that goes back starts the average again from the view in hand."""
        if self._pooled is None or now < self._pooled[0]:
            pooled = float(in_view)
        else:
            then, before = self._pooled
            decay = math.exp(-(now - then) / POOL_WINDOW_S)
            pooled = before * decay + in_view * (1.0 - decay)
        self._pooled = (now, pooled)
        return pooled

    def wanted_ringing(self, free: int, pooled: float) -> float | None:
        """How many unanswered calls to keep in flight for `free` agents free now in a team
        that pools `pooled` agents (free > 0); None until the estimates are warm."""
        if self._people_seen < WARM_UP_PEOPLE or self._ringing_s <= 0.0:
            return None
        wanted_rate = self.pull * math.sqrt(max(1.0, pooled)) * free  # people per second
        per_call = self._people_w / self._ringing_s  # people per unanswered call-second
        return math.inf if per_call <= 0.0 else wanted_rate / per_call
