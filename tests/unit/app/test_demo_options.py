"""`queue-service demo`'s options: every wrong one is a usage error (exit 2) that names it,
before anything starts; the sources choices are the emulator's presets."""

from __future__ import annotations

from typing import Any

import click
import pytest
from click.testing import CliRunner

from queue_app import demo as demo_module
from queue_app.cli import main
from queue_app.demo import DemoOptions, parse_outcomes
from twilio_emulator.config import OUTCOMES, SOURCE_PRESETS

demo = main.commands["demo"]


def test_the_twilio_sources_choices_are_the_emulators_presets() -> None:
    [option] = [p for p in demo.params if p.name == "twilio_sources"]
    assert isinstance(option.type, click.Choice)
    assert set(option.type.choices) == set(SOURCE_PRESETS)
    assert option.default in SOURCE_PRESETS


def test_the_options_carry_the_sources_choice() -> None:
    options = DemoOptions.parse(10, 2, 5.0, "human=1,failed=1", 30.0, "fixed", "studio-only")
    assert options.twilio_sources == "studio-only"
    assert options.weights == {"human": 1.0, "failed": 1.0}


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--contacts", "0"], "--contacts"),
        (["--contacts", "-5"], "--contacts"),
        (["--contacts", "many"], "--contacts"),
        (["--cps", "0"], "--cps"),
        (["--cps", "-1"], "--cps"),
        (["--cps", "nan"], "--cps"),
        (["--outcomes", "foo"], "--outcomes"),
        (["--outcomes", "bogus=1"], "--outcomes"),
        (["--outcomes", "human=0"], "--outcomes"),
        (["--outcomes", "human=-1,busy=2"], "--outcomes"),
        (["--outcomes", "human=x"], "--outcomes"),
        (["--outcomes", "human=1,human=2"], "--outcomes"),
        (["--outcomes", ""], "--outcomes"),
        (["--time-scale", "0"], "--time-scale"),
        (["--agents", "-1"], "--agents"),
        (["--agents", "0"], "--agents"),
        (["--agents", "0", "--mode", "predictive"], "--agents"),
        (["--mode", "turbo"], "--mode"),
    ],
)
def test_a_wrong_option_is_a_usage_error_naming_it(args: list[str], option: str) -> None:
    done = CliRunner().invoke(main, ["demo", *args])

    assert done.exit_code == 2, done.output
    assert isinstance(done.exception, SystemExit)  # click's usage error, not a traceback
    assert "Traceback" not in done.output
    assert f"Invalid value for '{option}'" in done.stderr


def test_no_agents_says_why_nothing_would_launch() -> None:
    done = CliRunner().invoke(main, ["demo", "--agents", "0"])

    assert "launch nothing" in done.stderr
    assert "--mode fixed" in done.stderr


def test_no_agents_is_accepted_with_fixed_pacing(monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[DemoOptions] = []

    async def run_demo(options: DemoOptions, console: Any) -> int:
        ran.append(options)
        return 0

    monkeypatch.setattr(demo_module, "run_demo", run_demo)

    done = CliRunner().invoke(
        main, ["demo", "--agents", "0", "--mode", "fixed", "--outcomes", "human=1,busy=1"]
    )

    assert done.exit_code == 0, done.output
    assert [(o.agents, o.mode, o.weights) for o in ran] == [
        (0, "fixed", {"human": 1.0, "busy": 1.0})
    ]


def test_outcomes_are_the_emulators_and_left_out_ones_get_no_calls() -> None:
    assert set(parse_outcomes("human=55,machine=15,busy=10,no-answer=12,failed=5,canceled=3")) == (
        set(OUTCOMES)
    )
    assert parse_outcomes(" human = 2 , , busy=0 ") == {"human": 2.0, "busy": 0.0}


def test_the_agents_help_says_what_the_agents_do() -> None:
    [option] = [p for p in demo.params if p.name == "agents"]
    assert isinstance(option, click.Option)

    assert option.help is not None
    assert "take the calls a person answers" in option.help
    assert "--mode fixed" in option.help
