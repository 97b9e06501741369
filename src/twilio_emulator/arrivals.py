"""When a request's bytes reached this host, by the kernel's clock rather than the loop's.

Twilio counts a create against its limits when the request reaches its edge. The emulator's
handler runs when its event loop gets to the request, and on a shared machine that loop is
sometimes late by several milliseconds: a create that arrived in time would be counted in the
next second, and both the rate limits the emulator enforces and the launch times it reports
would carry the emulator's own delays.

So the emulator listens on an `Arrivals.listening_socket`. Every connection it accepts asks the
kernel for software receive timestamps (SO_TIMESTAMPING), and each read notes the time the
kernel stamped on the bytes it returned. `Arrivals.latest(client)` gives a request's handler
that time for its connection. A client sends its next request on a connection only after the
answer to the last, so when a handler starts, the connection's latest read holds its own
request (headers and, on loopback, the body within microseconds).

This rests on asyncio's selector transports reading with `socket.recv`; under another loop
(uvloop), on a kernel without the option, or for bytes the kernel did not stamp (stamping
turns on a moment after the listener asks for it), `latest` answers None and the caller
falls back to its own clock. Linux only.
"""

from __future__ import annotations

import socket
import struct
import sys
import time
from typing import Any

__all__ = ["Arrivals"]

SO_TIMESTAMPING = 37  # SO_TIMESTAMPING_OLD: struct scm_timestamping of 64-bit timespecs
_RX_SOFTWARE = 1 << 3  # SOF_TIMESTAMPING_RX_SOFTWARE: stamp packets as they come in
_SOFTWARE = 1 << 4  # SOF_TIMESTAMPING_SOFTWARE: report the software stamps
_ANCILLARY = socket.CMSG_SPACE(3 * 16)
_Peer = tuple[str, int]


def _peer(address: Any) -> _Peer | None:
    """The (host, port) an ASGI server puts in `scope["client"]` for a peer address."""
    if isinstance(address, tuple | list) and len(address) >= 2:
        return str(address[0]), int(address[1])
    return None


def _stamp(ancillary: list[tuple[int, int, bytes]]) -> float | None:
    """The software receive stamp in `ancillary`, as a time of `time.monotonic`."""
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPING and len(data) >= 16:
            seconds: int
            nanoseconds: int
            seconds, nanoseconds = struct.unpack("qq", data[:16])
            if seconds or nanoseconds:
                # The kernel stamps with the wall clock; the emulator keeps monotonic time.
                return time.monotonic() - (time.time() - (seconds + nanoseconds / 1e9))
    return None


def _ask_for_stamps(sock: socket.socket) -> bool:
    """Ask the kernel to stamp what `sock` receives; False where it cannot (not Linux)."""
    if sys.platform != "linux":
        return False
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPING, _RX_SOFTWARE | _SOFTWARE)
    except OSError:
        return False
    return True


class Arrivals:
    """The kernel's receive time of the latest read on each open connection, by peer."""

    def __init__(self) -> None:
        self._open: dict[_Peer, _Connection] = {}

    def listening_socket(self, family: socket.AddressFamily = socket.AF_INET) -> socket.socket:
        """A new TCP socket (not yet bound) whose accepted connections note their arrivals."""
        return _Listener(self, family)

    def latest(self, client: Any) -> float | None:
        """When the latest bytes from `client` (an ASGI scope's "client") arrived, in
        `time.monotonic` seconds; None when that connection noted nothing."""
        peer = _peer(client)
        connection = None if peer is None else self._open.get(peer)
        return None if connection is None else connection.arrived

    def _opened(self, peer: _Peer, connection: _Connection) -> None:
        self._open[peer] = connection

    def _closed(self, peer: _Peer, connection: _Connection) -> None:
        if self._open.get(peer) is connection:
            del self._open[peer]


class _Listener(socket.socket):
    def __init__(self, arrivals: Arrivals, family: socket.AddressFamily) -> None:
        # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that name it.
        super().__init__(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._arrivals = arrivals
        # The kernel stamps incoming packets only while some socket wants it, and turns that
        # on a moment after the first one asks (deferred work): asked here, it is on long
        # before the first request, and stays on while the emulator listens.
        _ask_for_stamps(self)

    def accept(self) -> tuple[socket.socket, Any]:
        # As `socket.accept`, but the connection is a `_Connection`.
        fd, address = self._accept()  # type: ignore[attr-defined]
        connection = _Connection(self._arrivals, _peer(address), self, fd)
        if socket.getdefaulttimeout() is None and self.gettimeout():
            connection.setblocking(True)
        return connection, address


class _Connection(socket.socket):
    def __init__(
        self, arrivals: Arrivals, peer: _Peer | None, listener: socket.socket, fd: int
    ) -> None:
        super().__init__(listener.family, listener.type, listener.proto, fileno=fd)
        self._arrivals = arrivals
        self._peer = peer
        self._stamped = False
        self.arrived: float | None = None  # when the latest read's bytes came in
        if peer is not None and _ask_for_stamps(self):
            self._stamped = True
            arrivals._opened(peer, self)

    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        if not self._stamped:
            return super().recv(bufsize, flags)
        data, ancillary, _, _ = self.recvmsg(bufsize, _ANCILLARY, flags)
        self.arrived = _stamp(ancillary)  # None for bytes that came unstamped
        return data

    def close(self) -> None:
        if self._stamped and self._peer is not None:
            self._arrivals._closed(self._peer, self)
        super().close()
