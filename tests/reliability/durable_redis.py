"""A `redis-server` that survives its own death: AOF on with `appendfsync always`, restarted on
the same port and directory, so every write it acknowledged is there again after a crash."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.support.redis_server import RedisServerProcess, redis_server

__all__ = ["DurableRedisServer"]


class DurableRedisServer(RedisServerProcess):
    """`RedisServerProcess` with the append-only file on; `kill` then `start` is an outage."""

    def start(self) -> DurableRedisServer:
        args = [
            redis_server(),
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "yes",
            "--appendfsync", "always",
            "--dir", self._dir.name,
            "--logfile", str(Path(self._dir.name) / "redis.log"),
        ]  # fmt: skip
        self._process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self._wait_ready()
        return self

    def crash(self) -> None:
        """SIGKILL the server; `start` brings it back on the same port with the same data."""
        self.kill()
        if self._process is not None and self._process.stderr is not None:
            self._process.stderr.close()
