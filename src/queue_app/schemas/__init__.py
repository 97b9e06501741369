"""JSON schemas of what the command line prints for scripts, shipped with the package.

`status.schema.json` describes `queue-service status --json`.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

__all__ = ["status_schema"]


def status_schema() -> dict[str, Any]:
    """The JSON schema (draft 2020-12) of `queue-service status --json`."""
    text = resources.files(__name__).joinpath("status.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema
