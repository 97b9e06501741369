"""`queue-service serve` as a process: its HTTP surface, its start-up provisioning (before any
launch), and its refusal of bad settings."""

from __future__ import annotations

import subprocess
from collections.abc import Callable

import httpx
import pytest
import redis

from tests.support.redis_server import free_port
from tests.system.campaign import Campaign
from tests.system.processes import (
    EmulatorProcess,
    ServiceProcess,
    queue_service,
    service_env,
    wait_for,
)
from twilio_emulator.config import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN

pytestmark = pytest.mark.slow


def test_serve_answers_health_readiness_metrics_and_openapi(
    launch_service: Callable[..., ServiceProcess],
) -> None:
    service = launch_service()

    assert service.get("/healthz").status_code == 200
    ready = service.get("/readyz")
    assert (ready.status_code, ready.json()["status"]) == (200, "ready")
    metrics = service.admin_get("/metrics")  # the admin listener's, on QUEUE_ADMIN_PORT
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    assert "# TYPE dialer_queue_launches_total counter" in metrics.text
    assert "# TYPE dialer_queue_dispositions_total counter" in metrics.text
    # Signatures are checked by default: an unsigned Event Streams batch is refused.
    unsigned = httpx.post(f"{service.url}/eventstreams", json=[], timeout=5.0)
    assert unsigned.status_code == 403
    document = service.get("/openapi.json").json()
    assert document["openapi"].startswith("3.")
    assert {"/eventstreams", "/callstatus", "/healthz", "/readyz"} <= set(document["paths"])
    assert "/metrics" not in document["paths"]  # not on this port


def test_twilio_routes_are_public_only_and_admin_routes_admin_only(
    launch_service: Callable[..., ServiceProcess],
) -> None:
    service = launch_service()

    for path in ("/eventstreams", "/callstatus"):
        assert httpx.post(f"{service.admin_url}{path}", json=[], timeout=5.0).status_code == 404
        assert httpx.post(f"{service.url}{path}", json=[], timeout=5.0).status_code != 404
    for path in ("/metrics", "/ui/", "/ui/live.js", "/ui/executions/ce-1"):
        assert service.get(path).status_code == 404, path
        assert service.admin_get(path).status_code == 200, path
    control = httpx.post(
        f"{service.url}/ui/api/executions/ce-1/pause",
        json={},
        headers={"X-Queue-UI": "1", "X-Queue-Admin-Token": "t"},
        timeout=5.0,
    )
    assert control.status_code == 404
    assert service.admin_get("/readyz").status_code == 404  # health stays public


def test_serve_provisions_the_event_streams_sink_at_start_up(
    launch_service: Callable[..., ServiceProcess], emulator: EmulatorProcess
) -> None:
    service = launch_service()
    destination = f"{service.url}/eventstreams"
    auth = (DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN)

    def sink_sid() -> str | None:
        sinks = httpx.get(f"{emulator.url}/v1/Sinks", auth=auth, timeout=5.0).json()["sinks"]
        return next(
            (s["sid"] for s in sinks if s["sink_configuration"]["destination"] == destination),
            None,
        )

    sid = wait_for(sink_sid, "the service's Event Streams sink at the emulator", 15.0, 0.1)
    subscriptions = httpx.get(
        f"{emulator.url}/v1/Subscriptions", params={"SinkSid": sid}, auth=auth, timeout=5.0
    ).json()["subscriptions"]
    assert len(subscriptions) == 1


def test_serve_places_no_call_before_its_event_streams_sink_exists(
    launch_service: Callable[..., ServiceProcess],
    emulator: EmulatorProcess,
    store: redis.Redis,
) -> None:
    # Twilio drops the events of a call placed before a sink subscribed to them exists. The
    # `start` waits on the stream before the service starts, and Twilio fails its first two
    # requests: the service provisions (retrying), and only then launches.
    emulator.configure(fault_scope="all", fail_next=2)
    campaign = Campaign(store, "ce-provision-first", 5)
    campaign.write({"mode": "fixed", "max_concurrent_calls": 5})
    campaign.start()

    launch_service()
    campaign.wait_event("completed", timeout_s=30.0)

    stats = emulator.stats()
    assert stats["answered_5xx"] == 2
    assert len(stats["executions"]) == 5
    assert stats["counters"].get("events_unrouted", 0) == 0
    assert campaign.disposed_once() == set(campaign.record_ids)


@pytest.mark.parametrize(
    ("variable", "value"),
    [("QUEUE_CPS_SHARE", "2"), ("QUEUE_PORT", "not-a-port"), ("QUEUE_PUBLIC_BASE_URL", "")],
)
def test_serve_exits_2_naming_a_bad_setting(variable: str, value: str) -> None:
    env = service_env("redis://127.0.0.1:1/0", "http://127.0.0.1:1", free_port())
    env[variable] = value

    done = subprocess.run(
        [queue_service(), "serve"], env=env, capture_output=True, text=True, timeout=30
    )

    assert done.returncode == 2, done.stderr
    assert variable in done.stderr


def test_serve_exits_2_when_the_admin_port_is_the_public_one() -> None:
    port = free_port()
    env = service_env("redis://127.0.0.1:1/0", "http://127.0.0.1:1", port)
    env["QUEUE_ADMIN_PORT"] = str(port)

    done = subprocess.run(
        [queue_service(), "serve"], env=env, capture_output=True, text=True, timeout=30
    )

    assert done.returncode == 2, done.stderr
    assert "QUEUE_ADMIN_PORT: must differ from QUEUE_PORT" in done.stderr
