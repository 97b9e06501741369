"""A TCP load balancer on loopback: the one public URL in front of several service instances.

Twilio calls one public base URL (the Event Streams sink, the flow's `/callstatus`), so
instances behind a balancer share it: a contact launched by an instance that died still gets its
webhooks through the others. Each new connection goes to the next backend that accepts it, round
robin; bytes pass through unchanged, so the `Host` header (and the signed URL) is the balancer's.
"""

from __future__ import annotations

import contextlib
import itertools
import socket
import threading
from collections.abc import Callable, Sequence

from tests.support.redis_server import free_port

__all__ = ["RoundRobinBalancer"]

_CONNECT_TIMEOUT_S = 1.0


class RoundRobinBalancer:
    """Forwards connections on `127.0.0.1:<port>` to `backends` (loopback ports)."""

    def __init__(self, backends: Sequence[int]) -> None:
        self.port = free_port()
        self.backends = list(backends)
        self._turn = itertools.count()
        self._listener: socket.socket | None = None
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> RoundRobinBalancer:
        listener = socket.create_server(("127.0.0.1", self.port))
        listener.settimeout(0.1)  # accept() wakes up to see stop()
        self._listener = listener
        self._spawn(self._accept, listener)
        return self

    def stop(self) -> None:
        self._stopping.set()
        with self._lock:
            for sock in self._open:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(timeout=5)
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        with self._lock:
            for sock in self._open:
                sock.close()
            self._open.clear()

    def _spawn(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self, listener: socket.socket) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            backend = self._connect()
            if backend is None:
                client.close()
                continue
            client.settimeout(None)
            backend.settimeout(None)
            with self._lock:
                self._open.update((client, backend))
            self._spawn(self._pump, client, backend)
            self._spawn(self._pump, backend, client)

    def _connect(self) -> socket.socket | None:
        """A connection to the next live backend, or None when none accepts."""
        start = next(self._turn)
        for i in range(len(self.backends)):
            port = self.backends[(start + i) % len(self.backends)]
            try:
                return socket.create_connection(("127.0.0.1", port), timeout=_CONNECT_TIMEOUT_S)
            except OSError:
                continue
        return None

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            # One side is done: let the other side see the end, then forget both.
            for sock in (sink, source):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            with self._lock:
                for sock in (source, sink):
                    if sock in self._open:
                        self._open.discard(sock)
                        sock.close()
