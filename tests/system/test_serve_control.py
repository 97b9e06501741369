"""Pause, resume and stop a running campaign with the command line, `queue-service serve`
carrying them out: checked at the emulator (what was dialed, when) and on the contract's keys."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime

import jsonschema
import pytest
import redis

from queue_app.schemas import status_schema
from tests.support.redis_server import RedisServerProcess
from tests.system.campaign import Campaign, phone
from tests.system.processes import EmulatorProcess, ServiceProcess, run_cli, wait_for

pytestmark = pytest.mark.slow

CONTACTS = 200
# A launch the runner had already sent when the pause was stored may still reach the emulator
# just after the `paused` event: allow for it, and for nothing else.
IN_FLIGHT_SLACK_S = 1.0
# Ten poll intervals of the service: long enough for a paused runner to show it launches nothing.
PAUSE_HOLD_S = 1.0


def _created(emulator: EmulatorProcess) -> int:
    return int(emulator.stats()["executions_created"])


def test_pause_resume_and_stop_from_the_command_line(
    launch_service: Callable[..., ServiceProcess],
    emulator: EmulatorProcess,
    redis_server: RedisServerProcess,
    store: redis.Redis,
) -> None:
    launch_service()
    campaign = Campaign(store, "ce-system-control", CONTACTS)
    campaign.write({"mode": "fixed", "max_concurrent_calls": 30})
    execution = campaign.execution_id

    run_cli("start", execution, redis_url=redis_server.url)
    wait_for(lambda: _created(emulator) >= 40, "40 launches")

    run_cli("pause", execution, "--request-id", "p-1", redis_url=redis_server.url)
    paused = campaign.wait_event("paused")
    assert paused["request_id"] == "p-1"
    paused_at = datetime.fromisoformat(paused["at"]).timestamp()
    # In-flight contacts finish normally while paused (in fixed mode a runner that kept
    # launching would keep calls in flight), and then nothing more is launched.
    wait_for(
        lambda: campaign.active() == 0 and len(campaign.dispositions()) == _created(emulator),
        "the calls in flight at the pause to finish",
    )
    during_pause = _created(emulator)
    time.sleep(PAUSE_HOLD_S)
    assert _created(emulator) == during_pause
    resumed_from = time.time()
    run_cli("resume", execution, redis_url=redis_server.url)
    campaign.wait_event("resumed")
    created = emulator.stats()["executions"]
    while_paused = [
        e for e in created if paused_at + IN_FLIGHT_SLACK_S < e["created_wall"] < resumed_from
    ]
    assert while_paused == [], "executions created while paused"

    wait_for(lambda: _created(emulator) >= during_pause + 40, "40 launches after the resume")
    run_cli("stop", execution, redis_url=redis_server.url)
    stopped = campaign.wait_event("stopped")

    # Stopped only once every launched contact got its disposition.
    dialed = {e["to"] for e in emulator.stats()["executions"]}
    launched = {rid for n, rid in enumerate(campaign.record_ids) if phone(n) in dialed}
    assert len(dialed) == _created(emulator), "a number was dialed twice"
    assert campaign.disposed_once() == launched
    assert campaign.active() == 0
    assert (stopped["dispositions"], stopped["active"]) == (str(len(launched)), "0")
    # The unlaunched records are back in the cache, in their order.
    assert campaign.cached() == [rid for rid in campaign.record_ids if rid not in launched]
    assert 80 <= len(launched) < CONTACTS
    assert campaign.lifecycle() == ["started", "paused", "resumed", "stopped"]
    status = run_cli("status", execution, redis_url=redis_server.url).stdout
    row = next(line for line in status.splitlines() if execution in line)
    cells = [cell.strip() for cell in row.split("│")[2:8]]
    n = str(len(launched))
    assert cells == ["stopped", n, n, "0", "0", str(CONTACTS - len(launched))], status
    # The same, for scripts: one document, valid against the schema the package ships.
    document = json.loads(run_cli("status", execution, "--json", redis_url=redis_server.url).stdout)
    jsonschema.validate(document, status_schema())
    [stopped_status] = document["executions"]
    assert stopped_status["state"] == "stopped"
    assert stopped_status["launched"] == stopped_status["dispositions"] == len(launched)
    assert stopped_status["cache_remaining"] == CONTACTS - len(launched)


def test_stopped_echoes_the_stop_commands_request_id_and_reason(
    launch_service: Callable[..., ServiceProcess],
    redis_server: RedisServerProcess,
    store: redis.Redis,
) -> None:
    launch_service()
    campaign = Campaign(store, "ce-system-echo", 20)
    # Progressive with no agent stats: nothing is launched, so the stop is immediate.
    campaign.write({"mode": "progressive"})
    campaign.start()
    campaign.wait_event("started")

    run_cli(
        "stop", campaign.execution_id, "--request-id", "s-1", "--reason", "enough",
        redis_url=redis_server.url,
    )  # fmt: skip
    stopped = campaign.wait_event("stopped")

    assert (stopped.get("request_id"), stopped.get("reason")) == ("s-1", "enough")
