"""Creates are timed when they reach the emulator's socket, not when its loop gets to them."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import http.client
import json
import random
import signal
import socket
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.emulator.conftest import FLOW_SID, FROM
from tests.system.processes import EmulatorProcess
from twilio_emulator.arrivals import Arrivals
from twilio_emulator.config import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN
from twilio_emulator.launches import LaunchLog
from twilio_emulator.server import bound_socket

LATE_S = 0.3  # how long the receiving side is kept from reading


def test_a_read_notes_when_its_bytes_arrived_not_when_it_ran() -> None:
    arrivals = Arrivals()
    with arrivals.listening_socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        with socket.create_connection(listener.getsockname()) as client:
            connection, peer = listener.accept()
            with connection:
                assert arrivals.latest(peer) is None, "nothing read yet"
                _until_stamped(arrivals, client, connection, peer)
                sent = time.monotonic()
                client.sendall(b"POST / HTTP/1.1\r\n\r\n")
                time.sleep(LATE_S)
                assert connection.recv(100) == b"POST / HTTP/1.1\r\n\r\n"
                read = time.monotonic()
                arrived = arrivals.latest(peer)
                assert arrived is not None
                assert sent - 0.01 < arrived < sent + 0.05 < read
                assert arrivals.latest(list(peer)) == arrived, "ASGI gives the client as a list"
            assert arrivals.latest(peer) is None, "a closed connection is forgotten"


def _until_stamped(
    arrivals: Arrivals, client: socket.socket, connection: socket.socket, peer: object
) -> None:
    """The kernel turns stamping on a moment after the listener asks (deferred work): send
    a byte at a time until one comes stamped, as a server listens a while before its first
    request."""
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline:
        client.sendall(b".")
        assert connection.recv(1) == b"."
        if arrivals.latest(peer) is not None:
            return
        time.sleep(0.01)
    pytest.fail("the kernel stamped nothing in 5 s")


@pytest.mark.parametrize("stamped", [True, False], ids=["arrivals", "plain"])
async def test_served_connections_send_small_writes_at_once(stamped: bool) -> None:
    # asyncio sets TCP_NODELAY only on sockets made with IPPROTO_TCP; without it an answer
    # written in two parts waits for the client's delayed ACK (measured: 150 ms answers
    # capped the service's launches at 490/s instead of 645/s).
    listener = Arrivals().listening_socket() if stamped else None
    sock = bound_socket("127.0.0.1", 0, listener)
    nodelay: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    class Note(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            served = transport.get_extra_info("socket")
            nodelay.set_result(served.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    server = await asyncio.get_running_loop().create_server(Note, sock=sock)
    async with server:
        _, writer = await asyncio.open_connection(*sock.getsockname())
        assert await asyncio.wait_for(nodelay, 5.0) == 1
        writer.close()
        await writer.wait_closed()


def test_unknown_clients_have_no_arrival() -> None:
    assert Arrivals().latest(("127.0.0.1", 1)) is None
    assert Arrivals().latest(None) is None


def _json(connection: http.client.HTTPConnection, path: str) -> dict[str, object]:
    connection.request("GET", path)
    answer = connection.getresponse()
    assert answer.status == 200
    doc: dict[str, object] = json.loads(answer.read())
    return doc


def test_a_create_that_waits_for_the_emulator_is_timed_at_its_arrival(tmp_path: Path) -> None:
    token = base64.b64encode(f"{DEFAULT_ACCOUNT_SID}:{DEFAULT_AUTH_TOKEN}".encode()).decode()
    headers = {
        "Authorization": f"Basic {token}",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    body = urlencode({"To": "+14155550100", "From": FROM, "Parameters": "{}"})
    emulator = EmulatorProcess(tmp_path / "emulator.log").start()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", emulator.port, timeout=10)
        _json(connection, "/_emulator/config")  # the connection is open and accepted
        emulator.signal(signal.SIGSTOP)
        sent = time.monotonic()  # CLOCK_MONOTONIC: the same clock in both processes
        connection.request("POST", f"/v2/Flows/{FLOW_SID}/Executions", body, headers)
        time.sleep(LATE_S)
        emulator.signal(signal.SIGCONT)
        answer = connection.getresponse()
        assert answer.status == 201, answer.read()
        answer.read()
        stats = _json(connection, "/_emulator/stats")
        connection.close()
    finally:
        with contextlib.suppress(AssertionError):  # it exited: nothing to continue
            emulator.signal(signal.SIGCONT)
        emulator.stop()
    executions = stats["executions"]
    assert isinstance(executions, list)
    assert len(executions) == 1
    created = executions[0]["created_monotonic"]
    assert sent - 0.01 < created < sent + 0.05, (
        f"timed {created - sent:.3f} s after it was sent; the emulator ran {LATE_S} s after"
    )


@given(
    st.lists(st.floats(min_value=0, max_value=5, allow_nan=False), max_size=60),
    st.integers(min_value=1, max_value=5),
    st.integers(min_value=0, max_value=2**32),
)
def test_admitting_out_of_arrival_order_keeps_the_window_limit(
    times: list[float], limit: int, seed: int
) -> None:
    # Arrivals handled in another order than they came (close together, on two connections).
    random.Random(seed).shuffle(times)
    log = LaunchLog()
    for now in times:
        if log.count_within(now, 1.0) < limit:
            log.record(now)
    assert log.times == sorted(log.times)
    assert log.max_in_window(1.0) <= limit
