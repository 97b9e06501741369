"""Requests written by hand on a socket, for what an HTTP client will not send: a chunked body
streamed slowly (read the answer while still sending), headers declaring a body never sent, a
body cut short (the client then waits, or hangs up)."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

__all__ = ["CHUNK", "CHUNK_PAUSE_S", "declared_too_large", "short_body", "stream_slowly"]

CHUNK = 4096
CHUNK_PAUSE_S = 0.05


def stream_slowly(port: int, path: str, total: int) -> dict[str, Any]:
    """POST a chunked body of `total` bytes (no Content-Length), CHUNK bytes every
    CHUNK_PAUSE_S, while reading the answer; stop sending once it comes."""
    answer: list[bytes] = []
    answered_at: list[float] = []
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:

        def read() -> None:
            data = b""
            while b"\r\n\r\n" not in data:
                try:
                    piece = sock.recv(65536)
                except OSError:
                    break
                if not piece:
                    break
                data += piece
            answered_at.append(time.monotonic())
            answer.append(data)

        reader = threading.Thread(target=read, daemon=True)
        start = time.monotonic()
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
        )
        reader.start()
        while sent < total and not answered_at:
            try:
                sock.sendall(f"{CHUNK:x}\r\n".encode() + b" " * CHUNK + b"\r\n")
            except OSError:
                break
            sent += CHUNK
            time.sleep(CHUNK_PAUSE_S)
        reader.join(timeout=15)
    head = answer[0] if answer else b""
    return {
        "status_line": head.split(b"\r\n", 1)[0].decode(errors="replace"),
        "bytes_sent_before_the_answer": sent,
        "answer_after_s": round(answered_at[0] - start, 3) if answered_at else None,
        "whole_body_would_take_s": round(total / CHUNK * CHUNK_PAUSE_S, 3),
        "head": head,
    }


def declared_too_large(port: int, path: str, max_body_bytes: int) -> bytes:
    """Headers declaring a body over the limit, and no body: the answer must not wait for it."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {max_body_bytes + 1}\r\n\r\n"
        )
        sock.sendall(head.encode())
        return sock.recv(65536)


def short_body(port: int, path: str, *, hang_up: bool, wait_s: float = 15.0) -> dict[str, Any]:
    """Headers declaring a 100-byte JSON body, and 10 bytes of it. With `hang_up`, close the
    connection at once; else wait (up to `wait_s`) for the answer and for the server to close."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=wait_s) as sock:
        sock.sendall(head.encode() + b'[{"id":"x"')
        if hang_up:
            return {}
        start = time.monotonic()
        answer = b""
        while True:
            piece = sock.recv(65536)
            if not piece:  # the server closed the connection
                break
            answer += piece
        return {"answer": answer, "after_s": round(time.monotonic() - start, 3)}
