"""Reading a roster file (.xlsx or .csv) safely: size, zip bombs, encodings, headers, formula cells.

The file store checks an upload's size and type (``KINDS``); ``inspect`` checks its content in the request
(a clear 422 before any job runs); ``read`` yields its rows as ``(row_number, {column: text})`` or
``(row_number, problem)`` for the job.
"""
import csv
import io
import zipfile

from flask_babel import gettext as _

from union_saas.core import files
from union_saas.core.errors import ValidationFailed

MAX_UPLOAD = 15 * 1024 * 1024  # bytes of the file itself (requests are capped at 16 MB: MAX_CONTENT_LENGTH)
MAX_UNPACKED = 200 * 1024 * 1024  # bytes an .xlsx may unpack to
MAX_ENTRIES = 2000  # files inside an .xlsx
MAX_ROWS = 200_000
# Rows (empty ones included) and columns ever looked at: a sheet may declare a million empty rows, or a cell
# in its last column, in a file of a few kilobytes.
MAX_SHEET_ROWS = MAX_ROWS + 10_000
MAX_COLUMNS = 50
HEADER_ROWS = 20  # the header must be among the first rows (all the request reads)
KINDS = (files.XLSX, files.CSV)  # what the file store takes as a roster (the content proves which)
COLUMNS = ("name", "id_number", "phone", "work_unit", "member_number")
REQUIRED = ("name", "id_number", "phone")
ALIASES = {
    "name": ("name", "realname", "fullname", "姓名", "真实姓名"),
    "id_number": ("idnumber", "id", "idcard", "idcardnumber", "身份证号", "身份证号码", "身份证", "公民身份号码",
                  "证件号码"),
    "phone": ("phone", "mobile", "phonenumber", "mobilenumber", "手机号", "手机号码", "手机", "联系电话", "电话"),
    "work_unit": ("workunit", "unit", "employer", "工作单位", "单位", "所在单位"),
    "member_number": ("membernumber", "memberno", "number", "会员编号", "会员号", "会员证号"),
}
_LOOKUP = {alias: column for column, names in ALIASES.items() for alias in names}
FORMULA = "formula"


def refuse(message):
    raise ValidationFailed(message, errors={"file": [message]})


def header_map(cells) -> dict:
    """{column: index} from a header row; 422 naming the missing columns."""
    found = {}
    for index, cell in enumerate(cells):
        key = "".join(str(cell or "").replace("\ufeff", "").split()).lower().replace("_", "").replace("-", "")
        column = _LOOKUP.get(key)
        if column and column not in found:
            found[column] = index
    missing = [c for c in REQUIRED if c not in found]
    if missing:
        refuse(_("The first row must name the columns: name, id_number, phone (or 姓名, 身份证号, 手机号); "
                 "missing: %(missing)s.", missing=", ".join(missing)))
    return found


# --- .xlsx --------------------------------------------------------------------------------------------

def check_zip(raw):
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        refuse(_("This is not a valid .xlsx file."))
    if len(entries) > MAX_ENTRIES or sum(e.file_size for e in entries) > MAX_UNPACKED:
        refuse(_("This .xlsx unpacks to more than %(n)d MB: refused.", n=MAX_UNPACKED // (1024 * 1024)))
    names = {e.filename for e in entries}
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/worksheets/") for n in names):
        refuse(_("This is not a valid .xlsx file."))


def too_many_rows():
    refuse(_("The file has more than %(n)d rows: split it.", n=MAX_ROWS))


def _xlsx_rows(raw, sized=None):
    from openpyxl import load_workbook

    check_zip(raw)
    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=False)
        sheet = book.worksheets[0]
        if (sheet.max_row or 0) > MAX_SHEET_ROWS:  # what the sheet says of itself: refused before reading
            too_many_rows()
        if sized:
            sized(sheet.max_row or 1)
        for number, row in enumerate(sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS), 1):
            if number > MAX_SHEET_ROWS:
                too_many_rows()
            yield list(row)
    except ValidationFailed:
        raise
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds on a damaged file
        refuse(_("This is not a valid .xlsx file."))


# --- .csv ---------------------------------------------------------------------------------------------

def _decode(line: bytes):
    for encoding in ("utf-8", "gb18030"):
        try:
            return line.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


BAD_TEXT = "\x00undecodable"


def _lines(raw):
    """Text lines, each decoded as UTF-8 or else GBK (GB 18030): Excel's CSV and mixed files read alike."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    for line in raw.split(b"\n"):
        text = _decode(line.rstrip(b"\r"))
        yield BAD_TEXT if text is None or "\x00" in text else text


def _csv_rows(raw):
    lines = _lines(raw)
    first = next(lines, "")
    if first == BAD_TEXT:
        refuse(_("The first row must name the columns: name, id_number, phone (or 姓名, 身份证号, 手机号); "
                 "missing: %(missing)s.", missing=", ".join(REQUIRED)))
    delimiter = max(",\t;", key=first.count)

    def all_lines():
        yield first
        yield from lines

    for number, row in enumerate(csv.reader(all_lines(), delimiter=delimiter), 1):
        if number > MAX_SHEET_ROWS:
            too_many_rows()
        row = row[:MAX_COLUMNS]
        yield [BAD_TEXT] if BAD_TEXT in row else row


# --- both ---------------------------------------------------------------------------------------------

def rows(raw, kind, sized=None):
    """Raw rows (lists of cell values) of the file's first sheet; ``sized(n)`` hears about how many."""
    if kind == "xlsx":
        return _xlsx_rows(raw, sized)
    if sized:
        sized(raw.count(b"\n") + 1)
    return _csv_rows(raw)


def inspect(raw, kind) -> dict:
    """Check the file and its header now, in the request: its first rows only (the job reads the rest)."""
    for number, cells in enumerate(rows(raw, kind), 1):
        if any(str(c).strip() for c in cells if c is not None):
            return header_map(cells)
        if number >= HEADER_ROWS:
            refuse(_("The first row must name the columns: name, id_number, phone (or 姓名, 身份证号, 手机号); "
                     "missing: %(missing)s.", missing=", ".join(REQUIRED)))
    refuse(_("The file has no rows."))


def text(value):
    """A cell as text: None, numbers as Excel shows them, or FORMULA."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = value.strip()
        return FORMULA if value.startswith("=") else value
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value).strip()


def read(raw, kind, sized=None):
    """Yield ``(row_number, cells)``: a dict column -> text, or a string naming the row's problem."""
    header = None
    count = 0
    for number, cells in enumerate(rows(raw, kind, sized), 1):
        if not any(c is not None and str(c).strip() for c in cells):
            continue
        if header is None:
            header = header_map(cells)
            continue
        count += 1
        if count > MAX_ROWS:
            too_many_rows()
        if cells == [BAD_TEXT]:
            yield number, _("This row is neither UTF-8 nor GBK text.")
            continue
        id_index = header["id_number"]
        if id_index < len(cells) and isinstance(cells[id_index], float):
            yield number, _("The ID number is stored as a number, which loses digits: format the column as text "
                            "and type the numbers again.")
            continue
        values = {column: text(cells[index]) if index < len(cells) else "" for column, index in header.items()}
        if any(v == FORMULA for v in values.values()) or any(
                isinstance(c, str) and c.strip().startswith("=") for c in cells):
            yield number, _("Formula cells are not accepted: paste the values instead.")
            continue
        yield number, values
