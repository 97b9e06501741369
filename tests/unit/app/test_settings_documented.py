"""Every setting the service reads is in the README's settings table, and nothing else is."""

from __future__ import annotations

import re
from pathlib import Path

from queue_app.settings import Settings

README = Path(__file__).resolve().parents[3] / "README.md"


def documented() -> set[str]:
    """The variable names in the first cell of each row of the README's tables."""
    names: set[str] = set()
    for line in README.read_text("utf-8").splitlines():
        if line.startswith("| `"):
            first_cell = line.split("|")[1]
            names.update(re.findall(r"`([A-Z][A-Z0-9_]+)`", first_cell))
    return names


def read_by_the_service() -> set[str]:
    """The variable each field of each group reads (its validation alias)."""
    return {
        str(field.validation_alias)
        for group in Settings.groups().values()
        for field in group.model_fields.values()
        if field.validation_alias is not None
    }


def test_the_readme_documents_exactly_the_settings_the_service_reads() -> None:
    names = read_by_the_service()
    assert len(names) > 20  # the settings were found at all
    assert names - documented() == set(), "read but not documented"
    assert documented() - names == set(), "documented but not read"
