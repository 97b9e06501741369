"""The ceiling's profile in the report: the own-time listing, blank lines and all."""

from __future__ import annotations

from pathlib import Path

from bench.report import _profiles


def test_the_own_time_listing_is_shown_and_the_total_time_one_is_not(tmp_path: Path) -> None:
    profile = tmp_path / "profile-0.txt"
    profile.write_text(
        "== flat, self time ==\n\n  header\n\n0.128 socket.send  <built-in>\n"
        "0.098 get_connection  redis/asyncio/connection.py:3073\n\n"
        "== flat, total time ==\n\n9.999 run  asyncio/runners.py:1\n"
    )
    lines = _profiles({"figures": {"profiles": {"at once": str(profile)}}})
    shown = lines[lines.index("```") + 1 : len(lines) - 2]
    assert shown == [
        "== flat, self time ==",
        "  header",
        "0.128 socket.send  <built-in>",
        "0.098 get_connection  redis/asyncio/connection.py:3073",
    ]


def test_a_profile_file_that_is_gone_shows_nothing(tmp_path: Path) -> None:
    gone = {"figures": {"profiles": {"at once": str(tmp_path / "none.txt")}}}
    assert _profiles(gone) == []
