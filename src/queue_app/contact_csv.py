"""Contact records from a CSV file, for `queue-service load`: every row checked, every bad row
named by its line number.

The header names the columns: `record_id` and `phone_number` (E.164) are required, `timezone`
(an IANA zone name) is optional, and every other column goes into the record's `attributes`.
Each record is also checked by `ContactRecord.parse`, the service's own check of a cache entry.
"""

from __future__ import annotations

import csv
import io
import json
import zoneinfo
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from queue_core.domain.contacts import MAX_RECORD_ID_LENGTH, ContactRecord
from queue_core.domain.errors import InvalidContactRecord

__all__ = ["REQUIRED_COLUMNS", "ContactSheet", "RowProblem", "read_contacts"]

REQUIRED_COLUMNS = ("record_id", "phone_number")
_TIMEZONE = "timezone"


@dataclass(frozen=True, slots=True)
class RowProblem:
    """Why the row starting on `line` (1 = the header) cannot be loaded."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass(frozen=True, slots=True)
class ContactSheet:
    """The good records, as the cache holds them (JSON text), in the file's order, and the
    problems of every other row (an empty `records` with problems when the header is bad)."""

    records: list[str] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)


def read_contacts(text: str) -> ContactSheet:
    """Every row of the CSV `text` as a record or a problem."""
    rows = _rows(text)
    try:
        header_line, header = next(rows)
    except StopIteration:
        return ContactSheet(problems=[RowProblem(1, "no header row")])
    columns = [name.strip() for name in header]
    header_problem = _header_problem(columns)
    if header_problem:
        return ContactSheet(problems=[RowProblem(header_line, header_problem)])
    records: list[str] = []
    problems: list[RowProblem] = []
    first_line: dict[str, int] = {}
    for line, values in rows:
        try:
            record = _record(columns, values)
            earlier = first_line.setdefault(record["record_id"], line)
            if earlier != line:
                raise InvalidContactRecord(
                    f"duplicate record_id {record['record_id']!r} (first on line {earlier})"
                )
            raw = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
            ContactRecord.parse(raw)
        except InvalidContactRecord as exc:
            problems.append(RowProblem(line, str(exc)))
            continue
        records.append(raw)
    if not records and not problems:
        problems.append(RowProblem(header_line, "no contact rows after the header"))
    return ContactSheet(records, problems)


def _rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """Non-blank rows with the line each starts on (a quoted value may span lines)."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    start = 1
    for values in reader:
        if any(v.strip() for v in values):
            yield start, values
        start = reader.line_num + 1


def _header_problem(columns: Sequence[str]) -> str:
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        return f"missing column {', '.join(missing)} (the header has: {', '.join(columns)})"
    repeated = sorted({name for name in columns if columns.count(name) > 1})
    if repeated:
        return f"column {', '.join(repeated)} appears more than once"
    if "" in columns:
        return "a column has no name"
    return ""


def _record(columns: Sequence[str], values: Sequence[str]) -> dict[str, Any]:
    if len(values) != len(columns):
        raise InvalidContactRecord(f"{len(values)} values for {len(columns)} columns")
    row = dict(zip(columns, values, strict=True))
    record_id = row.pop("record_id").strip()
    phone = row.pop("phone_number").strip()
    if not record_id:
        raise InvalidContactRecord("record_id is empty")
    if len(record_id) > MAX_RECORD_ID_LENGTH:
        raise InvalidContactRecord(f"record_id is longer than {MAX_RECORD_ID_LENGTH} characters")
    record: dict[str, Any] = {"record_id": record_id, "phone_number": phone}
    zone = row.pop(_TIMEZONE, "").strip()
    if zone:
        record[_TIMEZONE] = _checked_zone(zone)
    record["attributes"] = row
    return record


def _checked_zone(name: str) -> str:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):  # a folder, a long name
        raise InvalidContactRecord(f"timezone {name!r} is not an IANA time zone name") from None
    return name
