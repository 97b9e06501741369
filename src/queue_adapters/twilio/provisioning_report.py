"""What Event Streams must deliver to this service, and the report of a provisioning run."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CONTRACT_EVENT_TYPES", "ProvisioningReport", "eventstreams_destination"]

CONTRACT_EVENT_TYPES: tuple[str, ...] = (
    "com.twilio.voice.status-callback.call.initiated",
    "com.twilio.voice.status-callback.call.ringing",
    "com.twilio.voice.status-callback.call.answered",
    "com.twilio.voice.status-callback.call.completed",
    "com.twilio.voice.status-callback.amd.detected",
    "com.twilio.studio.flow.execution.started",
    "com.twilio.studio.flow.execution.ended",
    "com.twilio.studio.flow.step.ended",
    "com.twilio.taskrouter.task.created",
    "com.twilio.taskrouter.task.canceled",
    "com.twilio.taskrouter.reservation.accepted",
    "com.twilio.taskrouter.task.completed",
)


def eventstreams_destination(public_base_url: str) -> str:
    """The sink destination for a public base URL: `{public_base_url}/eventstreams`."""
    return public_base_url.rstrip("/") + "/eventstreams"


@dataclass(frozen=True, slots=True)
class ProvisioningReport:
    """What `ensure` found and what it created or added."""

    destination: str
    sink_sid: str
    sink_status: str
    sink_created: bool
    sinks_scanned: int
    subscription_sid: str
    subscription_created: bool
    types_present: tuple[str, ...]
    types_added: tuple[str, ...]

    @property
    def changed(self) -> bool:
        return self.sink_created or self.subscription_created or bool(self.types_added)

    def lines(self) -> list[str]:
        """A readable account, one fact per line."""
        sink = "created" if self.sink_created else f"found among {self.sinks_scanned} sinks"
        sub = "created" if self.subscription_created else "found"
        lines = [
            f"sink {self.sink_sid} ({self.sink_status}) -> {self.destination}: {sink}",
            f"subscription {self.subscription_sid}: {sub}",
        ]
        lines += [f"  already subscribed: {t}" for t in self.types_present]
        lines += [f"  added: {t}" for t in self.types_added]
        lines.append("changes made" if self.changed else "nothing to change")
        return lines
