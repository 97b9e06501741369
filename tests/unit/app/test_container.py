"""The packaged composition decides every launch of the process with one launch schedule."""

from __future__ import annotations

import pytest

from queue_adapters.redis import RedisDoNotCallLists, RedisWaitingRecords
from queue_adapters.twilio.launcher import StudioCallLauncher
from queue_app.container import Container
from queue_app.instrumented import CountingLauncher
from queue_app.settings import Settings
from queue_core.domain.launch_schedule import LaunchSchedule


def settings(**overrides: object) -> Settings:
    return Settings.model_validate(
        {"TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": "x" * 32, **overrides}
    )


def test_the_schedule_is_the_account_rate_with_the_launch_guard() -> None:
    container = Container(
        settings=settings(QUEUE_ACCOUNT_CPS=30, QUEUE_CPS_SHARE=0.5, QUEUE_LAUNCH_GUARD_MS=200)
    )
    schedule = container.launch_schedule()
    assert isinstance(schedule, LaunchSchedule)
    assert schedule.guard_s == pytest.approx(0.200)
    assert schedule.send_cap == 15  # floor(0.5 x 30), under Studio's 20/s
    schedule.let_go(0.0)
    for _ in range(14):
        schedule.let_go(0.5)
    # The sends are held to one second and half the guard.
    assert schedule.send_delay(0.5) == pytest.approx(1.0 + 0.100 - 0.5)
    # The account's slots keep the whole guard; a slot or an ask half of it late is on time
    # (more than half a spacing at 15/s, and than 20 ms).
    terms = schedule.slot_terms()
    assert terms.window_s == pytest.approx(15 / 15 + 0.200)
    assert terms.late_s == pytest.approx(0.100)
    assert schedule.slot_in_time(1.0, 1.0999)
    assert not schedule.slot_in_time(1.0, 1.101)
    assert container.launch_schedule() is schedule  # one per process
    assert container.supervisor.kwargs["schedule"] is container.launch_schedule


def test_the_studio_cap_bounds_the_schedule() -> None:
    container = Container(settings=settings(QUEUE_ACCOUNT_CPS=100, QUEUE_CPS_SHARE=1))
    assert container.launch_schedule().send_cap == 20


def test_the_launcher_counts_what_studio_answers_and_takes_its_send_turn() -> None:
    container = Container(settings=settings())
    provider = container.launcher
    assert provider.cls is CountingLauncher
    inner = provider.args[0]
    assert inner.cls is StudioCallLauncher


def test_cross_slot_scripts_follow_their_setting() -> None:
    assert Container(settings=settings()).options().cross_slot_scripts is True
    off = Container(settings=settings(QUEUE_REDIS_CROSS_SLOT_SCRIPTS="false"))
    assert off.options().cross_slot_scripts is False


def test_the_dialing_rules_storage_shares_the_redis_client_keys_and_options() -> None:
    container = Container(settings=settings(QUEUE_REDIS_CROSS_SLOT_SCRIPTS="false"))
    waiting, dnc = container.waiting, container.dnc
    assert waiting.cls is RedisWaitingRecords
    assert waiting.args[0] is container.redis
    assert waiting.kwargs["keys"] is container.keys
    assert waiting.kwargs["options"] is container.options
    assert dnc.cls is RedisDoNotCallLists
    assert dnc.args[0] is container.redis
