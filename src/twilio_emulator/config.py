"""The emulator's settings: credentials, rate limits, faults, call playout, sources, delivery.

Durations of the simulated calls are in simulated seconds and run `time_scale` times as fast
as they read (real delay = simulated delay x `time_scale`). Rate limits, answer delays and
event delivery timings are in real seconds. Every field except the identity ones can be
changed while the emulator runs (`POST /_emulator/config`).

Sources: which ones report each call. A call is reported by Event Streams voice events, by
Studio's events and by the flow's post to `callstatus_url`. Twilio's documents do not say
whether voice events reach a sink for a call placed by Studio's Make Outgoing Call widget
(they need a status callback on the call's request, and Studio's is not documented), so every
plausible answer is a setting:

- `voice_events_on`: the calls whose voice events (`call.*`, `amd.detected`) are published:
  `all`; `not_failed` (none at all for a call whose status is `failed`); `answered` (only for
  calls that were answered); `none` (Studio's events and the post only). Default
  `not_failed`: the service description's failed-call path, where no voice event arrives for
  a failed call and the flow's post fills in what is missing (call SID, error code, message).
- `voice_completed_event`: off, no call's `call.completed` is published (its other voice
  events are, per `voice_events_on`): the terminal event lost. Default on.
- `step_events`: the call widget's `step.ended`. Default on.
- `callstatus_on`: the calls the flow posts for: `all`, `failed` or `none`. Default `all`: the
  flow played here has a Make HTTP Request widget on every transition of its call widget, and
  the service description gives failed calls as what the post is for (the call SID no voice
  event brings), not as the only calls it is made for; `failed` plays the narrower reading.
- `callstatus_call_sid`: the post's `call_sid`: `sent` (the widget's `CallSid`), `empty` (the
  field sent empty, as Studio renders a variable it lacks) or `omitted` (a flow without that
  field). Default `sent`.
- `callstatus_duplicate_probability`: a post answered 2xx is made once more at this
  probability (a retry whose first answer was lost). Default 0.
- `voice_delay_s`, `studio_delay_s`, `studio_started_delay_s`: real seconds added to the
  delivery of voice events, of every Studio event, and of `execution.started` on top of
  `studio_delay_s`. Voice events then arrive after `execution.ended`, or the post before
  `execution.started`. Default 0.
- Duplicates and reordering of every event: `duplicate_probability`, `shuffle_within_batch`,
  `delivery_jitter_s` (see `twilio_emulator.delivery`).

The call centre (agents, callers who give up, TaskRouter events, `task_queue_stats` written to
Redis) is one group of settings, `callcentre`, described in `twilio_emulator.callcentre_config`.
A change names only the ones it changes: `{"callcentre": {"agents": 12}}`. Off by default.

Two more keys are taken where settings are changed (`updated_config`, the command line's
`--settings`, `POST /_emulator/config`), and are not settings themselves: `sources`, the name
of a preset of `SOURCE_PRESETS` applied before the other changes (`description`: the
service description's path, which is the defaults; `all-voice`: voice events for
every call; `studio-only`: no voice events); and `voice_events`, the older switch (true is
`all`, false is `none`).
"""

from __future__ import annotations

import dataclasses
import math
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from twilio_emulator._settings import as_json, coerce
from twilio_emulator.callcentre_config import CallCentreConfig, updated_callcentre

__all__ = [
    "DEFAULT_ACCOUNT_SID",
    "DEFAULT_AUTH_TOKEN",
    "FIXED_FIELDS",
    "OUTCOMES",
    "SOURCE_PRESETS",
    "EmulatorConfig",
    "config_as_dict",
    "updated_config",
]

DEFAULT_ACCOUNT_SID = "AC" + "e0" * 16
DEFAULT_AUTH_TOKEN = "emulator-auth-token"  # noqa: S105 - a published demo credential

OUTCOMES = ("human", "machine", "busy", "no-answer", "failed", "canceled")

CpsMode = Literal["reject", "queue"]
DropMode = Literal["close", "500"]
CallstatusOn = Literal["all", "failed", "none"]
CallstatusCallSid = Literal["sent", "empty", "omitted"]
VoiceEventsOn = Literal["all", "not_failed", "answered", "none"]
FaultScope = Literal["create", "all"]

# Identity and wiring: changing them at run time would strand clients or break reproducibility.
FIXED_FIELDS = frozenset({"account_sid", "auth_token", "api_keys", "seed"})

_DESCRIPTION: dict[str, Any] = {
    "voice_events_on": "not_failed",
    "voice_completed_event": True,
    "step_events": True,
    "callstatus_on": "all",
    "callstatus_call_sid": "sent",
}
# Named choices of which sources report each call (the `sources` key of `updated_config`).
SOURCE_PRESETS: Mapping[str, Mapping[str, Any]] = {
    "description": _DESCRIPTION,
    "all-voice": {**_DESCRIPTION, "voice_events_on": "all"},
    "studio-only": {**_DESCRIPTION, "voice_events_on": "none"},
}


def _default_weights() -> dict[str, float]:
    return {
        "human": 0.55,
        "machine": 0.15,
        "busy": 0.1,
        "no-answer": 0.12,
        "failed": 0.05,
        "canceled": 0.03,
    }


@dataclass(frozen=True, slots=True)
class EmulatorConfig:
    """Settings of one emulator instance; see the module docstring for units."""

    # Credentials: Basic auth with the account SID and auth token, or an API key and secret.
    account_sid: str = DEFAULT_ACCOUNT_SID
    auth_token: str = DEFAULT_AUTH_TOKEN
    api_keys: Mapping[str, str] = field(default_factory=dict)
    seed: int = 0

    # Rate limits. "reject": creations above the account CPS get 429/20429 (a strict check of
    # the caller's pacing); "queue": accepted, and the call starts late as Twilio would queue it.
    account_cps: float = 1.0
    cps_mode: CpsMode = "reject"
    studio_executions_per_s: int = 20
    retry_after_s: float | None = None

    # Faults, applied to execution creation ("create") or to every Twilio route ("all").
    fault_scope: FaultScope = "create"
    error_5xx_probability: float = 0.0
    error_5xx_status: int = 503
    drop_after_create_probability: float = 0.0
    drop_mode: DropMode = "close"
    response_delay_s: float = 0.0

    # Call playout.
    time_scale: float = 1.0
    outcome_weights: Mapping[str, float] = field(default_factory=_default_weights)
    dial_delay_s: float = 1.0
    ring_s: tuple[float, float] = (3.0, 20.0)
    no_answer_ring_s: float = 30.0
    talk_human_s: tuple[float, float] = (20.0, 180.0)
    talk_machine_s: tuple[float, float] = (8.0, 40.0)
    amd: bool = True
    amd_detect_s: tuple[float, float] = (1.5, 4.0)
    call_widget: str = "call_user"

    # Which sources report each call, and how late (see the module docstring).
    voice_events_on: VoiceEventsOn = "not_failed"
    voice_completed_event: bool = True
    step_events: bool = True
    callstatus_on: CallstatusOn = "all"
    callstatus_call_sid: CallstatusCallSid = "sent"
    callstatus_duplicate_probability: float = 0.0
    callstatus_max_attempts: int = 3
    voice_delay_s: float = 0.0
    studio_delay_s: float = 0.0
    studio_started_delay_s: float = 0.0

    # Event Streams delivery.
    batch_window_s: float = 0.02
    batch_max_events: int = 50
    delivery_delay_s: float = 0.0
    delivery_jitter_s: float = 0.0
    shuffle_within_batch: bool = False
    duplicate_probability: float = 0.0
    delivery_max_attempts: int = 5
    delivery_retry_base_s: float = 0.05
    delivery_timeout_s: float = 5.0

    # Check every Twilio-route request and answer against Twilio's OpenAPI specs.
    validate_openapi: bool = False

    # Agents, callers, TaskRouter events and queue stats (`twilio_emulator.callcentre_config`).
    callcentre: CallCentreConfig = field(default_factory=CallCentreConfig)

    def __post_init__(self) -> None:
        problems = _problems(self)
        if problems:
            raise ValueError("; ".join(problems))

    @property
    def cps_window(self) -> tuple[int, float]:
        """(N, W): at most N creations in any W seconds, N / W = account CPS."""
        n = max(1, math.floor(self.account_cps))
        return n, n / self.account_cps


_PROBABILITIES = (
    "error_5xx_probability",
    "drop_after_create_probability",
    "duplicate_probability",
    "callstatus_duplicate_probability",
)
_DELAYS = ("delivery_delay_s", "voice_delay_s", "studio_delay_s", "studio_started_delay_s")


def _problems(c: EmulatorConfig) -> list[str]:
    problems: list[str] = []
    if not (c.account_sid.startswith("AC") and len(c.account_sid) == 34):
        problems.append("account_sid must be AC + 32 hex")
    if not c.auth_token:
        problems.append("auth_token must not be empty")
    if c.account_cps <= 0 or c.studio_executions_per_s < 1:
        problems.append("account_cps and studio_executions_per_s must be positive")
    if c.cps_mode not in ("reject", "queue"):
        problems.append("cps_mode is reject or queue")
    if c.drop_mode not in ("close", "500"):
        problems.append("drop_mode is close or 500")
    if c.callstatus_on not in ("all", "failed", "none"):
        problems.append("callstatus_on is all, failed or none")
    if c.callstatus_call_sid not in ("sent", "empty", "omitted"):
        problems.append("callstatus_call_sid is sent, empty or omitted")
    if c.voice_events_on not in ("all", "not_failed", "answered", "none"):
        problems.append("voice_events_on is all, not_failed, answered or none")
    if c.fault_scope not in ("create", "all"):
        problems.append("fault_scope is create or all")
    for name in _PROBABILITIES:
        if not 0.0 <= getattr(c, name) <= 1.0:
            problems.append(f"{name} must be within [0, 1]")
    for name in _DELAYS:
        if getattr(c, name) < 0:
            problems.append(f"{name} must not be negative")
    if not 500 <= c.error_5xx_status <= 599:
        problems.append("error_5xx_status must be a 5xx status")
    if c.time_scale <= 0:
        problems.append("time_scale must be positive")
    unknown = set(c.outcome_weights) - set(OUTCOMES)
    if unknown or any(w < 0 for w in c.outcome_weights.values()):
        problems.append(f"outcome_weights takes non-negative weights for {', '.join(OUTCOMES)}")
    elif sum(c.outcome_weights.values()) <= 0:
        problems.append("outcome_weights must not all be zero")
    for name in ("ring_s", "talk_human_s", "talk_machine_s", "amd_detect_s"):
        low, high = getattr(c, name)
        if not 0 <= low <= high:
            problems.append(f"{name} must be (low, high) with 0 <= low <= high")
    if c.batch_max_events < 1 or c.delivery_max_attempts < 1 or c.callstatus_max_attempts < 1:
        problems.append("batch_max_events and the max attempts must be at least 1")
    return problems


def updated_config(config: EmulatorConfig, changes: Mapping[str, Any]) -> EmulatorConfig:
    """`config` with `changes` applied; raises `ValueError` for unknown, fixed or invalid ones.

    `changes` may also hold `sources` (a preset name) and `voice_events` (the older switch);
    see the module docstring.
    """
    changes = _expanded(changes)
    names = {f.name for f in dataclasses.fields(EmulatorConfig)}
    unknown = sorted(set(changes) - names)
    if unknown:
        raise ValueError(f"unknown settings: {', '.join(unknown)}")
    fixed = sorted(set(changes) & FIXED_FIELDS)
    if fixed:
        raise ValueError(f"settings fixed at start: {', '.join(fixed)}")
    if "callcentre" in changes:
        changes["callcentre"] = updated_callcentre(config.callcentre, changes["callcentre"])
    hints = typing.get_type_hints(EmulatorConfig)
    normalised = {name: coerce(name, hints[name], v) for name, v in changes.items()}
    try:
        return dataclasses.replace(config, **normalised)
    except TypeError as exc:
        raise ValueError(str(exc)) from exc


def _expanded(changes: Mapping[str, Any]) -> dict[str, Any]:
    """`changes` with `sources` and `voice_events` replaced by the settings they stand for."""
    rest = dict(changes)
    out: dict[str, Any] = {}
    if "sources" in rest:
        name = rest.pop("sources")
        if not isinstance(name, str) or name not in SOURCE_PRESETS:
            raise ValueError(f"sources is one of {', '.join(SOURCE_PRESETS)}, not {name!r}")
        out.update(SOURCE_PRESETS[name])
    if "voice_events" in rest:
        switch = rest.pop("voice_events")
        if not isinstance(switch, bool):
            raise ValueError(f"voice_events: {switch!r} is not a valid value")
        if "voice_events_on" in rest:
            raise ValueError("voice_events and voice_events_on: give one of them")
        out["voice_events_on"] = "all" if switch else "none"
    out.update(rest)
    return out


def config_as_dict(config: EmulatorConfig) -> dict[str, Any]:
    """The settings as JSON-ready values, secrets left out."""
    secret = ("auth_token", "api_keys")
    fields = dataclasses.fields(config)
    return {f.name: as_json(getattr(config, f.name)) for f in fields if f.name not in secret}
