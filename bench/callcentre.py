"""A simulated call centre on a fake clock, driving the real `queue_core` Pacer.

Discrete events on a heap: dials ring, are answered by a person or a machine or not at all; a
person's call becomes a task in one queue, taken by the first idle agent, or given up when the
caller's patience runs out; agents talk, wrap up, come free. Every `tick_s` the pacer is asked
what the runner would ask it, with what the runner would know: TaskRouter's queue statistics
as of their last refresh (every `stats_every_s`), the calls in flight and those a person
answered, and the abandon totals (a person answered and no agent accepted within 2 s, known
2 s after the answer). What it decides is dialed at once. Nothing here reads a clock: 8
simulated hours take seconds.
"""

from __future__ import annotations

import heapq
import math
import random
from collections import deque
from dataclasses import dataclass, field
from typing import Protocol

from queue_core.domain.pacer import CONNECT_RULE_S, PacingDecision, PacingSnapshot
from queue_core.domain.state import QueueState
from queue_core.domain.stats import QueueStats

__all__ = ["Centre", "Pacing", "Tally", "simulate"]

NO_ANSWER_S = 30.0  # an unanswered call is given up after this long
RING_S = (5.0, 25.0)  # an answered call is answered this long after the dial (uniform)
AMD_S = 4.0  # a machine is detected and the call dropped this long after it answers
TALK_SIGMA = 0.8  # the lognormal talk time's sigma (its coefficient of variation is 0.95)


class Pacing(Protocol):
    def decide(self, snapshot: PacingSnapshot, state: QueueState) -> PacingDecision: ...


@dataclass(frozen=True, slots=True)
class Centre:
    """One configuration. `change_at_s` (when set) applies `answer_rate_after` to the dials
    from then on, and logs `agents_leaving` agents off (each when next free). `ring_s`,
    `no_answer_s`, `amd_s` and `talk_sigma` are the module's constants unless given."""

    agents: int
    answer_rate: float
    hours: float = 8.0
    machine_share: float = 0.15
    talk_mean_s: float = 180.0
    wrap_s: float = 30.0
    patience_mean_s: float = 10.0
    stats_every_s: float = 2.0
    tick_s: float = 0.5
    change_at_s: float | None = None
    answer_rate_after: float | None = None
    agents_leaving: int = 0
    ring_s: tuple[float, float] = RING_S
    no_answer_s: float = NO_ANSWER_S
    amd_s: float = AMD_S
    talk_sigma: float = TALK_SIGMA


@dataclass(slots=True)
class Tally:
    """What one run measured. Waits are of every call a person answered: until an agent
    accepted it, or until the caller gave up."""

    staffed_s: float = 0.0
    talk_s: float = 0.0
    dials: int = 0
    human: int = 0
    connected: int = 0
    abandoned: int = 0
    waits: list[float] = field(default_factory=list)
    human_by_hour: list[int] = field(default_factory=list)
    abandoned_by_hour: list[int] = field(default_factory=list)


@dataclass(slots=True)
class _Call:
    answered_at: float
    taken: bool = False
    gone: bool = False


_DIAL_END, _ANSWER, _GIVE_UP, _RULE, _TALK_END, _FREE, _TICK, _STATS, _CHANGE = range(9)


class _Sim:
    def __init__(self, centre: Centre, pacer: Pacing, seed: int) -> None:
        self.c, self.pacer = centre, pacer
        self.end = centre.hours * 3600.0
        self.dial_rng = random.Random(f"{seed}:dials")
        self.call_rng = random.Random(f"{seed}:calls")
        self.answer_rate = centre.answer_rate
        self.idle = centre.agents
        self.busy = 0  # talking or wrapping up
        self.leaving = 0  # agents to log off when next free
        self.staffed = float(centre.agents)  # agents logged in now
        self.staffed_since = 0.0
        self.queue: deque[_Call] = deque()
        self.in_flight = self.answered_in_flight = self.known_abandoned = 0
        self.stats: QueueStats | None = None
        self.tally = Tally()
        hours = math.ceil(centre.hours)
        self.tally.human_by_hour = [0] * hours
        self.tally.abandoned_by_hour = [0] * hours
        self.events: list[tuple[float, int, int, object]] = []
        self.seq = 0

    def at(self, when: float, kind: int, what: object = None) -> None:
        self.seq += 1
        heapq.heappush(self.events, (when, self.seq, kind, what))

    def run(self) -> Tally:
        self.at(0.0, _STATS)
        self.at(0.0, _TICK)
        if self.c.change_at_s is not None:
            self.at(self.c.change_at_s, _CHANGE)
        handlers = (
            self.dial_end,
            self.answer,
            self.give_up,
            self.rule,
            self.talk_end,
            self.free,
            self.tick,
            self.refresh,
            self.change,
        )
        while self.events and self.events[0][0] <= self.end:
            now, _, kind, what = heapq.heappop(self.events)
            handlers[kind](now, what)
        self.tally.staffed_s += self.staffed * (self.end - self.staffed_since)
        return self.tally

    # --- the dialer's side ---------------------------------------------------------------

    def tick(self, now: float, _: object) -> None:
        snapshot = PacingSnapshot(
            now=now,
            stats=self.stats,
            in_flight=self.in_flight,
            answered_in_flight=self.answered_in_flight,
            claimed=0,
            human_answered_total=self.tally.human,
            abandoned_total=self.known_abandoned,
        )
        for _ in range(self.pacer.decide(snapshot, QueueState.RUNNING).count):
            self.dial(now)
        self.at(now + self.c.tick_s, _TICK)

    def refresh(self, now: float, _: object) -> None:
        waiting = [call for call in self.queue if not call.gone]
        oldest = now - waiting[0].answered_at if waiting else 0.0
        self.stats = QueueStats(
            available_workers=self.idle,
            pending_tasks=len(waiting),
            longest_task_waiting_age_s=oldest,
            timestamp=now,
        )
        self.at(now + self.c.stats_every_s, _STATS)

    def dial(self, now: float) -> None:
        rng = self.dial_rng
        self.tally.dials += 1
        self.in_flight += 1
        if rng.random() < self.answer_rate:
            ring = rng.uniform(*self.c.ring_s)
            machine = rng.random() < self.c.machine_share
            self.at(
                now + ring + (self.c.amd_s if machine else 0.0), _DIAL_END if machine else _ANSWER
            )
        else:
            self.at(now + self.c.no_answer_s, _DIAL_END)

    def dial_end(self, now: float, _: object) -> None:
        self.in_flight -= 1

    # --- the caller's side ---------------------------------------------------------------

    def answer(self, now: float, _: object) -> None:
        call = _Call(answered_at=now)
        hour = min(int(now // 3600), len(self.tally.human_by_hour) - 1)
        self.tally.human += 1
        self.tally.human_by_hour[hour] += 1
        self.answered_in_flight += 1
        if self.idle > 0:
            self.take(now, call)
            return
        self.queue.append(call)
        patience = self.call_rng.expovariate(1.0 / self.c.patience_mean_s)
        self.at(now + patience, _GIVE_UP, call)
        self.at(now + CONNECT_RULE_S, _RULE, call)

    def give_up(self, now: float, what: object) -> None:
        call = what if isinstance(what, _Call) else None
        if call is None or call.taken:
            return
        call.gone = True
        self.tally.waits.append(now - call.answered_at)
        self.in_flight -= 1
        self.answered_in_flight -= 1

    def rule(self, now: float, what: object) -> None:
        """Two seconds after the answer: abandoned unless an agent took the call by then."""
        call = what if isinstance(what, _Call) else None
        if call is None or call.taken:
            return
        self.known_abandoned += 1
        self.tally.abandoned += 1
        hour = min(int(call.answered_at // 3600), len(self.tally.abandoned_by_hour) - 1)
        self.tally.abandoned_by_hour[hour] += 1

    # --- the agents' side ----------------------------------------------------------------

    def take(self, now: float, call: _Call) -> None:
        call.taken = True
        self.idle -= 1
        self.busy += 1
        self.tally.connected += 1
        self.tally.waits.append(now - call.answered_at)
        sigma = self.c.talk_sigma
        mu = math.log(self.c.talk_mean_s) - sigma**2 / 2
        talk = self.call_rng.lognormvariate(mu, sigma)
        self.tally.talk_s += min(talk, max(0.0, self.end - now))
        self.at(now + talk, _TALK_END)

    def talk_end(self, now: float, _: object) -> None:
        self.in_flight -= 1
        self.answered_in_flight -= 1
        self.at(now + self.c.wrap_s, _FREE)

    def free(self, now: float, _: object) -> None:
        self.busy -= 1
        if self.leaving > 0:
            self.leaving -= 1
            self.log_off(now, 1)
            return
        self.idle += 1
        while self.queue and self.idle > 0:
            call = self.queue.popleft()
            if not call.gone:
                self.take(now, call)

    def log_off(self, now: float, count: int) -> None:
        self.tally.staffed_s += self.staffed * (now - self.staffed_since)
        self.staffed -= count
        self.staffed_since = now

    def change(self, now: float, _: object) -> None:
        if self.c.answer_rate_after is not None:
            self.answer_rate = self.c.answer_rate_after
        now_idle = min(self.idle, self.c.agents_leaving)
        self.idle -= now_idle
        self.log_off(now, now_idle)
        self.leaving = self.c.agents_leaving - now_idle


def simulate(centre: Centre, pacer: Pacing, seed: int) -> Tally:
    """Run one configuration with one pacer; the same seed draws the same calls."""
    return _Sim(centre, pacer, seed).run()
