"""Which sources report a call, and how late: the settings' rules, one function each.

A call of the flow can be reported by three sources: Event Streams voice status-callback
events, Studio's own events (`execution.started`, `step.ended`, `execution.ended`), and the
flow's post to `callstatus_url`; a call handed to an agent, by TaskRouter's events too.
Twilio's documents do not say which voice events reach a sink for a call placed by Studio's
widget, so the rules here play every plausible answer; the settings and their defaults are
described in `twilio_emulator.config`.
"""

from __future__ import annotations

from twilio_emulator.cloudevents import STUDIO_STARTED, TASKROUTER_PREFIX, VOICE_PREFIX
from twilio_emulator.config import EmulatorConfig
from twilio_emulator.playout import CallPlan

__all__ = ["callstatus_wanted", "source_delay_s", "voice_event_wanted"]

_STUDIO_PREFIX = "com.twilio.studio."
_COMPLETED = VOICE_PREFIX + "call.completed"


def voice_event_wanted(config: EmulatorConfig, plan: CallPlan, event_type: str) -> bool:
    """Whether the voice event `event_type` of the call planned as `plan` is published."""
    rule = config.voice_events_on
    if rule == "none":
        return False
    if rule == "not_failed" and plan.final_status == "failed":
        return False
    if rule == "answered" and not plan.answered:
        return False
    return event_type != _COMPLETED or config.voice_completed_event


def callstatus_wanted(config: EmulatorConfig, plan: CallPlan) -> bool:
    """Whether the flow posts to `callstatus_url` for the call planned as `plan`."""
    rule = config.callstatus_on
    return rule == "all" or (rule == "failed" and plan.final_status == "failed")


def source_delay_s(config: EmulatorConfig, event_type: str) -> float:
    """Real seconds an event of `event_type` waits on top of `delivery_delay_s`."""
    if event_type.startswith(VOICE_PREFIX):
        return config.voice_delay_s
    if event_type.startswith(_STUDIO_PREFIX):
        started = config.studio_started_delay_s if event_type == STUDIO_STARTED else 0.0
        return config.studio_delay_s + started
    if event_type.startswith(TASKROUTER_PREFIX):
        return config.callcentre.taskrouter_delay_s
    return 0.0
