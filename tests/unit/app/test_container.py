"""The packaged composition holds every create of the process to one send window."""

from __future__ import annotations

import pytest

from queue_app.container import Container
from queue_app.instrumented import CountingLauncher
from queue_app.settings import Settings
from queue_core.domain.budget import SendWindow
from queue_core.services.send_window import WindowedLauncher


def settings(**overrides: object) -> Settings:
    return Settings.model_validate(
        {"TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": "x" * 32, **overrides}
    )


def test_the_send_window_is_the_account_rate_and_half_the_launch_guard() -> None:
    container = Container(
        settings=settings(QUEUE_ACCOUNT_CPS=30, QUEUE_CPS_SHARE=0.5, QUEUE_LAUNCH_GUARD_MS=40)
    )
    window = container.send_window()
    assert isinstance(window, SendWindow)
    assert window.cap == 15  # floor(0.5 x 30), under Studio's 20/s
    window.sent(0.0)
    for _ in range(14):
        window.sent(0.5)
    assert window.delay(0.5) == pytest.approx(1.0 + 0.020 - 0.5)
    assert container.send_window() is window  # one per process


def test_the_studio_cap_bounds_the_send_window() -> None:
    container = Container(settings=settings(QUEUE_ACCOUNT_CPS=100, QUEUE_CPS_SHARE=1))
    assert container.send_window().cap == 20


def test_the_launcher_counts_what_the_window_lets_through() -> None:
    container = Container(settings=settings())
    provider = container.launcher
    assert provider.cls is CountingLauncher
    inner = provider.args[0]
    assert inner.cls is WindowedLauncher
    assert inner.args[2] is container.send_window


def test_cross_slot_scripts_follow_their_setting() -> None:
    assert Container(settings=settings()).options().cross_slot_scripts is True
    off = Container(settings=settings(QUEUE_REDIS_CROSS_SLOT_SCRIPTS="false"))
    assert off.options().cross_slot_scripts is False
