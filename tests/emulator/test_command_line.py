"""`twilio-emulator`, the emulator's console script: a help text for every option, and a wrong
setting is a usage error that names it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from twilio_emulator.__main__ import parse_args, parser


def test_every_option_has_a_help_text() -> None:
    options = [a for a in parser()._actions if a.option_strings]

    assert [a.option_strings for a in options if not a.help] == []


def test_the_console_script_prints_its_help() -> None:
    script = Path(sys.executable).with_name("twilio-emulator")

    done = subprocess.run(
        [str(script), "--help"], capture_output=True, text=True, timeout=30, check=False
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: twilio-emulator")
    assert "--account-cps" in done.stdout
    assert "/_emulator/config" in " ".join(done.stdout.split())


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["--account-cps", "0"], "account_cps"),
        (["--settings", '{"no_such_setting": 1}'], "no_such_setting"),
        (["--settings", "[1]"], "--settings"),
        (["--api-key", "SKnosecret"], "--api-key"),
    ],
)
def test_a_wrong_setting_is_a_usage_error_naming_it(
    argv: list[str], named: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as ended:
        parse_args(argv)

    assert ended.value.code == 2
    assert named in capsys.readouterr().err
