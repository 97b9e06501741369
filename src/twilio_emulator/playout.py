"""What happens to one call, decided up front: outcome, timings, AMD verdict, SIP code, and
for a call handed to an agent, the caller's patience and the agent's timings.

Pure functions of a random source and the settings, so that a seeded run replays the same
calls. Durations are simulated seconds.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from twilio_emulator.callcentre_config import CallCentreConfig
from twilio_emulator.config import OUTCOMES, EmulatorConfig

__all__ = ["MACHINE_VERDICTS", "AgentLeg", "CallPlan", "plan_call", "plan_leg"]

MACHINE_VERDICTS = (
    "machine_start",
    "machine_end_beep",
    "machine_end_silence",
    "machine_end_other",
)

# outcome -> (final CallStatus, Make Outgoing Call widget transition, SipResponseCode)
_ENDINGS = {
    "human": ("completed", "answered", "200"),
    "machine": ("completed", "answered", "200"),
    "busy": ("busy", "busy", "486"),
    "no-answer": ("no-answer", "noAnswer", "487"),
    "failed": ("failed", "failed", "404"),
    "canceled": ("canceled", "failed", "487"),
}


@dataclass(frozen=True, slots=True)
class CallPlan:
    """The script of one call. `ring_s` runs from `initiated` to answer or give-up."""

    outcome: str
    final_status: str
    transition: str
    sip_response_code: str
    ring_s: float
    talk_s: float = 0.0
    answered_by: str = ""
    amd_after_s: float = 0.0
    error_code: str = ""
    error_message: str = ""

    @property
    def answered(self) -> bool:
        return self.outcome in ("human", "machine")

    @property
    def call_duration_s(self) -> int:
        return round(self.talk_s) if self.answered else 0

    @property
    def billed_minutes(self) -> int:
        return math.ceil(self.call_duration_s / 60)


def _uniform(rng: random.Random, bounds: tuple[float, float]) -> float:
    return rng.uniform(bounds[0], bounds[1])


def plan_call(rng: random.Random, config: EmulatorConfig) -> CallPlan:
    """Draw one call's outcome from `config.outcome_weights` and its timings from the ranges."""
    weights = [float(config.outcome_weights.get(o, 0.0)) for o in OUTCOMES]
    outcome = rng.choices(OUTCOMES, weights=weights)[0]
    final_status, transition, sip = _ENDINGS[outcome]
    if outcome == "failed":
        return CallPlan(
            outcome,
            final_status,
            transition,
            sip,
            ring_s=0.0,
            error_code="13224",
            error_message="The number you are calling is not a valid phone number",
        )
    if outcome == "no-answer":
        return CallPlan(outcome, final_status, transition, sip, ring_s=config.no_answer_ring_s)
    ring = _uniform(rng, config.ring_s)
    if outcome not in ("human", "machine"):
        return CallPlan(outcome, final_status, transition, sip, ring_s=ring)
    talk_range = config.talk_human_s if outcome == "human" else config.talk_machine_s
    talk = _uniform(rng, talk_range)
    answered_by = ""
    amd_after = 0.0
    if config.amd:
        answered_by = "human" if outcome == "human" else rng.choice(MACHINE_VERDICTS)
        amd_after = min(_uniform(rng, config.amd_detect_s), talk)
    return CallPlan(
        outcome,
        final_status,
        transition,
        sip,
        ring_s=ring,
        talk_s=talk,
        answered_by=answered_by,
        amd_after_s=amd_after,
    )


@dataclass(frozen=True, slots=True)
class AgentLeg:
    """The draws of a call handed to an agent, from the hand-over on.

    `lasts_s` is set for a machine (a call handed over with AMD off): it ends that long after
    the hand-over whatever happens, so it waits that long at most and an agent who accepts
    it talks for what is left.
    """

    patience_s: float
    accept_s: float
    talk_s: float
    wrapup_s: float
    lasts_s: float | None = None


def plan_leg(rng: random.Random, config: CallCentreConfig, plan: CallPlan) -> AgentLeg:
    """Draw the agent's accept delay and wrap-up, and the caller's patience and talk."""
    accept = _uniform(rng, config.accept_s)
    wrapup = _uniform(rng, config.wrapup_s)
    if plan.outcome == "machine":
        lasts = max(0.0, plan.talk_s - plan.amd_after_s)
        return AgentLeg(lasts, accept, lasts, wrapup, lasts)
    sd = config.talk_log_sd
    # exp(N(mu, sd)) has mean exp(mu + sd**2 / 2): mu puts the mean at talk_mean_s.
    talk = config.talk_mean_s * math.exp(rng.gauss(-sd * sd / 2, sd)) if sd else config.talk_mean_s
    mean = config.patience_mean_s
    patience = rng.expovariate(1.0 / mean) if mean > 0 else 0.0
    return AgentLeg(patience, accept, talk, wrapup)
