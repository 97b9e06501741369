"""Every setting of the queue service: one pydantic-settings class, read from the environment.

The contract's variables keep their names (`QUEUE_REDIS_URL`, `TWILIO_ACCOUNT_SID`, ...); the
service's own are prefixed `QUEUE_`. `Settings.from_env()` raises `SettingsError` with one line
per wrong variable, naming it and saying why.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import socket
from typing import Self

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "SettingsError"]


class SettingsError(ValueError):
    """One or more environment variables are missing or invalid."""


def _default_instance_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True, frozen=True)

    # The contract's settings
    redis_url: str = Field("redis://127.0.0.1:6379/0", validation_alias="QUEUE_REDIS_URL")
    twilio_account_sid: str = Field("", validation_alias="TWILIO_ACCOUNT_SID")
    twilio_auth_token: SecretStr = Field(SecretStr(""), validation_alias="TWILIO_AUTH_TOKEN")
    twilio_api_key: str = Field("", validation_alias="TWILIO_API_KEY")
    twilio_api_secret: SecretStr = Field(SecretStr(""), validation_alias="TWILIO_API_SECRET")
    twilio_base_url: str | None = Field(None, validation_alias="QUEUE_TWILIO_BASE_URL")
    public_base_url: str = Field("", validation_alias="QUEUE_PUBLIC_BASE_URL")
    account_cps: float = Field(1.0, gt=0, le=10_000, validation_alias="QUEUE_ACCOUNT_CPS")
    cps_share: float = Field(0.9, gt=0, le=1, validation_alias="QUEUE_CPS_SHARE")
    studio_executions_per_s: float = Field(
        20.0, gt=0, le=100_000, validation_alias="QUEUE_STUDIO_EXECUTIONS_PER_S"
    )
    launch_guard_ms: float = Field(5.0, ge=0, le=1000, validation_alias="QUEUE_LAUNCH_GUARD_MS")
    host: str = Field("0.0.0.0", validation_alias="QUEUE_HOST")  # noqa: S104 - a server's bind
    port: int = Field(8000, ge=0, le=65535, validation_alias="QUEUE_PORT")
    event_streams_autoprovision: bool = Field(
        True, validation_alias="QUEUE_EVENT_STREAMS_AUTOPROVISION"
    )
    verify_signatures: bool = Field(True, validation_alias="QUEUE_VERIFY_SIGNATURES")
    contact_timeout_s: float = Field(7200.0, gt=0, validation_alias="QUEUE_CONTACT_TIMEOUT_S")

    # The service's own settings
    callstatus_secret: SecretStr = Field(SecretStr(""), validation_alias="QUEUE_CALLSTATUS_SECRET")
    trust_proxy: bool = Field(False, validation_alias="QUEUE_TRUST_PROXY")
    trusted_proxies: str = Field("", validation_alias="QUEUE_TRUSTED_PROXIES")
    max_body_bytes: int = Field(1_048_576, ge=1024, validation_alias="QUEUE_MAX_BODY_BYTES")
    body_read_timeout_s: float = Field(
        10.0, gt=0, le=300, validation_alias="QUEUE_BODY_READ_TIMEOUT_S"
    )
    # Event Streams retries a delivery for up to 4 hours: older events are replays.
    event_max_age_s: float = Field(16_200.0, gt=0, validation_alias="QUEUE_EVENT_MAX_AGE_S")
    expect_voice_events: bool = Field(True, validation_alias="QUEUE_EXPECT_VOICE_EVENTS")
    expect_task_events: bool = Field(True, validation_alias="QUEUE_EXPECT_TASK_EVENTS")
    settle_grace_s: float = Field(30.0, gt=0, le=3600, validation_alias="QUEUE_SETTLE_GRACE_S")
    stats_max_age_s: float = Field(60.0, gt=0, validation_alias="QUEUE_STATS_MAX_AGE_S")
    poll_interval_s: float = Field(0.5, gt=0, le=60, validation_alias="QUEUE_POLL_INTERVAL_S")
    lease_ttl_s: float = Field(10.0, gt=0.5, le=300, validation_alias="QUEUE_LEASE_TTL_S")
    reconcile_after_s: float = Field(60.0, gt=0, validation_alias="QUEUE_RECONCILE_AFTER_S")
    shutdown_grace_s: float = Field(30.0, ge=0, validation_alias="QUEUE_SHUTDOWN_GRACE_S")
    twilio_timeout_s: float = Field(10.0, gt=0, validation_alias="QUEUE_TWILIO_TIMEOUT_S")
    control_claim_idle_s: float = Field(60.0, ge=0, validation_alias="QUEUE_CONTROL_CLAIM_IDLE_S")
    stream_maxlen: int | None = Field(None, gt=0, validation_alias="QUEUE_STREAM_MAXLEN")
    redis_cross_slot_scripts: bool = Field(True, validation_alias="QUEUE_REDIS_CROSS_SLOT_SCRIPTS")
    instance_id: str = Field(
        default_factory=_default_instance_id, validation_alias="QUEUE_INSTANCE_ID"
    )
    log_json: bool = Field(False, validation_alias="QUEUE_LOG_JSON")
    log_level: str = Field("INFO", validation_alias="QUEUE_LOG_LEVEL")

    # Key and stream names (the contract's defaults)
    control_stream: str = Field("queue_control_stream", validation_alias="QUEUE_CONTROL_STREAM")
    control_group: str = Field("queue_control_group", validation_alias="QUEUE_CONTROL_GROUP")
    control_dead_letter: str = Field(
        "queue_control_dead_letter", validation_alias="QUEUE_CONTROL_DEAD_LETTER"
    )
    campaign_execution_prefix: str = Field(
        "campaign_execution:", validation_alias="QUEUE_CAMPAIGN_EXECUTION_PREFIX"
    )
    task_queue_stats_key: str = Field(
        "task_queue_stats", validation_alias="QUEUE_TASK_QUEUE_STATS_KEY"
    )
    campaign_cache_prefix: str = Field(
        "campaign_cache:", validation_alias="QUEUE_CAMPAIGN_CACHE_PREFIX"
    )
    active_calls_prefix: str = Field("active_calls:", validation_alias="QUEUE_ACTIVE_CALLS_PREFIX")
    dispositions_stream: str = Field(
        "call_dispositions", validation_alias="QUEUE_DISPOSITIONS_STREAM"
    )
    event_stream: str = Field("queue_event_stream", validation_alias="QUEUE_EVENT_STREAM")

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str) -> str:
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @field_validator("public_base_url", "twilio_base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/") if value else value

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

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        if value.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return value.upper()

    @model_validator(mode="after")
    def _api_key_pair(self) -> Self:
        if bool(self.twilio_api_key) != bool(self.twilio_api_secret.get_secret_value()):
            raise ValueError("TWILIO_API_KEY and TWILIO_API_SECRET go together")
        return self

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

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Read the environment; raise `SettingsError` naming each wrong variable."""
        try:
            return cls(**overrides)  # type: ignore[arg-type]
        except ValidationError as exc:
            lines = []
            for error in exc.errors():
                names = [str(part) for part in error["loc"]] or ["settings"]
                lines.append(f"{', '.join(names)}: {error['msg']}")
            raise SettingsError("invalid settings:\n  " + "\n  ".join(lines)) from None

    def require_for_serve(self) -> None:
        """`serve` needs the Twilio credentials and the public URL."""
        missing = [
            name
            for name, value in (
                ("TWILIO_ACCOUNT_SID", self.twilio_account_sid),
                ("TWILIO_AUTH_TOKEN", self.twilio_auth_token.get_secret_value()),
                ("QUEUE_PUBLIC_BASE_URL", self.public_base_url),
            )
            if not value
        ]
        if missing:
            raise SettingsError(
                "invalid settings:\n  "
                + "\n  ".join(f"{name}: required by serve" for name in missing)
            )

    def callstatus_key(self) -> bytes:
        """The callstatus token secret; derived from the auth token when not set, so that
        every instance of one account agrees without another secret to distribute."""
        secret = self.callstatus_secret.get_secret_value()
        if secret:
            return secret.encode()
        token = self.twilio_auth_token.get_secret_value().encode() or b"unset"
        return hmac.new(token, b"queue-service callstatus token", hashlib.sha256).digest()
