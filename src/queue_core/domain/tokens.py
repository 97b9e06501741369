"""The per-contact `callstatus_token`: proof that a `/callstatus` post comes from our flow, for
one launch.

A token is `<launch>.<mac>`: `launch` names the launch it was issued for (the claim id of the
contact attempt, unique per claim, so per `start`), and `mac` is the hex HMAC-SHA256, under a
secret setting, of the execution id, the record id and that launch. The service puts it in the
execution's `Parameters`; the flow echoes it back. Verification compares in constant time.
A valid token proves who posted, not that the post still matters: whether its launch is still
in flight is `token_lifetime.launch_in_flight`'s to say.
"""

from __future__ import annotations

import hashlib
import hmac
import re

__all__ = ["CallstatusTokens"]

_LAUNCH = re.compile(r"[A-Za-z0-9_:-]{1,128}")


class CallstatusTokens:
    """Issues and checks the per-launch token; `secret` must not be empty."""

    def __init__(self, secret: bytes) -> None:
        if not secret:
            raise ValueError("the callstatus token secret must not be empty")
        self._secret = secret

    def issue(self, campaign_execution_id: str, record_id: str, launch: str) -> str:
        """The token of one launch; `launch` is 1 to 128 of `A-Z a-z 0-9 _ : -` (a claim id)."""
        if not _LAUNCH.fullmatch(launch):
            raise ValueError(f"a launch is 1 to 128 of A-Z a-z 0-9 _ : -, not {launch[:64]!r}")
        return f"{launch}.{self._mac(campaign_execution_id, record_id, launch)}"

    def verify(self, campaign_execution_id: str, record_id: str, token: str) -> bool:
        """True when `token` was issued for this execution and record (for any launch)."""
        launch = self.launch_of(token)
        if not launch:
            return False
        expected = self._mac(campaign_execution_id, record_id, launch)
        mac = token[len(launch) + 1 :]
        return hmac.compare_digest(expected.encode(), mac.encode("utf-8", "replace"))

    @staticmethod
    def launch_of(token: str) -> str:
        """The launch a token names ("" when it names none); not proof of anything before
        `verify` says the token is valid."""
        launch, dot, _ = token.partition(".")
        return launch if dot and _LAUNCH.fullmatch(launch) else ""

    def _mac(self, campaign_execution_id: str, record_id: str, launch: str) -> str:
        # Lengths first, so that no two (execution, record, launch) triples share a message.
        message = (
            f"{len(campaign_execution_id)}:{campaign_execution_id}:"
            f"{len(record_id)}:{record_id}:{launch}"
        ).encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()
