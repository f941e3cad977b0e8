"""The one .xlsx writer: named sheets with a bold heading row, rows streamed (openpyxl write-only).

Every string cell is text, never a live formula: text that a spreadsheet would run (starting with ``=``,
``+``, ``-``, ``@``, a tab or a CR) is written with a leading apostrophe, and characters XML cannot hold are
dropped. Sheet titles are made valid (31 characters, none of ``[]:*?/\\``, unique in the workbook).
Datetimes are shown in the zone the workbook is written for (the union's), with a date format.

    book = xlsx.Book(zone=zone_of(tenant))
    sheet = book.sheet(_("Sign-ups"), [_("Name"), _("Signed up at")])
    for row in rows:            # a generator: streamed from the database
        sheet.append([row.name, row.created_at])
    data = book.save()
"""
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PERCENT = "0.0%"
DATETIME = "yyyy-mm-dd hh:mm"
DATE = "yyyy-mm-dd"
RUNS = ("=", "+", "-", "@", "\t", "\r")  # how a cell that a spreadsheet would run starts
NOT_IN_TITLES = "[]:*?/\\"
TITLE_LENGTH = 31
PLAIN = (int, float, Decimal, bool, type(None))


def text(value: str) -> str:
    """``value`` as a cell's text that no spreadsheet runs."""
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return "'" + value if value.startswith(RUNS) else value


@dataclass(frozen=True)
class Formatted:
    """A value with its number format (``xlsx.percent(0.25)``)."""

    value: object
    number_format: str


def percent(value):
    return Formatted(value, PERCENT)


def sheet_title(name, taken=()) -> str:
    """A sheet title Excel accepts: no ``[]:*?/\\``, not quoted, 31 characters at most, not in ``taken``
    (compared as Excel does, ignoring case)."""
    title = "".join(" " if ch in NOT_IN_TITLES else ch for ch in ILLEGAL_CHARACTERS_RE.sub("", str(name)))
    title = " ".join(title.split()).strip("'")[:TITLE_LENGTH].strip() or "Sheet"
    used = {t.casefold() for t in taken}
    candidate, n = title, 1
    while candidate.casefold() in used or candidate.casefold() == "history":  # Excel keeps "History"
        n += 1
        suffix = f" ({n})"
        candidate = title[:TITLE_LENGTH - len(suffix)].rstrip() + suffix
    return candidate


class Sheet:
    """A sheet being written, row after row."""

    def __init__(self, book, worksheet):
        self._book = book
        self._sheet = worksheet
        self.rows = 0

    def append(self, values):
        self._sheet.append([self._book.cell(self._sheet, value) for value in values])
        self.rows += 1


DEFAULT_ZONE = "Asia/Shanghai"


class Book:
    """A workbook being written; ``zone``: where its datetimes are shown (the union's zone, ``zone_of``).

    No time ever leaves in UTC: without a zone, the platform's default (Asia/Shanghai); a naive datetime is
    taken as UTC, as the database keeps them."""

    def __init__(self, zone=None):
        self._book = Workbook(write_only=True)
        self._titles = []
        self._bold = Font(bold=True)
        self.zone = ZoneInfo(zone) if isinstance(zone, str) else (zone or ZoneInfo(DEFAULT_ZONE))

    def sheet(self, title, heading=()) -> Sheet:
        """A new sheet, ``title`` made valid and unique, with ``heading`` in bold."""
        title = sheet_title(title, self._titles)
        self._titles.append(title)
        worksheet = self._book.create_sheet(title)
        cells = []
        for name in heading:
            cell = WriteOnlyCell(worksheet, value=text(str(name)))
            cell.font = self._bold
            cells.append(cell)
        if cells:
            worksheet.append(cells)
        return Sheet(self, worksheet)

    def cell(self, worksheet, value):
        """What openpyxl writes for ``value``: text that never runs, local times, formatted numbers."""
        number_format = None
        if isinstance(value, Formatted):
            value, number_format = value.value, value.number_format
        if isinstance(value, datetime):
            value = (value if value.tzinfo is not None else value.replace(tzinfo=UTC)).astimezone(self.zone)
            value, number_format = value.replace(tzinfo=None), number_format or DATETIME
        elif isinstance(value, date):
            number_format = number_format or DATE
        elif not isinstance(value, PLAIN + (time,)):
            value = text(str(value))  # strings, and lazy strings of translations
        if number_format is None:
            return value
        cell = WriteOnlyCell(worksheet, value=value)
        cell.number_format = number_format
        return cell

    def save(self, out=None):
        """Write the workbook to ``out`` (a path or a binary file), or return its bytes."""
        if out is not None:
            self._book.save(out)
            return None
        buffer = io.BytesIO()
        self._book.save(buffer)
        return buffer.getvalue()
