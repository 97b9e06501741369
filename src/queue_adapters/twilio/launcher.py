"""`CallLauncher` on Studio v2 Executions: one create per launch, never retried here.

The create is twilio-python's own request on its Studio v2 `Version` (the call its
`ExecutionList.create` makes: same URL, form, headers and authentication), with the answer read
here for its `sid` only. Going through `ExecutionList.create` would build an `ExecutionInstance`
per launch (every field copied, two dates parsed with `strptime`) that nothing reads: about a
seventh of the launcher's CPU (tests/unit/adapters/test_twilio_launcher.py checks that both
send the same request).

Each create is made under a `Departure`: right before its bytes leave it waits for its turn
among the process's sends (the core's `SendTurn`), and `Launched.sent_at` says when it left.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime
from typing import Any

from twilio.base.exceptions import TwilioException  # type: ignore[import-untyped]

from queue_adapters.twilio.http_client import (
    Departure,
    LastResponse,
    TransportFailure,
    departing,
)
from queue_adapters.twilio.rest import TwilioRest
from queue_core.domain.errors import StoreUnavailable
from queue_core.domain.launch import (
    Ambiguous,
    Launched,
    LaunchOutcome,
    LaunchRequest,
    RateLimited,
    Rejected,
)
from queue_core.domain.launch_schedule import SendTurn

__all__ = ["StudioCallLauncher"]

_EXECUTION_SID = re.compile(r"^FN[0-9a-fA-F]{32}$")
_RATE_LIMITED_CODE = 20429
_CREATE_HEADERS = {
    "Content-Type": "application/x-www-form-urlencoded",
    "Accept": "application/json",
}


class StudioCallLauncher:
    """Launches a contact as a Studio execution and finds executions whose answer was lost.

    `launch` never raises for an HTTP answer: 2xx -> `Launched`, 429 or code 20429 ->
    `RateLimited` (with `Retry-After` when sent), other 4xx -> `Rejected`, 5xx / timeout /
    reset after the request was written -> `Ambiguous`. When the request could not even be
    sent (connection refused, no connection from the pool) it raises `StoreUnavailable`:
    nothing reached Twilio, so the caller backs off and launches again.
    """

    def __init__(self, rest: TwilioRest, page_size: int = 200) -> None:
        self._rest = rest
        self._page_size = page_size
        # twilio-python builds its Studio domain (imports included) on first use: build it now
        # rather than in the way of a campaign's first launch, which would reach Twilio late.
        _ = rest.client.studio.v2

    async def launch(self, request: LaunchRequest, turn: SendTurn | None = None) -> LaunchOutcome:
        form = {
            "To": request.to,
            "From": request.from_,
            "Parameters": json.dumps(dict(request.parameters)),  # as twilio-python serializes it
        }
        departure = Departure(turn)
        leaving = departing.set(departure)
        try:
            answer = await self._rest.client.studio.v2.request_async(
                "POST",
                f"/Flows/{request.flow_sid}/Executions",
                data=form,
                headers=dict(_CREATE_HEADERS),  # twilio-python adds to the dict it is given
            )
        except TransportFailure as exc:
            if not exc.request_sent:
                raise StoreUnavailable(f"Twilio Studio unreachable: {exc.reason}") from exc
            return Ambiguous(f"no answer from Twilio: {exc.reason}")
        finally:
            departing.reset(leaving)
        status = answer.status_code
        if not 200 <= status < 300:
            return _classify_error(LastResponse(status, answer.headers or {}, answer.text))
        try:
            created: Any = json.loads(answer.text) if answer.text else {}
        except ValueError as exc:
            # a 2xx whose body is not an execution: created or not, unknown
            return Ambiguous(f"unreadable answer from Twilio: {exc!r}")
        sid = created.get("sid") if isinstance(created, dict) else None
        if not isinstance(sid, str) or not _EXECUTION_SID.fullmatch(sid):
            return Ambiguous(f"HTTP {status} without an execution SID")
        return Launched(execution_sid=sid, sent_at=departure.left_at)

    async def find_execution(self, flow_sid: str, to: str, created_after: float) -> str | None:
        """The newest execution of `flow_sid` to `to` created at or after `created_after`.

        Reads every page of Studio's executions list filtered by `DateCreatedFrom` (whole
        seconds, rounded down). Raises `StoreUnavailable` when Twilio cannot be asked.
        """
        since = math.floor(created_after)
        executions = self._rest.client.studio.v2.flows(flow_sid).executions
        best: tuple[float, str] | None = None
        try:
            page = await executions.page_async(
                date_created_from=datetime.fromtimestamp(since, UTC), page_size=self._page_size
            )
            while page is not None:
                for execution in page:
                    if execution.contact_channel_address != to or not execution.sid:
                        continue
                    created = execution.date_created
                    at = created.timestamp() if isinstance(created, datetime) else float(since)
                    if at >= since and (best is None or at > best[0]):
                        best = (at, execution.sid)
                page = await page.next_page_async()
        except (
            TransportFailure,
            TwilioException,
            ValueError,
            LookupError,
            TypeError,
            AttributeError,
        ) as exc:
            raise StoreUnavailable(f"Studio executions list unavailable: {exc}") from exc
        return best[1] if best else None


def _classify_error(answer: LastResponse) -> LaunchOutcome:
    code, message = _error_body(answer.text)
    client_error = 400 <= answer.status < 500
    # a 5xx is ambiguous whatever its code: only a 4xx says nothing was processed
    if answer.status == 429 or (client_error and code == str(_RATE_LIMITED_CODE)):
        return RateLimited(retry_after_s=answer.retry_after_s())
    if client_error:
        return Rejected(status=answer.status, error_code=code, error_message=message)
    detail = f": {message}" if message else ""
    return Ambiguous(f"HTTP {answer.status} from Twilio{detail}")


def _error_body(text: str) -> tuple[str, str]:
    """Twilio's error `code` and `message` (legacy or RFC 9457 shape), as strings."""
    try:
        doc: Any = json.loads(text)
    except ValueError:
        return "", text[:512]
    if not isinstance(doc, dict):
        return "", text[:512]
    code = doc.get("code")
    message = doc.get("message") or doc.get("detail") or doc.get("title") or ""
    code_text = str(code) if isinstance(code, int | str) and not isinstance(code, bool) else ""
    return code_text, str(message)[:512]
