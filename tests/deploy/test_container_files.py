"""The Dockerfile and deploy/compose.yaml, read as files (no Docker engine runs in the tests):
the image runs the command line the system tests run, as a user without privileges, with a
health check on `/readyz`; the compose file's emulator options, service settings and demo
campaign are ones the programs accept and agree on."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import yaml

from queue_app.settings import Settings
from tests.system.processes import SERVE_ARGS, queue_service
from twilio_emulator.__main__ import parse_args

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "deploy" / "compose.yaml"
CAMPAIGN = ROOT / "deploy" / "demo" / "campaign.sh"


def _instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions (continuation lines joined, comments dropped)."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in text.splitlines()]
    pairs = [line.split(None, 1) for line in lines if line and not line.startswith("#")]
    return [(word.upper(), rest) for word, rest in pairs]


def _final_stage() -> list[tuple[str, str]]:
    instructions = _instructions()
    last_from = max(i for i, (word, _) in enumerate(instructions) if word == "FROM")
    return instructions[last_from:]


def _exec_form(stage: list[tuple[str, str]], word: str) -> list[str]:
    [value] = [rest for name, rest in stage if name == word]
    parsed = json.loads(value)
    assert isinstance(parsed, list), f"{word} in exec form"
    return [str(part) for part in parsed]


def _compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return document


def test_the_images_command_is_the_one_the_system_tests_run() -> None:
    stage = _final_stage()
    command = _exec_form(stage, "ENTRYPOINT") + _exec_form(stage, "CMD")

    assert command == [Path(queue_service()).name, *SERVE_ARGS]


def test_the_image_is_built_in_two_stages_and_runs_as_an_unprivileged_user() -> None:
    froms = [rest for word, rest in _instructions() if word == "FROM"]
    stage = _final_stage()
    [user] = [rest for word, rest in stage if word == "USER"]

    assert len(froms) >= 2
    assert any("--from=" in rest for word, rest in stage if word == "COPY")
    assert user not in {"root", "0"}
    assert [word for word, _ in stage].index("USER") > max(
        i for i, (word, _) in enumerate(stage) if word == "RUN"
    )


def test_the_images_health_check_asks_readyz_on_the_services_port() -> None:
    stage = _final_stage()
    [check] = [rest for word, rest in stage if word == "HEALTHCHECK"]
    env = dict(re.findall(r"(\w+)=(\S+)", " ".join(r for w, r in stage if w == "ENV")))

    assert "/readyz" in check
    assert "QUEUE_PORT" in check
    assert env["QUEUE_PORT"] == "8000"
    assert "EXPOSE" in [word for word, _ in stage]


def test_the_compose_emulator_options_are_ones_the_emulator_accepts() -> None:
    emulator = _compose()["services"]["emulator"]
    args, config = parse_args(emulator["command"])

    assert emulator["entrypoint"] == ["twilio-emulator"]
    assert (args.host, args.port) == ("0.0.0.0", 8765)  # inside its container
    assert config.callcentre.enabled
    assert config.callcentre.agents == 40
    assert config.callcentre.stats_redis_url == "redis://redis:6379/0"


def test_the_compose_service_settings_are_valid_and_reach_the_emulator_and_redis() -> None:
    services = _compose()["services"]
    queue = services["queue"]
    settings = Settings.from_env(**queue["environment"])
    _, config = parse_args(services["emulator"]["command"])

    assert "command" not in queue  # the image's: queue-service serve
    assert settings.twilio.base_url == "http://emulator:8765"
    assert settings.redis.url == "redis://redis:6379/0"
    assert settings.twilio.account_sid == config.account_sid
    assert settings.twilio.auth_token.get_secret_value() == config.auth_token
    assert queue["ports"] == [f"127.0.0.1:{settings.http.port}:{settings.http.port}"]


def test_the_demo_campaign_dials_for_the_emulators_task_queue_on_redis_stack() -> None:
    services = _compose()["services"]
    _, config = parse_args(services["emulator"]["command"])
    script = CAMPAIGN.read_text()

    assert services["redis"]["image"].startswith("redis/redis-stack-server:")
    assert "--maxmemory-policy noeviction" in services["redis"]["environment"]["REDIS_ARGS"]
    assert "--appendonly yes" in services["redis"]["environment"]["REDIS_ARGS"]
    assert services["campaign"]["depends_on"]["queue"]["condition"] == "service_healthy"
    assert f'task_queue_sid\\": \\"{config.callcentre.task_queue_sid}' in script
    assert shlex.split(services["campaign"]["entrypoint"][-1]) == ["/demo/campaign.sh"]
