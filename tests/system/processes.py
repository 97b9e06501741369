"""The processes a system test runs: the Twilio emulator and `queue-service serve`, each a real
subprocess on a free loopback port, with its output in a log file the test prints on failure.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import httpx

from tests.support.redis_server import free_port
from twilio_emulator.config import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN

__all__ = [
    "SERVE_ARGS",
    "EmulatorProcess",
    "ServiceProcess",
    "log_tail",
    "queue_service",
    "run_cli",
    "service_env",
    "wait_for",
]

T = TypeVar("T")

_START_TIMEOUT_S = 30.0
_STOP_TIMEOUT_S = 10.0


def wait_for(
    probe: Callable[[], T | None], what: str, timeout_s: float = 30.0, every_s: float = 0.05
) -> T:
    """Call `probe` until it answers something truthy; return it, or fail naming `what`."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f}s waiting for {what}")
        time.sleep(every_s)


def log_tail(path: Path, lines: int = 60) -> str:
    if not path.exists():
        return f"({path.name}: no output)"
    text = path.read_text(errors="replace").splitlines()
    return "\n".join(text[-lines:])


# The arguments of `queue-service` that run the service, as the image's command runs it
# (tests/deploy/test_container_files.py).
SERVE_ARGS = ("serve",)


def queue_service() -> str:
    """The installed `queue-service` console script, beside this interpreter."""
    script = Path(sys.executable).with_name("queue-service")
    if not script.exists():
        raise RuntimeError(f"{script} is missing: install the package (pip install -e .)")
    return str(script)


def _clean_environ() -> dict[str, str]:
    # The runner's own QUEUE_*/TWILIO_* variables must not leak into the service under test.
    return {k: v for k, v in os.environ.items() if not k.startswith(("QUEUE_", "TWILIO_"))}


def service_env(redis_url: str, emulator_url: str, port: int, **settings: str) -> dict[str, str]:
    """The environment of `queue-service serve` against the emulator's default account, its
    admin listener on a free port of its own. The emulator's call centre is off unless a test
    turns it on, so its flow sends no TaskRouter event and the service is told not to expect
    any, as an operator would be (ADR 0025); a test that turns the call centre on, or posts its
    own task events, sets `QUEUE_EXPECT_TASK_EVENTS=true`."""
    env = _clean_environ()
    env.update(
        QUEUE_REDIS_URL=redis_url,
        TWILIO_ACCOUNT_SID=DEFAULT_ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=DEFAULT_AUTH_TOKEN,
        QUEUE_TWILIO_BASE_URL=emulator_url,
        QUEUE_PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        QUEUE_HOST="127.0.0.1",
        QUEUE_PORT=str(port),
        QUEUE_ADMIN_PORT=str(free_port()),
        QUEUE_ACCOUNT_CPS="20",
        QUEUE_POLL_INTERVAL_S="0.1",
        QUEUE_SHUTDOWN_GRACE_S="20",
        QUEUE_CONTACT_TIMEOUT_S="120",
        QUEUE_INSTANCE_ID="system-test",
        QUEUE_EXPECT_TASK_EVENTS="false",
    )
    env.update(settings)
    return env


def run_cli(
    *args: str, redis_url: str, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`queue-service ARGS` as a subprocess with `QUEUE_REDIS_URL` set; fails on a non-zero exit."""
    full_env = {**_clean_environ(), "QUEUE_REDIS_URL": redis_url, **(env or {})}
    done = subprocess.run(
        [queue_service(), *args],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, f"queue-service {' '.join(args)}: {done.stderr}"
    return done


class _Process:
    """A subprocess whose stdout and stderr go to one log file (appended across restarts)."""

    def __init__(self, name: str, log_path: Path) -> None:
        self.name = name
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def _spawn(self, args: list[str], env: Mapping[str, str] | None = None) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                args, env=dict(env) if env is not None else None, stdout=log, stderr=log
            )

    def _exited(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def _wait_http(self, url: str) -> None:
        def answered() -> bool:
            if self._exited() is not None:
                raise AssertionError(
                    f"{self.name} exited with {self._exited()}:\n{log_tail(self.log_path)}"
                )
            try:
                return httpx.get(url, timeout=1.0).status_code == 200
            except httpx.TransportError:
                return False

        wait_for(answered, f"{self.name} to answer 200 at {url}", _START_TIMEOUT_S)

    def signal(self, sig: signal.Signals) -> None:
        if self.process is None or self.process.poll() is not None:
            raise AssertionError(f"{self.name} is not running")
        self.process.send_signal(sig)

    def wait(self, timeout_s: float) -> int:
        assert self.process is not None
        return self.process.wait(timeout=timeout_s)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL when it does not exit in time; safe to call twice."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=_STOP_TIMEOUT_S)


class EmulatorProcess(_Process):
    """`python -m twilio_emulator` with fast calls and a CPS the service must respect."""

    def __init__(
        self, log_path: Path, *, account_cps: float = 20, time_scale: float = 0.02
    ) -> None:
        super().__init__("the Twilio emulator", log_path)
        self.port = free_port()
        self.account_cps = account_cps
        self.time_scale = time_scale

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> EmulatorProcess:
        self._spawn(
            [
                sys.executable, "-m", "twilio_emulator",
                "--port", str(self.port),
                "--account-cps", str(self.account_cps),
                "--time-scale", str(self.time_scale),
                "--seed", "7",
            ]
        )  # fmt: skip
        self._wait_http(f"{self.url}/_emulator/stats")
        return self

    def stats(self) -> dict[str, Any]:
        answer = httpx.get(f"{self.url}/_emulator/stats", timeout=5.0)
        answer.raise_for_status()
        stats: dict[str, Any] = answer.json()
        return stats

    def configure(self, **settings: Any) -> None:
        """Change emulator settings while it runs (`POST /_emulator/config`)."""
        answer = httpx.post(f"{self.url}/_emulator/config", json=settings, timeout=5.0)
        assert answer.status_code == 200, answer.text


class ServiceProcess(_Process):
    """`queue-service serve` with the given environment."""

    def __init__(self, log_path: Path, env: Mapping[str, str]) -> None:
        super().__init__("queue-service serve", log_path)
        self.env = dict(env)
        self.port = int(self.env["QUEUE_PORT"])
        self.admin_port = int(self.env["QUEUE_ADMIN_PORT"])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def admin_url(self) -> str:
        """The admin listener: `/metrics`, the live page `/ui/` and its control actions."""
        return f"http://127.0.0.1:{self.admin_port}"

    def start(self, *, ready: bool = True) -> ServiceProcess:
        """Start and wait until `/readyz` answers 200 (with `ready=False`: `/healthz`)."""
        self._spawn([queue_service(), *SERVE_ARGS], self.env)
        self._wait_http(f"{self.url}/readyz" if ready else f"{self.url}/healthz")
        return self

    def get(self, path: str) -> httpx.Response:
        return httpx.get(f"{self.url}{path}", timeout=5.0)

    def admin_get(self, path: str) -> httpx.Response:
        return httpx.get(f"{self.admin_url}{path}", timeout=5.0)
