"""The loopback capture that times each Studio create as it is sent."""

from __future__ import annotations

import os
import socket
import threading
import time

from bench.wire import WireCapture, captured

FLOW = "FW" + "0" * 31 + "7"


def _server() -> tuple[socket.socket, int]:
    server = socket.create_server(("127.0.0.1", 0))

    def drain() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                while conn.recv(65536):
                    pass

    threading.Thread(target=drain, daemon=True).start()
    return server, server.getsockname()[1]


def _post(port: int, path: str) -> None:
    with socket.create_connection(("127.0.0.1", port)) as conn:
        conn.sendall(f"POST {path} HTTP/1.1\r\nHost: twilio\r\n\r\nTo=%2B1555".encode())


def test_each_create_sent_to_the_port_is_timed_and_nothing_else() -> None:
    server, port = _server()
    other, other_port = _server()
    with server, other, captured(port) as wire:
        if os.geteuid() != 0:
            # Without CAP_NET_RAW the bench reports the sends as not measured, and says why.
            assert "CAP_NET_RAW" in wire.why_not
            return
        assert wire.why_not == ""
        before = time.time()
        for _ in range(3):
            _post(port, f"/v2/Flows/{FLOW}/Executions")
        _post(port, f"/v2/Flows/{FLOW}/Executions/FN1")  # an update, not a create
        _post(port, "/2010-04-01/Accounts/AC1/Calls.json")  # not a Studio create
        _post(other_port, f"/v2/Flows/{FLOW}/Executions")  # another port
        deadline = time.monotonic() + 2
        while len(wire.times(FLOW)) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.2)  # time for anything wrongly taken to show up
        after = time.time()
        times = wire.times(FLOW)
    assert len(times) == 3
    assert all(before <= t <= after for t in times)
    assert times == sorted(times)


def test_a_capture_never_started_has_no_times() -> None:
    assert WireCapture(1).times(FLOW) == []
