"""Settings in groups, read from the same flat variables: each group takes its own, overrides
win by variable name or by group, errors name the variable, the README's defaults hold, and
what the core is told is derived from the groups."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from queue_adapters.redis import RedisKeys
from queue_app.setting_groups import HttpGroup
from queue_app.settings import Settings, SettingsError

README = Path(__file__).resolve().parents[3] / "README.md"


@pytest.fixture(autouse=True)
def no_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    """None of the settings' variables set, whatever the environment of the tests."""
    for name in Settings.variables():
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def test_each_group_reads_its_own_flat_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUEUE_PORT", "8123")
    monkeypatch.setenv("QUEUE_CONTROL_STREAM", "ops_control")
    monkeypatch.setenv("queue_lease_ttl_s", "20")  # any case, as before the groups
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "t" * 32)

    settings = Settings.from_env()

    assert settings.http.port == 8123
    assert settings.keys.queue_control_stream == "ops_control"
    assert settings.redis_keys.queue_control_stream == "ops_control"
    assert settings.instance.lease_ttl_s == 20.0
    assert settings.twilio.auth_token.get_secret_value() == "t" * 32
    assert settings.redis.url == "redis://127.0.0.1:6379/0"


def test_overrides_win_by_variable_name_then_by_group(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUEUE_PORT", "8123")
    monkeypatch.setenv("QUEUE_HOST", "127.0.0.1")

    by_name = Settings.from_env(QUEUE_PORT=9000)
    by_group = Settings.from_env(QUEUE_PORT=9000, http={"port": 9001})
    whole = Settings.from_env(http=HttpGroup(port=9002))

    assert (by_name.http.port, by_name.http.host) == (9000, "127.0.0.1")
    assert (by_group.http.port, by_group.http.host) == (9001, "127.0.0.1")
    assert (whole.http.port, whole.http.host) == (9002, "0.0.0.0")  # the group as given
    with pytest.raises(TypeError, match="no such setting: port, redis_url"):
        Settings.from_env(redis_url="redis://elsewhere", port=1)


def test_updated_settings_keep_every_other_value(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings.from_env(QUEUE_PORT=9000, TWILIO_AUTH_TOKEN="t" * 32)
    monkeypatch.setenv("QUEUE_PORT", "1")  # the environment is not read again

    moved = settings.updated(QUEUE_PUBLIC_BASE_URL="http://127.0.0.1:9000/")

    assert moved.http.public_base_url == "http://127.0.0.1:9000"
    assert moved.http.port == 9000
    assert moved.twilio.auth_token == settings.twilio.auth_token
    assert moved.instance.instance_id == settings.instance.instance_id


def test_each_wrong_variable_is_named_on_its_own_line() -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env(QUEUE_PORT="not-a-port", QUEUE_CPS_SHARE="2", TWILIO_API_KEY="SK1")

    lines = str(raised.value).splitlines()
    assert lines[0] == "invalid settings:"
    assert any(line.strip().startswith("QUEUE_PORT: ") for line in lines)
    assert any(line.strip().startswith("QUEUE_CPS_SHARE: ") for line in lines)
    assert any("TWILIO_API_KEY and TWILIO_API_SECRET go together" in line for line in lines)
    assert len(lines) == 4


def readme_defaults() -> dict[str, str]:
    """Each variable's default as the README's table writes it, where it is one value."""
    defaults: dict[str, str] = {}
    for line in README.read_text("utf-8").splitlines():
        if not line.startswith("| `"):
            continue
        cells = line.split("|")
        names = re.findall(r"`([A-Z][A-Z0-9_]+)`", cells[1])
        values = re.findall(r"`([^`]*)`", cells[3])
        if "required" not in cells[3] and len(values) == len(names):
            defaults.update(zip(names, values, strict=True))
    return defaults


def test_the_readme_defaults_are_the_defaults() -> None:
    defaults = readme_defaults()
    defaults.pop("QUEUE_INSTANCE_ID")  # `hostname-pid`: the process's own
    assert len(defaults) >= 35
    unset = Settings.from_env()
    for name, value in defaults.items():
        assert Settings.from_env(**{name: value}) == unset, name


def test_what_the_core_is_told_comes_from_the_groups() -> None:
    settings = Settings.from_env(
        QUEUE_INSTANCE_ID="queue-7",
        QUEUE_PUBLIC_BASE_URL="https://queue.example/",
        QUEUE_LAUNCH_GUARD_MS=8,
        QUEUE_POLL_INTERVAL_S=0.25,
        QUEUE_EXPECT_VOICE_EVENTS="false",
        QUEUE_ACCOUNT_CPS=30,
        QUEUE_CPS_SHARE=0.5,
        QUEUE_LEASE_TTL_S=12,
        QUEUE_CONTACT_TIMEOUT_S=600,
        QUEUE_CONTROL_CLAIM_IDLE_S=1.5,
    )

    runner, budget, options = settings.runner, settings.budget, settings.redis_options
    assert (runner.owner, runner.callstatus_url) == ("queue-7", "https://queue.example/callstatus")
    assert runner.poll_interval_s == 0.25
    assert budget.launch_guard_s == 0.008  # the one guard, for the launch schedule
    assert runner.expect_voice_events is False
    assert (budget.account_rate, budget.lease_ttl_s, budget.contact_timeout_s) == (15, 12, 600)
    assert (options.control_min_idle_ms, options.contact_timeout_s) == (1500, 600)


def test_the_keys_group_holds_the_fields_of_redis_keys_by_their_names() -> None:
    fields = {field.name for field in dataclasses.fields(RedisKeys)} - {"prefix"}
    assert set(Settings.groups()["keys"].model_fields) == fields
    assert Settings.from_env().redis_keys == RedisKeys()
