"""The processes a benchmark runs: the Twilio emulator, the service, Redis, a load generator.

Each is a real subprocess on a loopback port, its output in a log file of the run's work
directory, stopped by its owner (SIGTERM, then SIGKILL). Never the shared Redis on 6379.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
import psutil  # type: ignore[import-untyped]
from tests.support.redis_server import RedisServerProcess, free_port

from twilio_emulator import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN

__all__ = [
    "ACCOUNT_SID",
    "AUTH_TOKEN",
    "Proc",
    "RedisServerProcess",
    "emulator",
    "free_port",
    "service",
]

ACCOUNT_SID = DEFAULT_ACCOUNT_SID
AUTH_TOKEN = DEFAULT_AUTH_TOKEN
_READY_TIMEOUT_S = 30.0
ROOT = Path(__file__).resolve().parent.parent  # `python -m bench.uncapped` runs from here


class Proc:
    """One subprocess, its log, and what it costs (CPU seconds, resident memory)."""

    def __init__(self, name: str, argv: list[str], env: Mapping[str, str], workdir: Path) -> None:
        self.name = name
        self.argv = argv
        self.log_path = workdir / f"{name}.log"
        self._log = self.log_path.open("wb")
        self._process = subprocess.Popen(
            argv, env=dict(env), stdout=self._log, stderr=subprocess.STDOUT, cwd=ROOT
        )
        self._ps = psutil.Process(self._process.pid)

    @property
    def pid(self) -> int:
        return self._process.pid

    def alive(self) -> bool:
        return self._process.poll() is None

    def cpu_s(self) -> float:
        """User + system CPU seconds used so far."""
        times = self._ps.cpu_times()
        return float(times.user + times.system)

    def rss_mb(self) -> float:
        return float(self._ps.memory_info().rss) / 1024 / 1024

    def tail(self, lines: int = 30) -> str:
        self._log.flush()
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    async def wait_http(self, url: str, timeout_s: float = _READY_TIMEOUT_S) -> None:
        """Wait until GET `url` answers 200; raise with the log's tail if the process dies."""
        deadline = time.monotonic() + timeout_s
        async with httpx.AsyncClient(timeout=2.0) as client:
            while True:
                if not self.alive():
                    raise RuntimeError(f"{self.name} exited:\n{self.tail()}")
                try:
                    if (await client.get(url)).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{self.name} not ready at {url}:\n{self.tail()}")
                await asyncio.sleep(0.1)

    def signal(self, sig: int) -> None:
        if self.alive():
            self._process.send_signal(sig)

    def stop(self, timeout_s: float = 15.0) -> None:
        if self.alive():
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)
        self._log.close()


def emulator(workdir: Path, port: int, **settings: Any) -> Proc:
    """`python -m twilio_emulator` on `port` with `settings` (any EmulatorConfig field)."""
    argv = [sys.executable, "-m", "twilio_emulator", "--port", str(port), "--seed", "7"]
    argv += ["--settings", json.dumps(settings)]
    return Proc(f"emulator-{port}", argv, os.environ, workdir)


def service(
    workdir: Path,
    port: int,
    redis_url: str,
    twilio_url: str,
    env: Mapping[str, str],
    *,
    uncapped: bool = False,
) -> Proc:
    """`queue-service serve` (or the bench's uncapped variant, see `bench.uncapped`) on `port`.

    `env` adds or overrides settings (QUEUE_ACCOUNT_CPS, QUEUE_CPS_SHARE...)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("QUEUE_", "TWILIO_"))}
    base.update(
        {
            "QUEUE_REDIS_URL": redis_url,
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "QUEUE_TWILIO_BASE_URL": twilio_url,
            "QUEUE_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
            "QUEUE_HOST": "127.0.0.1",
            "QUEUE_PORT": str(port),
            "QUEUE_ADMIN_PORT": "0",  # any free port: the bench reads no metrics
            "QUEUE_CPS_SHARE": "1",
            "QUEUE_LOG_LEVEL": "WARNING",
            "QUEUE_SHUTDOWN_GRACE_S": "1",
            "QUEUE_INSTANCE_ID": f"bench-{port}",
        }
    )
    base.update(env)
    if uncapped:
        argv = [sys.executable, "-m", "bench.uncapped"]
    else:
        argv = [str(Path(sys.executable).with_name("queue-service")), "serve"]
    return Proc(f"service-{port}", argv, base, workdir)
