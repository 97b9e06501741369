"""When each Studio create left the service, read off the loopback interface by the kernel.

The kernel stamps a segment on loopback as the sender writes it, whatever any process is
doing, so these times are the service's pacing alone: what a network would carry to Twilio.
The emulator times its creates by the same kernel's receive stamps (`twilio_emulator.arrivals`);
before it did, it timed a create when its own loop got to it, and on a shared machine that
loop was sometimes late by more than the pacing guard. This capture is the check from outside
both processes. A packet socket on `lo` with a classic BPF filter (TCP to the emulator's port) takes
only those segments; a segment whose payload starts a `POST .../Executions` request is one
create. Needs CAP_NET_RAW (root here); `WireCapture.start` says why when it cannot run.
"""

from __future__ import annotations

import contextlib
import ctypes
import socket
import struct
import threading
from collections.abc import Iterator

__all__ = ["WireCapture", "create_filter"]

ETH_P_ALL = 0x0003
SO_ATTACH_FILTER = 26
SO_TIMESTAMPNS = 35  # SO_TIMESTAMPNS_OLD: struct timespec of 64-bit longs
PACKET_HOST = 0  # loopback shows each segment twice: once outgoing, once to the host
_ETH = 14
_CREATE = b"POST /v2/Flows/"
_EXECUTIONS = b"/Executions "  # the request line: POST /v2/Flows/FW.../Executions HTTP/1.1


class _Instruction(ctypes.Structure):
    _fields_ = [
        ("code", ctypes.c_uint16),
        ("jt", ctypes.c_uint8),
        ("jf", ctypes.c_uint8),
        ("k", ctypes.c_uint32),
    ]


class _Program(ctypes.Structure):
    _fields_ = [
        ("len", ctypes.c_uint16),
        ("filter", ctypes.POINTER(_Instruction)),
    ]


def create_filter(port: int) -> list[tuple[int, int, int, int]]:
    """Classic BPF for `tcp dst port <port>` on an Ethernet-framed interface (IPv4 and
    IPv6), as `tcpdump -dd` writes it: (code, jump if true, jump if false, k)."""
    ldh, ldb, jeq, jset, ldxb_msh, ldh_ind, ret = 0x28, 0x30, 0x15, 0x45, 0xB1, 0x48, 0x06
    return [
        (ldh, 0, 0, 12),  # 0 ethertype
        (jeq, 0, 4, 0x86DD),  # 1 IPv6 -> 2, else 6
        (ldb, 0, 0, 20),  # 2 IPv6 next header
        (jeq, 0, 11, 6),  # 3 TCP -> 4, else drop
        (ldh, 0, 0, 56),  # 4 TCP destination port
        (jeq, 8, 9, port),  # 5 -> keep, else drop
        (jeq, 0, 8, 0x0800),  # 6 IPv4 -> 7, else drop
        (ldb, 0, 0, 23),  # 7 IPv4 protocol
        (jeq, 0, 6, 6),  # 8 TCP -> 9, else drop
        (ldh, 0, 0, 20),  # 9 flags and fragment offset
        (jset, 4, 0, 0x1FFF),  # 10 a later fragment: drop
        (ldxb_msh, 0, 0, 14),  # 11 x = IPv4 header length
        (ldh_ind, 0, 0, 16),  # 12 TCP destination port
        (jeq, 0, 1, port),  # 13 -> keep, else drop
        (ret, 0, 0, 262144),  # 14 keep
        (ret, 0, 0, 0),  # 15 drop
    ]


def _payload(frame: bytes) -> bytes:
    """The TCP payload of an Ethernet-framed IPv4 or IPv6 segment (b"" when none)."""
    ethertype = int.from_bytes(frame[12:14], "big")
    if ethertype == 0x0800:
        ip_len = (frame[_ETH] & 0x0F) * 4
        tcp = _ETH + ip_len
    elif ethertype == 0x86DD:
        tcp = _ETH + 40
    else:
        return b""
    if len(frame) < tcp + 13:
        return b""
    return frame[tcp + (frame[tcp + 12] >> 4) * 4 :]


class WireCapture:
    """Kernel times (unix seconds) of the Studio creates sent to `port` on loopback, by flow
    SID, from `start` to `stop`."""

    def __init__(self, port: int) -> None:
        self._port = port
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._times: dict[str, list[float]] = {}
        self._lock = threading.Lock()
        self.why_not = ""  # set when the capture could not start

    def start(self) -> bool:
        """Start capturing; False (and `why_not`) when this process may not."""
        try:
            sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        except (OSError, AttributeError) as exc:
            self.why_not = f"no packet socket ({exc}); CAP_NET_RAW is needed"
            return False
        code = create_filter(self._port)
        program = (_Instruction * len(code))(*code)
        fprog = _Program(len(code), ctypes.cast(program, ctypes.POINTER(_Instruction)))
        sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, bytes(fprog))
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        sock.bind(("lo", 0))
        sock.settimeout(0.2)
        self._program = program  # the kernel copied it; kept alive for clarity
        self._sock = sock
        self._running = True
        self._thread = threading.Thread(target=self._read, name="wire-capture", daemon=True)
        self._thread.start()
        return True

    def _read(self) -> None:
        assert self._sock is not None
        while self._running:
            try:
                frame, ancillary, _, address = self._sock.recvmsg(65536, 64)
            except TimeoutError:
                continue
            except OSError:
                return
            if address[2] != PACKET_HOST:
                continue
            payload = _payload(frame)
            sid_end = len(_CREATE) + 34
            if not payload.startswith(_CREATE) or payload[sid_end:].find(_EXECUTIONS) != 0:
                continue
            flow = payload[len(_CREATE) : sid_end].decode("ascii", "replace")
            stamp = _stamp(ancillary)
            if stamp is not None:
                with self._lock:
                    self._times.setdefault(flow, []).append(stamp)

    def times(self, flow_sid: str) -> list[float]:
        """The creates of `flow_sid` seen so far, sorted."""
        with self._lock:
            return sorted(self._times.get(flow_sid, []))

    def stop(self) -> None:
        self._running = False
        if self._thread is not None:
            self._thread.join(timeout=2)
        if self._sock is not None:
            self._sock.close()


def _stamp(ancillary: list[tuple[int, int, bytes]]) -> float | None:
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(data) >= 16:
            seconds, nanoseconds = struct.unpack("qq", data[:16])
            return seconds + nanoseconds / 1e9
    return None


@contextlib.contextmanager
def captured(port: int) -> Iterator[WireCapture]:
    """A running `WireCapture` for the block (check `why_not` when nothing is captured)."""
    capture = WireCapture(port)
    capture.start()
    try:
        yield capture
    finally:
        capture.stop()
