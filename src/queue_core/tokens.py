"""The per-contact `callstatus_token`: proof that a `/callstatus` post comes from our flow.

The token is an HMAC-SHA256, under a secret setting, of the execution id and record id the
service put in the execution's `Parameters`; the flow echoes it back. Verification compares in
constant time.
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["CallstatusTokens"]


class CallstatusTokens:
    """Issues and checks the per-contact token; `secret` must not be empty."""

    def __init__(self, secret: bytes) -> None:
        if not secret:
            raise ValueError("the callstatus token secret must not be empty")
        self._secret = secret

    def issue(self, campaign_execution_id: str, record_id: str) -> str:
        message = f"{len(campaign_execution_id)}:{campaign_execution_id}:{record_id}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def verify(self, campaign_execution_id: str, record_id: str, token: str) -> bool:
        expected = self.issue(campaign_execution_id, record_id)
        return hmac.compare_digest(expected.encode(), token.encode("utf-8", "replace"))
