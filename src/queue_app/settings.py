"""Every setting of the queue service: groups of fields, each read from one environment variable.

`Settings` holds the groups (`redis`, `keys`, `twilio`, `http`, `admin`, `pacing`,
`contacts`, `instance`, in `queue_app.setting_groups`). Each field names its variable as its
`validation_alias`; the variables stay flat, as the README's table and the contract name
them (`QUEUE_REDIS_URL`, `TWILIO_ACCOUNT_SID`, ...): the environment is read once, and each
group takes its own variables from it (ADR 0024). What the core and the adapters are told
(`runner`, `budget`, `redis_keys`, `redis_options`) is derived here, beside the variables it
comes from. `Settings.from_env()` raises `SettingsError` with one line per wrong variable,
naming it and saying why.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from typing import Any

from pydantic import BaseModel, ValidationError, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from queue_adapters.redis import RedisKeys, RedisOptions
from queue_app.setting_groups import (
    AdminGroup,
    ContactsGroup,
    Group,
    HttpGroup,
    InstanceGroup,
    KeysGroup,
    PacingGroup,
    RedisGroup,
    TwilioGroup,
)
from queue_core.services.runner import RunnerSettings
from queue_core.services.supervisor import BudgetSettings

__all__ = ["Settings", "SettingsError"]


class SettingsError(ValueError):
    """One or more environment variables are missing or invalid."""


class Settings(BaseSettings):
    """Every setting, in groups. Build it with `from_env`; `model_validate` takes the same
    flat variable names (and reads the environment for the others). Each group is given
    by the before-validator, with its defaults for what no variable sets."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    redis: RedisGroup
    keys: KeysGroup
    twilio: TwilioGroup
    http: HttpGroup
    admin: AdminGroup
    pacing: PacingGroup
    contacts: ContactsGroup
    instance: InstanceGroup

    @classmethod
    def groups(cls) -> dict[str, type[Group]]:
        """Each group's attribute name and class."""
        return {name: _group_class(field) for name, field in cls.model_fields.items()}

    @classmethod
    def variables(cls) -> set[str]:
        """The name of every environment variable the settings read."""
        return {name for group in cls.groups().values() for name in group.variables()}

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # pydantic-settings' own source reads one variable per field of `Settings`, that is
        # per group; the groups' variables are flat: read them all, let each group pick.
        return init_settings, _FlatEnvironment(settings_cls)

    @model_validator(mode="before")
    @classmethod
    def _into_groups(cls, data: Any) -> Any:
        """Give each group its own variables of the flat input, under what was given for
        the group itself (an instance as it is, a dict of its fields over the variables)."""
        if not isinstance(data, dict):
            return data
        grouped: dict[str, Any] = {}
        for name, group in cls.groups().items():
            given = data.get(name, {})
            if isinstance(given, BaseModel):
                grouped[name] = given
                continue
            flat = {key: value for key, value in data.items() if key in group.variables()}
            grouped[name] = {**flat, **group.by_variable(given)}
        return grouped

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Read the environment; `overrides` win over it, by variable name
        (`QUEUE_PORT=8001`) or by group (`http=HttpGroup(...)`, or a dict of its fields).
        Raise `SettingsError` naming each wrong variable, `TypeError` for an unknown name."""
        unknown = set(overrides) - cls.variables() - set(cls.model_fields)
        if unknown:
            raise TypeError(f"no such setting: {', '.join(sorted(unknown))}")
        try:
            return cls(**overrides)  # type: ignore[arg-type]
        except ValidationError as exc:
            raise SettingsError(_described(exc)) from None

    def updated(self, **overrides: object) -> Settings:
        """These settings, with `overrides` by variable name or by group (as `from_env`)."""
        current: dict[str, object] = {}
        for name, group in self.groups().items():
            values = getattr(self, name)
            current.update({v: getattr(values, field) for v, field in group.variables().items()})
        return type(self).from_env(**{**current, **overrides})

    @property
    def runner(self) -> RunnerSettings:
        """What every runner of this instance is told."""
        return RunnerSettings(
            owner=self.instance.instance_id,
            callstatus_url=f"{self.http.public_base_url}/callstatus",
            stats_max_age_s=self.pacing.stats_max_age_s,
            poll_interval_s=self.pacing.poll_interval_s,
            expect_voice_events=self.contacts.expect_voice_events,
            expect_task_events=self.contacts.expect_task_events,
            reconcile_after_s=self.pacing.reconcile_after_s,
        )

    @property
    def budget(self) -> BudgetSettings:
        """The launch budget, leases and contact deadlines the supervisor applies."""
        return BudgetSettings(
            account_cps=self.pacing.account_cps,
            cps_share=self.pacing.cps_share,
            contact_timeout_s=self.contacts.contact_timeout_s,
            settle_grace_s=self.contacts.settle_grace_s,
            lease_ttl_s=self.instance.lease_ttl_s,
            studio_executions_per_s=self.pacing.studio_executions_per_s,
            launch_guard_s=self.pacing.launch_guard_s,
        )

    @property
    def redis_keys(self) -> RedisKeys:
        """The key and stream names: `keys` holds `RedisKeys`' fields, by their names."""
        return RedisKeys(**self.keys.model_dump())

    @property
    def redis_options(self) -> RedisOptions:
        """How long the store keeps things, and when a dead reader's entries are taken."""
        return RedisOptions(
            control_min_idle_ms=int(self.redis.control_claim_idle_s * 1000),
            contact_timeout_s=self.contacts.contact_timeout_s,
            stream_maxlen=self.redis.stream_maxlen,
            cross_slot_scripts=self.redis.cross_slot_scripts,
        )

    def require_for_serve(self) -> None:
        """`serve` needs the Twilio credentials and the public URL, and two ports."""
        problems = [
            f"{name}: required by serve"
            for name, value in (
                ("TWILIO_ACCOUNT_SID", self.twilio.account_sid),
                ("TWILIO_AUTH_TOKEN", self.twilio.auth_token.get_secret_value()),
                ("QUEUE_PUBLIC_BASE_URL", self.http.public_base_url),
            )
            if not value
        ]
        if self.admin.port and self.admin.port == self.http.port:
            problems.append("QUEUE_ADMIN_PORT: must differ from QUEUE_PORT")
        if problems:
            raise SettingsError("invalid settings:\n  " + "\n  ".join(problems))

    def callstatus_key(self) -> bytes:
        """The callstatus token secret; derived from the auth token when not set, so that
        every instance of one account agrees without another secret to distribute."""
        secret = self.http.callstatus_secret.get_secret_value()
        if secret:
            return secret.encode()
        token = self.twilio.auth_token.get_secret_value().encode() or b"unset"
        return hmac.new(token, b"queue-service callstatus token", hashlib.sha256).digest()


def _group_class(field: FieldInfo) -> type[Group]:
    group = field.annotation
    assert isinstance(group, type), group
    assert issubclass(group, Group), group
    return group


def _described(exc: ValidationError) -> str:
    """One line per error, naming the variable (or the group, for a rule over several)."""
    lines = []
    for error in exc.errors():
        where = [str(part) for part in error["loc"]]
        lines.append(f"{', '.join(where[1:] or where or ['settings'])}: {error['msg']}")
    return "invalid settings:\n  " + "\n  ".join(lines)


class _FlatEnvironment(PydanticBaseSettingsSource):
    """The environment variables the groups read, by their names (matched whatever their
    case, as pydantic-settings' own source matches them)."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: `__call__` reads every variable at once

    def __call__(self) -> dict[str, Any]:
        names = {name.upper(): name for name in Settings.variables()}
        return {
            names[key.upper()]: value for key, value in os.environ.items() if key.upper() in names
        }
