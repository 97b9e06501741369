"""`queue-service serve` as a process, at its webhook edge: the URL an Event Streams signature
must cover (pinned to `QUEUE_PUBLIC_BASE_URL`; a trusted proxy's last values only with trust
on), and no call before the Event Streams sink exists, even when Twilio refuses it."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
import redis

from tests.support.metrics_text import metric_total
from tests.support.redis_server import RedisServerProcess, free_port
from tests.system.campaign import Campaign
from tests.system.processes import (
    EmulatorProcess,
    ServiceProcess,
    service_env,
    wait_for,
)
from twilio_emulator import sign_json_body
from twilio_emulator.config import DEFAULT_AUTH_TOKEN

pytestmark = pytest.mark.slow

BODY = b"[]"  # an empty batch: accepted when signed right, changes nothing


def post_signed_for(
    service: ServiceProcess, signed_for: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    """POST an empty batch signed as Twilio signs a delivery to `signed_for` (a sink
    destination), to the service's `/eventstreams`, with the query Twilio would send."""
    url, signature = sign_json_body(signed_for, BODY, DEFAULT_AUTH_TOKEN)
    query = url.split("?", 1)[1]
    sent = {"Content-Type": "application/json", "X-Twilio-Signature": signature, **(headers or {})}
    return httpx.post(f"{service.url}/eventstreams?{query}", content=BODY, headers=sent, timeout=5)


def test_signatures_are_checked_against_the_public_base_url_whatever_the_request_says(
    launch_service: Callable[..., ServiceProcess],
) -> None:
    service = launch_service()
    public = f"{service.url}/eventstreams"

    # Signed for another sink of the same account, sent with that sink's Host.
    other_sink = post_signed_for(
        service, "http://other-sink.example/eventstreams", {"Host": "other-sink.example"}
    )
    # Signed for an https URL of this host, which uvicorn would take from X-Forwarded-Proto
    # (it trusts 127.0.0.1 by default) although QUEUE_TRUST_PROXY is off: `serve` turns its
    # proxy handling off (tests/unit/app/test_edge_settings.py).
    https = post_signed_for(
        service, public.replace("http://", "https://"), {"X-Forwarded-Proto": "https"}
    )
    # Signed for the public base URL: accepted, whatever Host the request names.
    genuine = post_signed_for(service, public, {"Host": "other-sink.example"})

    assert (other_sink.status_code, https.status_code) == (403, 403)
    assert genuine.status_code == 200, genuine.text


def test_with_trust_on_only_the_last_valid_values_of_a_trusted_proxy_count(
    launch_service: Callable[..., ServiceProcess],
    serve_env: dict[str, str],
    redis_server: RedisServerProcess,
    emulator: EmulatorProcess,
) -> None:
    # The test's own connections come from 127.0.0.1: it plays the trusted proxy.
    proxied = launch_service(
        {**serve_env, "QUEUE_TRUST_PROXY": "true", "QUEUE_TRUSTED_PROXIES": "127.0.0.1"}
    )
    public = "https://queue.example.com/eventstreams"
    as_proxied = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "queue.example.com"}

    first_wins = post_signed_for(
        proxied,
        "https://attacker.example/eventstreams",
        {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "attacker.example, queue.example.com"},
    )
    path_injected = post_signed_for(
        proxied,
        "https://queue.example.com/prefix/eventstreams",
        {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "queue.example.com/prefix"},
    )
    through_the_proxy = post_signed_for(proxied, public, as_proxied)
    direct = post_signed_for(proxied, f"{proxied.url}/eventstreams")

    assert (first_wins.status_code, path_injected.status_code) == (403, 403)
    assert (through_the_proxy.status_code, direct.status_code) == (200, 200)

    # A peer that is not on the list: its headers count for nothing.
    env = service_env(
        redis_server.url,
        emulator.url,
        free_port(),
        QUEUE_TRUST_PROXY="true",
        QUEUE_TRUSTED_PROXIES="10.9.9.9",
    )
    untrusted = launch_service(env)
    assert post_signed_for(untrusted, public, as_proxied).status_code == 403
    assert post_signed_for(untrusted, f"{untrusted.url}/eventstreams").status_code == 200


def test_while_twilio_refuses_provisioning_nothing_is_launched_and_readyz_says_why(
    launch_service: Callable[..., ServiceProcess],
    serve_env: dict[str, str],
    emulator: EmulatorProcess,
    store: redis.Redis,
) -> None:
    campaign = Campaign(store, "ce-refused", 3)
    campaign.write({"mode": "fixed", "max_concurrent_calls": 3})
    campaign.start()
    # An API key the account does not know: Twilio answers every request 401.
    refused_env = {
        **serve_env,
        "TWILIO_API_KEY": "SK" + "0" * 32,
        "TWILIO_API_SECRET": "not-a-secret-of-this-account",
    }
    service = launch_service(refused_env, ready=False)

    # Refused, asked again (with a growing, jittered pause), and still refused.
    wait_for(lambda: emulator.stats()["answered_401"] >= 3, "three provisioning attempts", 20)
    ready = service.get("/readyz")
    metrics = service.admin_get("/metrics").text

    assert ready.status_code == 503
    [reason] = [r for r in ready.json()["reasons"] if r.startswith("event streams")]
    assert reason.startswith("event streams not provisioned: Event Streams refused a request:")
    assert "HTTP 401" in reason
    assert emulator.stats()["executions_created"] == 0
    assert metric_total(metrics, "dialer_queue_launches_total") == 0
    assert campaign.cached() == campaign.record_ids  # not one record claimed
    assert campaign.events() == []  # the `start` is not even read

    # Once Twilio takes the credentials, the campaign runs.
    service.stop()
    launch_service()
    campaign.wait_event("completed", timeout_s=30.0)
    assert campaign.disposed_once() == set(campaign.record_ids)
