"""`queue-service provision` finds or creates the Event Streams sink and subscription, says
what it found and did, and changes nothing the second time."""

from __future__ import annotations

import pytest

from queue_adapters.twilio.provisioning_report import CONTRACT_EVENT_TYPES
from tests.support.redis_server import RedisServerProcess
from tests.system.processes import run_cli

pytestmark = pytest.mark.slow


def test_provision_creates_once_then_finds_everything(
    serve_env: dict[str, str], redis_server: RedisServerProcess
) -> None:
    first = run_cli("provision", redis_url=redis_server.url, env=serve_env).stdout
    second = run_cli("provision", redis_url=redis_server.url, env=serve_env).stdout

    assert ": created" in first
    assert "com.twilio.studio.flow.execution.ended" in first
    assert "com.twilio.taskrouter.reservation.accepted" in first
    assert ": created" not in second  # neither the sink nor the subscription
    assert "added:" not in second
    assert "found among 1 sinks" in second
    assert second.count("already subscribed:") == len(CONTRACT_EVENT_TYPES) == 12
