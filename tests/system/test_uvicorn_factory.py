"""`uvicorn --factory queue_app.app:create_app` behaves as `queue-service serve` does: its
lifespan serves the admin listener, logs as `QUEUE_LOG_JSON` says, and drains on SIGTERM
(webhooks still answered, calls in flight finished) before it stops."""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path

import httpx
import pytest
import redis

from tests.support.redis_server import RedisServerProcess
from tests.system.campaign import Campaign
from tests.system.processes import EmulatorProcess, ServiceProcess, run_cli, wait_for

pytestmark = pytest.mark.slow


class UvicornFactoryProcess(ServiceProcess):
    """The app under uvicorn's own command line, as a deployment without `serve` runs it."""

    def start(self, *, ready: bool = True) -> UvicornFactoryProcess:
        argv = [sys.executable, "-m", "uvicorn", "--factory", "--no-proxy-headers"]
        argv += ["--host", "127.0.0.1", "--port", str(self.port)]
        self._spawn([*argv, "queue_app.app:create_app"], self.env)
        self._wait_http(f"{self.url}/readyz")
        return self


def _json_lines(log: Path) -> list[dict[str, object]]:
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    return [json.loads(line) for line in lines]  # every line is one JSON object


def test_uvicorn_factory_serves_the_admin_listener_logs_json_and_drains_on_sigterm(
    tmp_path: Path,
    serve_env: dict[str, str],
    emulator: EmulatorProcess,
    redis_server: RedisServerProcess,
    store: redis.Redis,
) -> None:
    log = tmp_path / "uvicorn.log"
    service = UvicornFactoryProcess(log, {**serve_env, "QUEUE_LOG_JSON": "true"})
    try:
        service.start()
        assert service.get("/metrics").status_code == 404
        assert service.admin_get("/metrics").status_code == 200
        assert service.admin_get("/ui/").status_code == 200
        campaign = Campaign(store, "ce-factory", 400)
        campaign.write({"mode": "fixed", "max_concurrent_calls": 10})
        run_cli("start", campaign.execution_id, redis_url=redis_server.url)
        wait_for(lambda: campaign.active() > 0, "calls in flight")

        service.signal(signal.SIGTERM)
        draining = wait_for(
            lambda: (r := service.get("/readyz")).status_code == 503 and r.json(), "the drain"
        )
        assert "draining for shutdown" in draining["reasons"]
        assert service.get("/healthz").status_code == 200  # webhooks still answered
        # uvicorn raises the signal again once it has stopped: its exit is the signal's.
        assert service.wait(timeout_s=30.0) in (0, -signal.SIGTERM)
    finally:
        service.stop()

    assert campaign.active() == 0, "calls in flight were not finished before the exit"
    assert store.llen(campaign.cache_key) + len(campaign.dispositions()) == 400
    records = _json_lines(log)
    messages = [str(r["message"]) for r in records]
    assert any(m.startswith("admin listener: http://127.0.0.1:") for m in messages)
    assert any(m.startswith("signal 15: draining") for m in messages)
    assert any(r["logger"].startswith("uvicorn") for r in records)  # type: ignore[union-attr]
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{service.admin_url}/metrics", timeout=2.0)
