"""The processes the hostile-input tests attack: a private `redis-server`, the emulator and
`queue-service serve`, started once per test module with known secrets, a small body limit, a
short body read timeout and DEBUG logs, and a few contacts left in flight (their calls
answered and never ending), so that a forged or replayed webhook would have something to
change.

Every HTTP answer the tests get goes through `HostileStack.send`, which keeps its body: the
secrets test looks for the secrets in all of them.
"""

from __future__ import annotations

import secrets
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import redis

from tests.reliability.signed_events import InFlight
from tests.support.redis_server import RedisServerProcess, free_port
from tests.system.campaign import Campaign
from tests.system.processes import EmulatorProcess, ServiceProcess, service_env, wait_for

__all__ = ["HostileStack", "hostile_stack", "store_snapshot"]

MAX_BODY_BYTES = 65_536
BODY_READ_TIMEOUT_S = 2.0
IN_FLIGHT = 4
EXECUTION = "ce-hostile"


class _SecretEmulator(EmulatorProcess):
    """The emulator on an account whose auth token is the test's; its calls are answered by a
    person after a short ring and never end."""

    def __init__(self, log_path: Path, auth_token: str) -> None:
        super().__init__(log_path)
        self.auth_token = auth_token

    def start(self) -> _SecretEmulator:
        settings = (
            '{"outcome_weights": {"human": 1}, "ring_s": [1, 1], "amd": false,'
            ' "talk_human_s": [1000000, 1000000]}'
        )
        self._spawn(
            [
                sys.executable, "-m", "twilio_emulator",
                "--port", str(self.port),
                "--auth-token", self.auth_token,
                "--account-cps", str(self.account_cps),
                "--time-scale", str(self.time_scale),
                "--seed", "11",
                "--settings", settings,
            ]
        )  # fmt: skip
        self._wait_http(f"{self.url}/_emulator/stats")
        return self


@dataclass
class HostileStack:
    store: redis.Redis
    emulator: EmulatorProcess
    service: ServiceProcess
    auth_token: str
    callstatus_secret: str
    contacts: list[InFlight]
    answers: list[str] = field(default_factory=list)

    def raw_store(self) -> redis.Redis:
        """A client of the same Redis that returns bytes: garbage need not be UTF-8."""
        kwargs = self.store.connection_pool.connection_kwargs
        return redis.Redis(host=kwargs["host"], port=kwargs["port"])

    @property
    def url(self) -> str:
        return self.service.url

    def send(self, method: str, path_or_url: str, **kwargs: Any) -> httpx.Response:
        """One request to the service (a path, or a full URL); its answer's body is kept."""
        url = path_or_url if "://" in path_or_url else f"{self.url}{path_or_url}"
        answer = httpx.request(method, url, timeout=10.0, **kwargs)
        self.answers.append(answer.text)
        return answer

    def keep(self, body: bytes | str) -> None:
        """Keep a body received another way (a raw socket)."""
        self.answers.append(body.decode(errors="replace") if isinstance(body, bytes) else body)


def _in_flight(emulator: EmulatorProcess) -> list[InFlight] | None:
    executions = emulator.stats()["executions"]
    answered = [e for e in executions if e["call_status"] == "in-progress"]
    if len(answered) < IN_FLIGHT:
        return None
    return [
        InFlight(e["sid"], e["flow_sid"], e["call_sid"], e["to"], e["from"])
        for e in sorted(answered, key=lambda e: str(e["to"]))
    ]


def _all_delivered(emulator: EmulatorProcess) -> bool:
    counters: dict[str, int] = emulator.stats()["counters"]
    emitted = sum(n for name, n in counters.items() if name.startswith("emitted:"))
    return emitted > 0 and counters.get("events_delivered", 0) >= emitted


def hostile_stack(logs: Path) -> Iterator[HostileStack]:
    """Start everything (logs under `logs`), yield the stack, stop everything."""
    auth_token = "tok-" + secrets.token_hex(16)
    callstatus_secret = "cs-" + secrets.token_hex(16)
    with RedisServerProcess() as redis_server:
        emulator = _SecretEmulator(logs / "emulator.log", auth_token)
        port = free_port()
        env = service_env(
            redis_server.url,
            emulator.url,
            port,
            TWILIO_AUTH_TOKEN=auth_token,
            QUEUE_CALLSTATUS_SECRET=callstatus_secret,
            QUEUE_MAX_BODY_BYTES=str(MAX_BODY_BYTES),
            QUEUE_BODY_READ_TIMEOUT_S=str(BODY_READ_TIMEOUT_S),
            QUEUE_LOG_LEVEL="DEBUG",
        )
        service = ServiceProcess(logs / "service.log", env)
        store = redis_server.client()
        try:
            emulator.start()
            service.start()
            campaign = Campaign(store, EXECUTION, IN_FLIGHT)
            campaign.write({"mode": "fixed", "max_concurrent_calls": IN_FLIGHT})
            campaign.start()
            contacts = wait_for(lambda: _in_flight(emulator), "the contacts' calls answered")
            # Let the emulator's own events of those calls land, and the runner see its cache
            # empty, before the tests look: from then on nothing changes by itself.
            wait_for(lambda: _all_delivered(emulator), "the emulator's events delivered")
            wait_for(
                lambda: store.hget(f"queue:state:{{{EXECUTION}}}", "state") == "draining",
                "the execution draining (every record launched)",
            )
            yield HostileStack(store, emulator, service, auth_token, callstatus_secret, contacts)
        finally:
            service.stop()
            emulator.stop()
            store.close()


def store_snapshot(store: redis.Redis) -> dict[str, Any]:
    """Every key's type and value (TTLs left out): equal snapshots, unchanged store. The
    account's launch window is left out: it changes with launches only, and expires a second
    after the last one."""
    found: dict[str, Any] = {}
    for key in store.scan_iter(count=1000):
        if key.endswith("{launch_limiter}"):
            continue
        kind = store.type(key)
        value: Any
        if kind == "string":
            value = store.get(key)
        elif kind == "hash":
            value = store.hgetall(key)
        elif kind == "set":
            value = sorted(store.smembers(key))
        elif kind == "zset":
            value = store.zrange(key, 0, -1, withscores=True)
        elif kind == "list":
            value = store.lrange(key, 0, -1)
        elif kind == "stream":
            value = store.xrange(key)
        else:
            value = kind
        found[key] = (kind, value)
    return found
