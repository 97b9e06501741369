"""Contact records from a CSV file: every row checked, every bad row named by its line."""

from __future__ import annotations

import json

from queue_app.contact_csv import RowProblem, read_contacts
from queue_core.domain.contacts import ContactRecord


def test_a_good_sheet_gives_one_record_per_row_in_order() -> None:
    sheet = read_contacts(
        "\ufeffrecord_id,phone_number,first_name,timezone\n"
        "r-1,+14155550100,Ada,America/Chicago\n"
        '\n r-2 , +14155550101 ,"Hopper, Grace",\n'
    )

    assert sheet.problems == []
    assert [json.loads(raw) for raw in sheet.records] == [
        {
            "record_id": "r-1",
            "phone_number": "+14155550100",
            "timezone": "America/Chicago",
            "attributes": {"first_name": "Ada"},
        },
        {
            "record_id": "r-2",
            "phone_number": "+14155550101",
            "attributes": {"first_name": "Hopper, Grace"},
        },
    ]
    assert all(ContactRecord.parse(raw) for raw in sheet.records)


def test_every_bad_row_is_named_by_the_line_it_starts_on() -> None:
    sheet = read_contacts(
        "record_id,phone_number,note\n"  # line 1
        "r-1,+14155550100,ok\n"  # 2
        "r-2,4155550101,no plus\n"  # 3
        'r-3,+14155550102,"two\nlines"\n'  # 4-5
        "r-1,+14155550103,again\n"  # 6
        "r-5,+14155550104\n"  # 7: a value missing
        ",+14155550105,no id\n"  # 8
        "r-7,+1 415 555 0106,spaces\n"  # 9
        "r-8,+14155550107,ok\n"  # 10
    )

    assert [p.line for p in sheet.problems] == [3, 6, 7, 8, 9]
    reasons = [p.reason for p in sheet.problems]
    assert "E.164" in reasons[0]
    assert reasons[1] == "duplicate record_id 'r-1' (first on line 2)"
    assert reasons[2] == "2 values for 3 columns"
    assert reasons[3] == "record_id is empty"
    assert [json.loads(raw)["record_id"] for raw in sheet.records] == ["r-1", "r-3", "r-8"]


def test_a_missing_column_is_a_problem_of_the_header_and_no_row_is_read() -> None:
    sheet = read_contacts("record_id,phone,name\nr-1,+14155550100,Ada\n")

    assert sheet.records == []
    assert sheet.problems == [
        RowProblem(1, "missing column phone_number (the header has: record_id, phone, name)")
    ]


def test_an_unknown_time_zone_is_a_bad_row() -> None:
    sheet = read_contacts(
        "record_id,phone_number,timezone\nr-1,+14155550100,America\nr-2,+14155550101,Mars/Base\n"
    )

    assert [str(p) for p in sheet.problems] == [
        "line 2: timezone 'America' is not an IANA time zone name",
        "line 3: timezone 'Mars/Base' is not an IANA time zone name",
    ]


def test_an_empty_file_or_a_header_alone_is_a_problem() -> None:
    assert read_contacts("").problems == [RowProblem(1, "no header row")]
    assert read_contacts("record_id,phone_number\n").problems == [
        RowProblem(1, "no contact rows after the header")
    ]


def test_a_column_named_twice_is_a_problem_of_the_header() -> None:
    sheet = read_contacts("record_id,phone_number,name,name\nr-1,+14155550100,a,b\n")

    assert sheet.problems == [RowProblem(1, "column name appears more than once")]
