"""Structured logs: one JSON object per line with the execution id; no secret in them."""

from __future__ import annotations

import json
import logging

import pytest

from queue_app.logs import configure_logging
from queue_app.settings import Settings


def test_json_lines_carry_the_execution_id_and_no_secret(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("INFO", json_lines=True)
    settings = Settings.from_env(
        TWILIO_AUTH_TOKEN="very-secret-token", QUEUE_CALLSTATUS_SECRET="another-secret"
    )
    try:
        adapter = logging.LoggerAdapter(
            logging.getLogger("queue_core.services.runner"), {"campaign_execution_id": "ce-7"}
        )
        adapter.warning("lease on %s lost", "ce-7")
        logging.getLogger("queue_app").info("settings: %s", settings)
    finally:
        logging.getLogger().handlers.clear()

    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert lines[0]["campaign_execution_id"] == "ce-7"
    assert (lines[0]["level"], lines[0]["message"]) == ("warning", "lease on ce-7 lost")
    assert "very-secret-token" not in lines[1]["message"]
    assert "another-secret" not in lines[1]["message"]
