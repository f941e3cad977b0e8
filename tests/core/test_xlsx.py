"""The one .xlsx writer: user text stays text in every cell, sheet titles are valid, times are the union's."""
import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from union_saas.core import xlsx


def read(data):
    book = load_workbook(io.BytesIO(data))
    return {sheet.title: [[cell for cell in row] for row in sheet.iter_rows()] for sheet in book.worksheets}


@pytest.mark.parametrize("text", ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=cmd", "\r=cmd",
                                  "=HYPERLINK(\"http://evil\",\"x\")"])
def test_text_that_a_spreadsheet_would_run_is_written_as_text_in_every_cell(text):
    book = xlsx.Book()
    sheet = book.sheet("Sheet", [text])
    sheet.append([text, xlsx.Formatted(text, "@")])
    (heading, row), = read(book.save()).values()
    for cell in (heading[0], *row):
        # (XML reads a CR back as a line feed)
        assert cell.data_type == "s" and cell.value == "'" + text.replace("\r", "\n")


def test_numbers_dates_and_percentages_keep_their_type_and_times_are_shown_in_the_unions_zone():
    book = xlsx.Book(zone=ZoneInfo("Asia/Shanghai"))
    book.sheet("Figures", ["n"]).append([3, 2.5, -4, xlsx.percent(0.25), datetime(2026, 5, 1, 1, 30, tzinfo=UTC),
                                         None, "plain", "a\x00b\x1bc"])
    (_heading, row), = read(book.save()).values()
    assert [c.value for c in row[:3]] == [3, 2.5, -4]
    assert row[3].value == 0.25 and row[3].number_format == xlsx.PERCENT
    assert row[4].value == datetime(2026, 5, 1, 9, 30) and row[4].number_format == xlsx.DATETIME
    assert row[5].value is None and row[6].value == "plain" and row[7].value == "abc"


def test_any_title_makes_a_valid_and_unique_sheet_title():
    book = xlsx.Book()
    for title in ("Report: May? [draft] a/b\\c*d", "Report: May? [draft] a/b\\c*d", "report  MAY  draft  a b c d",
                  "'quoted'", "", "x" * 40, "x" * 40, "History"):
        book.sheet(title, ["a"])
    titles = list(read(book.save()))
    assert titles[:3] == ["Report May draft a b c d", "Report May draft a b c d (2)", "report MAY draft a b c d (3)"]
    assert all(len(t) <= 31 and not set(t) & set("[]:*?/\\") for t in titles)
    assert len({t.casefold() for t in titles}) == len(titles) and "History" not in titles
    assert titles[3] == "quoted" and titles[4] == "Sheet" and titles[6] == "x" * 27 + " (2)"


def test_no_time_leaves_in_utc_without_a_zone():
    book = xlsx.Book()
    book.sheet("T", ["At"]).append([datetime(2026, 1, 1, 16, 30, tzinfo=UTC)])
    book.sheet("N", ["At"]).append([datetime(2026, 1, 1, 16, 30)])  # naive: as the database keeps UTC
    loaded = load_workbook(io.BytesIO(book.save()))
    assert loaded["T"]["A2"].value == datetime(2026, 1, 2, 0, 30)
    assert loaded["N"]["A2"].value == datetime(2026, 1, 2, 0, 30)


def test_every_export_writes_its_times_in_the_unions_zone():
    """Each ``xlsx.Book(...)`` of the code is given the union's zone."""
    import pathlib
    import re

    import union_saas

    src = pathlib.Path(union_saas.__file__).parent
    calls = [(path, m.group(0)) for path in src.rglob("*.py") if path.name != "xlsx.py"
             for m in re.finditer(r"xlsx\.Book\([^)]*\)", path.read_text(encoding="utf-8"))]
    assert len(calls) >= 5
    assert all("zone=" in call for _path, call in calls), calls
