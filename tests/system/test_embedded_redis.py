"""The demo's own Redis: started on a free port, its own server's answers, stopped on exit."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator

import pytest
import redis

from queue_app import embedded_redis as embedded


def test_the_embedded_redis_serves_until_the_block_ends() -> None:
    with embedded.embedded_redis() as url:
        client = redis.Redis.from_url(url)
        assert client.ping() is True
        client.set("k", "v")
        assert client.get("k") == b"v"
        client.close()
    with pytest.raises(redis.ConnectionError):
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()


@contextlib.contextmanager
def _taken_port() -> Iterator[int]:
    """A loopback port another listener holds (and that never answers as Redis would)."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield int(taken.getsockname()[1])


def test_a_port_taken_before_redis_binds_it_is_left_for_another(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The port picked first is taken: the server started there exits, the next port is tried.
    with _taken_port() as taken_port:
        real = embedded._free_port
        picks: Iterator[int] = iter([taken_port])
        monkeypatch.setattr(embedded, "_free_port", lambda: next(picks, None) or real())
        with embedded.embedded_redis() as url:
            assert not url.startswith(f"redis://127.0.0.1:{taken_port}/")
            assert redis.Redis.from_url(url).ping() is True


def test_a_redis_that_never_starts_is_an_error_naming_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with _taken_port() as taken_port:
        monkeypatch.setattr(embedded, "_free_port", lambda: taken_port)
        with (
            pytest.raises(RuntimeError, match="exited at start on 3 ports"),
            embedded.embedded_redis(),
        ):
            pass
