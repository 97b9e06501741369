"""The secrets of `queue-service serve` (its Twilio auth token, its callstatus secret) never
appear in its logs or in any answer: served with known secrets and DEBUG logs, the service is
driven through every kind of error (refused and invalid webhooks, Twilio failing launches with
5xx and 429, a bad setting at start-up), then its output and every answer are searched.
"""

from __future__ import annotations

import base64
import json
import subprocess
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.reliability.forgeries import forged_callstatus, forged_deliveries
from tests.reliability.hostile_stack import HostileStack, hostile_stack
from tests.reliability.signed_events import signed_batch
from tests.support.metrics_text import metric_total
from tests.system.campaign import phone
from tests.system.processes import queue_service, service_env, wait_for
from twilio_emulator import DEFAULT_ACCOUNT_SID

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileStack]:
    yield from hostile_stack(tmp_path_factory.mktemp("secrets"))


def _secrets_in(text: str, stack: HostileStack) -> list[str]:
    basic = base64.b64encode(f"{DEFAULT_ACCOUNT_SID}:{stack.auth_token}".encode()).decode()
    found = [s for s in (stack.auth_token, stack.callstatus_secret, basic) if s in text]
    return [f"...{s[-6:]}" for s in found]


def test_secrets_never_appear_in_logs_or_answers(
    stack: HostileStack, figures: dict[str, Any]
) -> None:
    # Errors of every kind: refused and invalid webhooks, Twilio failing launches, a bad setting.
    for request in forged_deliveries(stack, stack.contacts[0]).values():
        url = request.pop("url")
        stack.send("POST", url, **request)
    for request in forged_callstatus(stack, stack.contacts[0]).values():
        stack.send("POST", "/callstatus", **request)
    for body in (b"{", b"[1]", b'[{"specversion": "1.0"}]', b"\xff"):
        url, _, headers = signed_batch(f"{stack.url}/eventstreams", [], stack.auth_token)
        stack.send("POST", url, content=body, headers=headers)
        stack.send("POST", "/callstatus", content=body, headers={"Content-Type": "text/plain"})
    _launch_through_failures(stack)
    for path in ("/readyz", "/healthz", "/openapi.json"):
        stack.send("GET", path)
    stack.send("GET", f"{stack.service.admin_url}/metrics")
    bad_settings = _serve_with_a_bad_setting(stack)

    log = stack.service.log_path.read_text(errors="replace")
    assert log.count("\n") > 10
    assert _secrets_in(log, stack) == []
    assert _secrets_in(bad_settings, stack) == []
    leaks = [answer for answer in stack.answers if _secrets_in(answer, stack)]
    assert leaks == []
    figures.update(
        {
            "answers_searched": len(stack.answers),
            "log_lines_searched": log.count("\n"),
            "log_warnings_and_errors": log.count(" WARNING ") + log.count(" ERROR "),
        }
    )


def _launch_through_failures(stack: HostileStack) -> None:
    """A campaign whose launches meet 5xx answers and a 429 storm, so the service logs them."""
    emulator = stack.emulator.url
    httpx.post(f"{emulator}/_emulator/config", json={"error_5xx_probability": 1.0}, timeout=5)
    campaign = "ce-hostile-secrets"
    stack.store.set(
        f"campaign_execution:{campaign}",
        json.dumps(
            {
                "campaign_execution_id": campaign,
                "studio_flow_sid": stack.contacts[0].flow_sid,
                "from_number": "+15005550006",
                "task_queue_sid": "WQ" + "5a" * 16,
                "pacing": {"mode": "fixed", "max_concurrent_calls": 2},
            }
        ),
    )
    stack.store.rpush(
        f"campaign_cache:{{{campaign}}}",
        *[json.dumps({"record_id": f"s-{n}", "phone_number": phone(50 + n)}) for n in range(2)],
    )
    stack.store.xadd("queue_control_stream", {"action": "start", "campaign_execution_id": campaign})

    def failures() -> bool:
        text = stack.service.admin_get("/metrics").text
        return metric_total(text, "dialer_queue_launches_total", outcome="ambiguous") >= 2

    wait_for(failures, "launches answered 5xx")  # the service met Twilio's errors
    httpx.post(
        f"{emulator}/_emulator/config",
        json={"error_5xx_probability": 0.0, "force_429_for_s": 1.0},
        timeout=5,
    )
    wait_for(lambda: stack.store.scard(f"active_calls:{{{campaign}}}") == 2, "the launches")


def _serve_with_a_bad_setting(stack: HostileStack) -> str:
    env = service_env(
        "redis://127.0.0.1:1/0",
        "http://127.0.0.1:1",
        1,
        TWILIO_AUTH_TOKEN=stack.auth_token,
        QUEUE_CALLSTATUS_SECRET=stack.callstatus_secret,
        QUEUE_PORT="not-a-port",
        QUEUE_LOG_LEVEL="DEBUG",
    )
    done = subprocess.run(
        [queue_service(), "serve"], env=env, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 2, done.stderr
    return done.stdout + done.stderr
