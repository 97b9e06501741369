"""Settings: checked on start and on change, and the command line that runs the emulator."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import httpx
import pytest

from tests.support.redis_server import free_port
from twilio_emulator import EmulatorConfig, EmulatorHandle
from twilio_emulator.__main__ import parse_args
from twilio_emulator.config import updated_config


@pytest.mark.parametrize(
    "changes",
    [
        {"no_such_setting": 1},
        {"account_sid": "AC" + "1" * 32},
        {"account_cps": 0},
        {"account_cps": "fast"},
        {"voice_events": "yes"},
        {"voice_events": False, "voice_events_on": "all"},
        {"voice_events_on": "failed"},
        {"sources": "everything"},
        {"callstatus_call_sid": "missing"},
        {"callstatus_duplicate_probability": 2},
        {"voice_delay_s": -1},
        {"cps_mode": "drop"},
        {"ring_s": [5, 1]},
        {"outcome_weights": {"voicemail": 1.0}},
        {"duplicate_probability": 1.5},
    ],
)
def test_bad_settings_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"\w"):
        updated_config(EmulatorConfig(), changes)


def test_json_values_take_the_settings_types() -> None:
    config = updated_config(
        EmulatorConfig(), {"account_cps": 3, "ring_s": [1, 2], "retry_after_s": 1}
    )
    assert config.account_cps == 3.0
    assert config.ring_s == (1.0, 2.0)
    assert config.retry_after_s == 1.0
    assert config.cps_window == (3, 1.0)
    assert updated_config(config, {"account_cps": 0.5}).cps_window == (1, 2.0)


async def test_settings_change_at_run_time_over_http(
    client: httpx.AsyncClient, emulator: EmulatorHandle
) -> None:
    refused = await client.post("/_emulator/config", content=json.dumps({"bogus": 1}))
    assert refused.status_code == 400
    assert "bogus" in refused.json()["error"]
    changed = await client.post(
        "/_emulator/config", content=json.dumps({"account_cps": 7, "fail_next": 2})
    )
    assert changed.json()["config"]["account_cps"] == 7.0
    assert changed.json()["faults"]["fail_next"] == 2
    assert emulator.config.account_cps == 7.0
    assert "auth_token" not in changed.json()["config"]
    reset = await client.post("/_emulator/reset", content=b"{}")
    assert reset.status_code == 204
    assert emulator.state.faults.fail_next == 0


def test_command_line_options_become_settings() -> None:
    args, config = parse_args(
        [
            "--port",
            "9000",
            "--account-cps",
            "5",
            "--cps-mode",
            "queue",
            "--voice-events",
            "false",
            "--api-key",
            "SK" + "2" * 32 + ":secret",
            "--settings",
            '{"ring_s": [1, 2], "seed": 7}',
        ]
    )
    assert args.port == 9000
    assert (config.account_cps, config.cps_mode, config.voice_events_on) == (5.0, "queue", "none")
    assert config.api_keys == {"SK" + "2" * 32: "secret"}
    assert config.ring_s == (1.0, 2.0)
    assert config.seed == 7


def test_a_sources_preset_is_applied_before_the_other_settings() -> None:
    _, config = parse_args(["--sources", "studio-only", "--callstatus-call-sid", "empty"])
    assert (config.voice_events_on, config.callstatus_call_sid) == ("none", "empty")
    _, config = parse_args(["--voice-events-on", "answered", "--sources", "all-voice"])
    assert config.voice_events_on == "answered"
    description = updated_config(EmulatorConfig(voice_events_on="all"), {"sources": "description"})
    assert (description.voice_events_on, description.callstatus_on) == ("not_failed", "all")
    assert updated_config(description, {"voice_events": True}).voice_events_on == "all"


def test_python_m_twilio_emulator_serves() -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "twilio_emulator", "--port", str(port), "--account-cps", "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        with httpx.Client() as http:
            for _ in range(200):
                try:
                    answer = http.get(f"http://127.0.0.1:{port}/_emulator/config")
                    break
                except httpx.TransportError:
                    time.sleep(0.05)
            else:
                pytest.fail("the emulator did not start")
        assert answer.json()["config"]["account_cps"] == 3.0
    finally:
        process.terminate()
        out, _ = process.communicate(timeout=10)
    assert f"http://127.0.0.1:{port}" in out.decode()
