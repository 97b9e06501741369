"""The ports tests hand to their servers: free, out of the kernel's reach, one worker's own."""

from __future__ import annotations

import random
import socket

import pytest

from tests.support import redis_server
from tests.support.redis_server import free_port


def test_a_free_port_is_below_the_ephemeral_range_and_bindable() -> None:
    ephemeral_low = redis_server._ephemeral_low()
    for with_bus in (False, True):
        port = free_port(with_bus=with_bus)
        assert 1024 <= port < ephemeral_low - 10000
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))
        if with_bus:
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", port + 10000))


def test_each_worker_has_its_own_share_of_the_band(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "3")
    bands = []
    for worker in range(3):
        monkeypatch.setenv("PYTEST_XDIST_WORKER", f"gw{worker}")
        bands.append(redis_server._worker_band())
        low, high = bands[-1]
        assert all(low <= free_port() < high for _ in range(20))
    assert bands[0][1] <= bands[1][0]
    assert bands[1][1] <= bands[2][0]
    assert bands[2][1] <= redis_server._ephemeral_low() - 10000


def test_a_port_in_use_is_never_handed_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "1")
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw0")
    with socket.socket() as held:
        port = free_port()
        held.bind(("127.0.0.1", port))
        held.listen()
        monkeypatch.setattr(random, "randrange", lambda low, high: port)
        with pytest.raises(RuntimeError, match="no free port found"):
            free_port()
