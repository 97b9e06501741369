"""A campaign execution's settings: the `campaign_execution:{id}` document."""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from queue_core.domain._validate import E164, EXECUTION_ID, require_match, require_str, sid
from queue_core.domain.bounds import MAX_DOCUMENT_CHARS, load_json, shown
from queue_core.domain.calling_window import CallingWindow
from queue_core.domain.errors import ContractViolation, InvalidCampaignExecution
from queue_core.domain.retry import RetryPolicy

__all__ = [
    "MAX_DNC_SETS",
    "MAX_KEY_NAME_LENGTH",
    "CampaignExecution",
    "PacingMode",
    "PacingSettings",
]

_FLOW_SID = sid("FW")
_TASK_QUEUE_SID = sid("WQ")
MAX_DNC_SETS = 32
MAX_KEY_NAME_LENGTH = 256
# A Redis key name as this service accepts one from a document: no space, no control
# character, and no lone surrogate (it could not be sent as UTF-8).
_KEY_NAME = re.compile(rf"^[^\s\x00-\x1f\x7f-\x9f\ud800-\udfff]{{1,{MAX_KEY_NAME_LENGTH}}}$")


class PacingMode(enum.StrEnum):
    PROGRESSIVE = "progressive"
    FIXED = "fixed"
    PREDICTIVE = "predictive"


@dataclass(frozen=True, slots=True)
class PacingSettings:
    """How one execution paces its dials. Every field has a default (see ADR 0002)."""

    mode: PacingMode = PacingMode.PROGRESSIVE
    dial_ratio: float = 1.0
    max_concurrent_calls: int = 50
    cps_share: float = 1.0
    max_dial_ratio: float = 3.0
    abandon_target: float = 0.03

    @classmethod
    def from_document(cls, doc: Mapping[str, Any], *, where: str) -> PacingSettings:
        defaults = cls()
        mode_value = doc.get("mode", defaults.mode.value)
        try:
            mode = PacingMode(mode_value)
        except ValueError:
            raise InvalidCampaignExecution(
                f"{where}: field 'pacing.mode' must be progressive, fixed or predictive, "
                f"got {shown(mode_value)}"
            ) from None
        dial_ratio = _number(doc, "dial_ratio", defaults.dial_ratio, where, low=0.0, high=10.0)
        max_ratio = _number(
            doc, "max_dial_ratio", defaults.max_dial_ratio, where, 1.0, 10.0, closed_low=True
        )
        return cls(
            mode=mode,
            dial_ratio=dial_ratio,
            max_concurrent_calls=_integer(
                doc, "max_concurrent_calls", defaults.max_concurrent_calls, where
            ),
            cps_share=_number(doc, "cps_share", defaults.cps_share, where, low=0.0, high=1.0),
            max_dial_ratio=max(max_ratio, dial_ratio),
            abandon_target=_number(
                doc, "abandon_target", defaults.abandon_target, where, 0.0, 1.0, closed_high=False
            ),
        )

    def to_document(self) -> dict[str, Any]:
        return {
            "mode": self.mode.value,
            "dial_ratio": self.dial_ratio,
            "max_concurrent_calls": self.max_concurrent_calls,
            "cps_share": self.cps_share,
            "max_dial_ratio": self.max_dial_ratio,
            "abandon_target": self.abandon_target,
        }


def _number(
    doc: Mapping[str, Any],
    name: str,
    default: float,
    where: str,
    low: float,
    high: float,
    *,
    closed_low: bool = False,
    closed_high: bool = True,
) -> float:
    value = doc.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidCampaignExecution(f"{where}: field 'pacing.{name}' must be a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidCampaignExecution(f"{where}: field 'pacing.{name}' must be a number")
    # Compared as it is: an int too big for a float is out of range, not an OverflowError.
    above_low = value >= low if closed_low else value > low
    below_high = value <= high if closed_high else value < high
    if not (above_low and below_high):
        left, right = "[" if closed_low else "(", "]" if closed_high else ")"
        raise InvalidCampaignExecution(
            f"{where}: field 'pacing.{name}' must be in {left}{low}, {high}{right}, "
            f"got {shown(value)}"
        )
    return float(value)


def _integer(doc: Mapping[str, Any], name: str, default: int, where: str) -> int:
    value = doc.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100_000:
        raise InvalidCampaignExecution(
            f"{where}: field 'pacing.{name}' must be an integer from 1 to 100000, "
            f"got {shown(value)}"
        )
    return value


@dataclass(frozen=True, slots=True)
class CampaignExecution:
    """The settings the queue service reads on `start`. The version-2 fields are optional: a
    document without them has no campaign, no calling window, one attempt per record and no
    do-not-call set, as in version 1."""

    campaign_execution_id: str
    studio_flow_sid: str
    from_number: str
    task_queue_sid: str
    pacing: PacingSettings = field(default_factory=PacingSettings)
    campaign_id: str | None = None
    calling_window: CallingWindow | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    dnc_sets: tuple[str, ...] = ()

    @classmethod
    def parse(
        cls, raw: str | bytes, *, key: str, campaign_execution_id: str | None = None
    ) -> CampaignExecution:
        """Read and validate the document's text, at most MAX_DOCUMENT_CHARS characters and
        MAX_JSON_DEPTH levels of nesting (`queue_core.domain.bounds`); raise
        `InvalidCampaignExecution` naming the key (and the field), and nothing else."""
        try:
            doc = load_json(raw, max_chars=MAX_DOCUMENT_CHARS)
        except ContractViolation as exc:
            raise InvalidCampaignExecution(f"{key}: {exc}") from None
        return cls.from_document(doc, key=key, campaign_execution_id=campaign_execution_id)

    @classmethod
    def from_document(
        cls, doc: object, *, key: str, campaign_execution_id: str | None = None
    ) -> CampaignExecution:
        """Validate a decoded document; raise `InvalidCampaignExecution` naming key and field.
        With `campaign_execution_id` (the id its key names), a document that names another
        execution is invalid too: both ids are in the message."""
        if not isinstance(doc, Mapping):
            raise InvalidCampaignExecution(f"{key}: the document must be a JSON object")
        execution_id, flow, from_number, task_queue = _required(doc, key)
        if campaign_execution_id is not None and execution_id != campaign_execution_id:
            raise InvalidCampaignExecution(
                f"{key}: field 'campaign_execution_id' is {execution_id!r}, "
                f"not {shown(campaign_execution_id, 140)} as its key says"
            )
        pacing_doc = doc.get("pacing") or {}
        if not isinstance(pacing_doc, Mapping):
            raise InvalidCampaignExecution(f"{key}: field 'pacing' must be an object")
        window, retry = doc.get("calling_window"), doc.get("retry")
        return cls(
            campaign_execution_id=execution_id,
            studio_flow_sid=flow,
            from_number=from_number,
            task_queue_sid=task_queue,
            pacing=PacingSettings.from_document(pacing_doc, where=key),
            campaign_id=_campaign_id(doc.get("campaign_id"), key),
            calling_window=None
            if window is None
            else CallingWindow.from_document(window, where=key),
            retry=RetryPolicy() if retry is None else RetryPolicy.from_document(retry, where=key),
            dnc_sets=_dnc_sets(doc.get("dnc_sets"), key),
        )

    def to_document(self) -> dict[str, Any]:
        """The document `from_document` reads back as this value; a version-2 field is there
        only when it is set."""
        doc: dict[str, Any] = {
            "campaign_execution_id": self.campaign_execution_id,
            "studio_flow_sid": self.studio_flow_sid,
            "from_number": self.from_number,
            "task_queue_sid": self.task_queue_sid,
            "pacing": self.pacing.to_document(),
        }
        if self.campaign_id is not None:
            doc["campaign_id"] = self.campaign_id
        if self.calling_window is not None:
            doc["calling_window"] = self.calling_window.to_document()
        if self.retry != RetryPolicy():
            doc["retry"] = self.retry.to_document()
        if self.dnc_sets:
            doc["dnc_sets"] = list(self.dnc_sets)
        return doc


def _required(doc: Mapping[str, Any], key: str) -> tuple[str, str, str, str]:
    """The execution id, flow SID, caller number and task queue SID, each validated."""
    fields = (
        ("campaign_execution_id", EXECUTION_ID, "1 to 128 characters of A-Z a-z 0-9 _ . : -"),
        ("studio_flow_sid", _FLOW_SID, "a Studio flow SID (FW + 32 hex digits)"),
        ("from_number", E164, "an E.164 number"),
        ("task_queue_sid", _TASK_QUEUE_SID, "a TaskRouter task queue SID (WQ + 32 hex digits)"),
    )
    try:
        found = [
            require_match(require_str(doc, name, where=key), pattern, name, where=key, what=what)
            for name, pattern, what in fields
        ]
    except ValueError as exc:
        raise InvalidCampaignExecution(str(exc)) from None
    return found[0], found[1], found[2], found[3]


def _campaign_id(value: object, key: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not EXECUTION_ID.fullmatch(value):
        raise InvalidCampaignExecution(
            f"{key}: field 'campaign_id' must be 1 to 128 characters of A-Z a-z 0-9 _ . : -, "
            f"got {shown(value)}"
        )
    return value


def _dnc_sets(value: object, key: str) -> tuple[str, ...]:
    """The do-not-call sets' key names, each once, in the document's order."""
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > MAX_DNC_SETS:
        raise InvalidCampaignExecution(
            f"{key}: field 'dnc_sets' must be a list of at most {MAX_DNC_SETS} key names"
        )
    for name in value:
        if not isinstance(name, str) or not _KEY_NAME.fullmatch(name):
            raise InvalidCampaignExecution(
                f"{key}: field 'dnc_sets' has {shown(name)}, not a key name (1 to "
                f"{MAX_KEY_NAME_LENGTH} characters, none of them a space or a control character)"
            )
    return tuple(dict.fromkeys(value))
