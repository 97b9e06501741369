"""Webhook timestamps: the quick reading of Twilio's RFC 2822 form gives what the general
parser gives, for real dates and for anything else of the same shape."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from queue_adapters.twilio._wire import _parse_any, _twilio_rfc2822, unix_seconds

moments = st.datetimes(
    min_value=datetime(1000, 1, 1), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
).map(lambda d: d.replace(microsecond=0))
offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)


@given(moments, offsets, st.booleans())
def test_rfc2822_dates_read_as_the_general_parser_reads_them(
    moment: datetime, offset: timezone, gmt: bool
) -> None:
    local = moment.astimezone(offset)
    for text in (format_datetime(moment, usegmt=gmt), format_datetime(local)):
        assert unix_seconds(text) == _parse_any(text) == moment.timestamp()


two_digits = st.integers(min_value=0, max_value=99).map(lambda n: f"{n:02d}")


@given(
    st.sampled_from(["Mon", "Sat", "Sun"]),
    st.integers(min_value=0, max_value=99),
    st.sampled_from(["Jan", "Feb", "Jun", "Dec", "jan", "Foo"]),
    st.integers(min_value=0, max_value=99999),
    two_digits,
    two_digits,
    two_digits,
    st.sampled_from(["+0000", "GMT", "-0000", "+0130", "UT", ""]),
)
def test_anything_of_that_shape_reads_as_the_general_parser_reads_it(
    weekday: str, day: int, month: str, year: int, hour: str, minute: str, second: str, zone: str
) -> None:
    text = f"{weekday}, {day} {month} {year} {hour}:{minute}:{second} {zone}".strip()
    assert unix_seconds(text) == _parse_any(text)


@pytest.mark.parametrize(
    ("text", "quick"),
    [
        ("Sat, 28 Nov 2026 10:01:05 +0000", 1795860065.0),
        ("Sat, 28 Nov 2026 10:01:05 GMT", 1795860065.0),
        ("Sat, 31 Feb 2026 10:01:05 +0000", None),  # no such day: the general parser decides
        ("Sat, 28 Nov 2026 10:01:05 +0100", None),  # another offset: likewise
        ("2026-11-28T10:01:05Z", None),
    ],
)
def test_only_twilio_s_own_form_takes_the_quick_reading(text: str, quick: float | None) -> None:
    assert _twilio_rfc2822(text) == quick
    assert unix_seconds(text) == _parse_any(text)
