"""`queue-service demo --twilio-sources`: its choices are the emulator's presets."""

from __future__ import annotations

import click

from queue_app.cli import demo
from queue_app.demo import DemoOptions
from twilio_emulator.config import SOURCE_PRESETS


def test_the_twilio_sources_choices_are_the_emulators_presets() -> None:
    [option] = [p for p in demo.params if p.name == "twilio_sources"]
    assert isinstance(option.type, click.Choice)
    assert set(option.type.choices) == set(SOURCE_PRESETS)
    assert option.default in SOURCE_PRESETS


def test_the_options_carry_the_sources_choice() -> None:
    options = DemoOptions.parse(10, 2, 5.0, "human=1,failed=1", 30.0, "fixed", "studio-only")
    assert options.twilio_sources == "studio-only"
    assert options.weights == {"human": 1.0, "failed": 1.0}
