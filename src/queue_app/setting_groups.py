"""The groups of `queue_app.settings.Settings`: each field reads the environment variable its
`validation_alias` names, with its default and bounds (the README's table)."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Mapping
from typing import Annotated, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)

__all__ = [
    "AdminGroup",
    "ContactsGroup",
    "Group",
    "HttpGroup",
    "InstanceGroup",
    "KeysGroup",
    "PacingGroup",
    "RedisGroup",
    "TwilioGroup",
]


class Group(BaseModel):
    """A group of settings, built from the variables its fields name (or by field name)."""

    model_config = ConfigDict(extra="ignore", frozen=True, validate_by_name=True)

    @classmethod
    def variables(cls) -> dict[str, str]:
        """Each environment variable the group reads, and the field it sets."""
        return {str(field.validation_alias): name for name, field in cls.model_fields.items()}

    @classmethod
    def by_variable(cls, values: Mapping[str, object]) -> dict[str, object]:
        """`values` given by field or by variable name, keyed by variable name."""
        aliases = {field: variable for variable, field in cls.variables().items()}
        return {aliases.get(name, name): value for name, value in values.items()}


def _http_url(value: str | None) -> str | None:
    if value and not value.startswith(("http://", "https://")):
        raise ValueError("must be an http:// or https:// URL")
    return value.rstrip("/") if value else value


def _default_instance_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


_HttpUrl = Annotated[str, AfterValidator(_http_url)]


class RedisGroup(Group):
    """The store, and how its steps and streams run."""

    url: str = Field("redis://127.0.0.1:6379/0", validation_alias="QUEUE_REDIS_URL")
    cross_slot_scripts: bool = Field(True, validation_alias="QUEUE_REDIS_CROSS_SLOT_SCRIPTS")
    stream_maxlen: int | None = Field(None, gt=0, validation_alias="QUEUE_STREAM_MAXLEN")
    control_claim_idle_s: float = Field(60.0, ge=0, validation_alias="QUEUE_CONTROL_CLAIM_IDLE_S")

    @field_validator("url")
    @classmethod
    def _redis_scheme(cls, value: str) -> str:
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value


class KeysGroup(Group):
    """Key and stream names (the contract's defaults), each field named as in `RedisKeys`."""

    queue_control_stream: str = Field(
        "queue_control_stream", validation_alias="QUEUE_CONTROL_STREAM"
    )
    queue_control_group: str = Field("queue_control_group", validation_alias="QUEUE_CONTROL_GROUP")
    queue_control_dead_letter: str = Field(
        "queue_control_dead_letter", validation_alias="QUEUE_CONTROL_DEAD_LETTER"
    )
    campaign_execution_prefix: str = Field(
        "campaign_execution:", validation_alias="QUEUE_CAMPAIGN_EXECUTION_PREFIX"
    )
    task_queue_stats: str = Field("task_queue_stats", validation_alias="QUEUE_TASK_QUEUE_STATS_KEY")
    campaign_cache_prefix: str = Field(
        "campaign_cache:", validation_alias="QUEUE_CAMPAIGN_CACHE_PREFIX"
    )
    active_calls_prefix: str = Field("active_calls:", validation_alias="QUEUE_ACTIVE_CALLS_PREFIX")
    call_dispositions: str = Field(
        "call_dispositions", validation_alias="QUEUE_DISPOSITIONS_STREAM"
    )
    queue_event_stream: str = Field("queue_event_stream", validation_alias="QUEUE_EVENT_STREAM")


class TwilioGroup(Group):
    """The Twilio account, its REST client and Event Streams."""

    account_sid: str = Field("", validation_alias="TWILIO_ACCOUNT_SID")
    auth_token: SecretStr = Field(SecretStr(""), validation_alias="TWILIO_AUTH_TOKEN")
    api_key: str = Field("", validation_alias="TWILIO_API_KEY")
    api_secret: SecretStr = Field(SecretStr(""), validation_alias="TWILIO_API_SECRET")
    base_url: _HttpUrl | None = Field(None, validation_alias="QUEUE_TWILIO_BASE_URL")
    timeout_s: float = Field(10.0, gt=0, validation_alias="QUEUE_TWILIO_TIMEOUT_S")
    event_streams_autoprovision: bool = Field(
        True, validation_alias="QUEUE_EVENT_STREAMS_AUTOPROVISION"
    )

    @model_validator(mode="after")
    def _api_key_pair(self) -> Self:
        if bool(self.api_key) != bool(self.api_secret.get_secret_value()):
            raise ValueError("TWILIO_API_KEY and TWILIO_API_SECRET go together")
        return self


class HttpGroup(Group):
    """The HTTP server and its webhook edge."""

    host: str = Field("0.0.0.0", validation_alias="QUEUE_HOST")  # noqa: S104 - a server's bind
    port: int = Field(8000, ge=0, le=65535, validation_alias="QUEUE_PORT")
    public_base_url: _HttpUrl = Field("", validation_alias="QUEUE_PUBLIC_BASE_URL")
    verify_signatures: bool = Field(True, validation_alias="QUEUE_VERIFY_SIGNATURES")
    callstatus_secret: SecretStr = Field(SecretStr(""), validation_alias="QUEUE_CALLSTATUS_SECRET")
    trust_proxy: bool = Field(False, validation_alias="QUEUE_TRUST_PROXY")
    trusted_proxies: str = Field("", validation_alias="QUEUE_TRUSTED_PROXIES")
    max_body_bytes: int = Field(1_048_576, ge=1024, validation_alias="QUEUE_MAX_BODY_BYTES")
    body_read_timeout_s: float = Field(
        10.0, gt=0, le=300, validation_alias="QUEUE_BODY_READ_TIMEOUT_S"
    )
    # Event Streams retries a delivery for up to 4 hours: older events are replays.
    event_max_age_s: float = Field(16_200.0, gt=0, validation_alias="QUEUE_EVENT_MAX_AGE_S")

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies(cls, value: str) -> str:
        entries = [entry.strip() for entry in value.split(",") if entry.strip()]
        for entry in entries:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(
                    f"{entry[:64]!r} is not an IP address or network (comma-separated)"
                ) from None
        return ",".join(entries)

    @model_validator(mode="after")
    def _trust_needs_proxies(self) -> Self:
        if self.trust_proxy and not self.trusted_proxies:
            raise ValueError("QUEUE_TRUST_PROXY needs QUEUE_TRUSTED_PROXIES (the proxies' IPs)")
        return self

    @property
    def proxies_trusted(self) -> tuple[str, ...]:
        """The proxies whose `X-Forwarded-*` headers count: none unless trust is on."""
        if not self.trust_proxy:
            return ()
        return tuple(self.trusted_proxies.split(","))


class AdminGroup(Group):
    """The admin listener: `/metrics`, the live page `/ui/` and its control actions, on a port
    of its own apart from the one Twilio calls (ADR 0029)."""

    port: int = Field(9000, ge=0, le=65535, validation_alias="QUEUE_ADMIN_PORT")
    # Empty: the page's pause, resume and stop are refused (the page is still shown).
    token: SecretStr = Field(SecretStr(""), validation_alias="QUEUE_ADMIN_TOKEN")


class PacingGroup(Group):
    """How many launches the account allows, and how often runners look again."""

    account_cps: float = Field(1.0, gt=0, le=10_000, validation_alias="QUEUE_ACCOUNT_CPS")
    cps_share: float = Field(0.9, gt=0, le=1, validation_alias="QUEUE_CPS_SHARE")
    studio_executions_per_s: float = Field(
        20.0, gt=0, le=100_000, validation_alias="QUEUE_STUDIO_EXECUTIONS_PER_S"
    )
    launch_guard_ms: float = Field(5.0, ge=0, le=1000, validation_alias="QUEUE_LAUNCH_GUARD_MS")
    poll_interval_s: float = Field(0.5, gt=0, le=60, validation_alias="QUEUE_POLL_INTERVAL_S")
    stats_max_age_s: float = Field(60.0, gt=0, validation_alias="QUEUE_STATS_MAX_AGE_S")
    reconcile_after_s: float = Field(60.0, gt=0, validation_alias="QUEUE_RECONCILE_AFTER_S")

    @property
    def launch_guard_s(self) -> float:
        return self.launch_guard_ms / 1000


class ContactsGroup(Group):
    """When a contact is over: its timeout, its settle grace, the events it waits for."""

    contact_timeout_s: float = Field(7200.0, gt=0, validation_alias="QUEUE_CONTACT_TIMEOUT_S")
    settle_grace_s: float = Field(30.0, gt=0, le=3600, validation_alias="QUEUE_SETTLE_GRACE_S")
    expect_voice_events: bool = Field(True, validation_alias="QUEUE_EXPECT_VOICE_EVENTS")
    expect_task_events: bool = Field(True, validation_alias="QUEUE_EXPECT_TASK_EVENTS")


class InstanceGroup(Group):
    """This instance: its name, its leases, its shutdown and its logs."""

    instance_id: str = Field(
        default_factory=_default_instance_id, validation_alias="QUEUE_INSTANCE_ID"
    )
    lease_ttl_s: float = Field(10.0, gt=0.5, le=300, validation_alias="QUEUE_LEASE_TTL_S")
    shutdown_grace_s: float = Field(30.0, ge=0, validation_alias="QUEUE_SHUTDOWN_GRACE_S")
    log_json: bool = Field(False, validation_alias="QUEUE_LOG_JSON")
    log_level: str = Field("INFO", validation_alias="QUEUE_LOG_LEVEL")

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        if value.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return value.upper()
