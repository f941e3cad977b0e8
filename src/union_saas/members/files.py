"""Spreadsheets in and out: .xlsx written with openpyxl (write-only), stored encrypted in ``MemberFile``."""
import io

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from union_saas.members import crypto
from union_saas.members.models import MemberFile

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_cell(value):
    """A value that a spreadsheet shows as text, never runs as a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def xlsx(title, header, rows, *more) -> bytes:
    """A workbook: a sheet ``title`` with a bold ``header``, then ``rows`` (sequences); ``more`` sheets
    as further (title, header, rows) triples."""
    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for name, columns, lines in ((title, header, rows), *more):
        sheet = book.create_sheet(str(name)[:31])
        cells = []
        for text in columns:
            cell = WriteOnlyCell(sheet, value=str(text))
            cell.font = bold
            cells.append(cell)
        sheet.append(cells)
        for row in lines:
            sheet.append([safe_cell(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def store(session, *, kind, tenant_id, owner_id, job_id, filename, content: bytes) -> MemberFile:
    row = MemberFile(kind=kind, tenant_id=tenant_id, owner_id=owner_id, job_id=job_id, filename=filename,
                     size=len(content), content=crypto.encrypt_file(content))
    session.add(row)
    session.flush()
    return row


def content_of(row: MemberFile) -> bytes:
    return crypto.decrypt_file(row.content)


def send(row: MemberFile):
    """A report or an export as a download (the guard checked who may have it)."""
    from flask import send_file

    return send_file(io.BytesIO(content_of(row)), mimetype=XLSX, as_attachment=True, download_name=row.filename,
                     max_age=0)
