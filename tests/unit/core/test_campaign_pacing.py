"""The pacing fields of `campaign_execution:{id}` that bound predictive pacing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from queue_core.domain.campaign import CampaignExecution, PacingSettings
from queue_core.domain.errors import InvalidCampaignExecution

KEY = "campaign_execution:ce-1"
DOCUMENT = {
    "campaign_execution_id": "ce-1",
    "studio_flow_sid": "FW" + "0" * 32,
    "from_number": "+15005550006",
    "task_queue_sid": "WQ" + "0" * 32,
}


def parse(pacing: dict[str, Any]) -> PacingSettings:
    raw = json.dumps({**DOCUMENT, "pacing": {"mode": "predictive", **pacing}})
    return CampaignExecution.parse(raw, key=KEY).pacing


def test_the_defaults_are_a_3_percent_target_and_a_ceiling_of_3() -> None:
    pacing = parse({})
    assert (pacing.abandon_target, pacing.max_dial_ratio) == (0.03, 3.0)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("abandon_target", 0),
        ("abandon_target", 0.0),
        ("abandon_target", 1),
        ("abandon_target", 1.0),
        ("abandon_target", -0.01),
        ("abandon_target", 3),
        ("abandon_target", "0.03"),
        ("max_dial_ratio", 0.99),
        ("max_dial_ratio", 0),
        ("max_dial_ratio", -2.0),
        ("max_dial_ratio", None),
    ],
)
def test_a_value_out_of_range_is_invalid_and_names_its_field(field: str, value: object) -> None:
    with pytest.raises(InvalidCampaignExecution, match=rf"^{KEY}: field 'pacing\.{field}' must"):
        parse({field: value})


@pytest.mark.parametrize(
    ("field", "value"), [("abandon_target", 1e-6), ("abandon_target", 0.999), ("max_dial_ratio", 1)]
)
def test_a_value_just_inside_the_range_is_taken(field: str, value: float) -> None:
    assert getattr(parse({field: value}), field) == value
