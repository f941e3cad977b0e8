"""The file store: a file's type is proved by its content, names are made safe, bytes may be encrypted, and
nothing a person uploaded is served as something that runs in the site."""
import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from union_saas.core import files
from union_saas.core.db import utcnow
from union_saas.core.errors import ValidationFailed
from union_saas.core.jobs import JobRecord
from union_saas.members import crypto

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 64
OFFICE = (files.PDF, files.PNG, files.JPEG, files.DOCX, files.XLSX, files.PPTX, files.TXT, files.CSV)


def xlsx_bytes():
    out = io.BytesIO()
    Workbook().save(out)
    return out.getvalue()


def refusal(name, data, kinds=OFFICE):
    with pytest.raises(ValidationFailed) as error:
        files.identify(name, data, kinds)
    return " ".join(error.value.errors["file"])


def test_a_file_is_what_its_content_proves_and_its_name_may_not_say_otherwise(app):
    with app.test_request_context("/?lang=en"):
        assert files.identify("photo.png", PNG, OFFICE).kind is files.PNG
        assert files.identify("photo.JPEG", JPEG, OFFICE).kind is files.JPEG
        assert files.identify("名册.xlsx", xlsx_bytes(), OFFICE).kind is files.XLSX
        assert files.identify("名册.csv", "姓名,身份证号\r\n张三,1".encode("gbk"), OFFICE).kind is files.CSV
        # the name claims another type than the content's: refused, whichever the content is
        assert "not a valid .pdf" in refusal("photo.pdf", PNG)
        assert "not a valid .png" in refusal("photo.png", b"<html><script>alert(1)</script>")
        assert "not a valid .docx" in refusal("sheet.docx", xlsx_bytes())  # a zip, but of a spreadsheet
        assert "not a valid .csv" in refusal("data.csv", bytes(range(256)))
        # a type nobody asked for, by name or by content
        assert "Allowed: csv, docx, jpeg, jpg, pdf, png, pptx, txt, xlsx" in refusal("tool.exe", b"MZ\x90\x00")
        assert "Allowed: png" in refusal("notes.txt", b"hello", kinds=(files.PNG,))
        assert "Allowed" in refusal("photo", b"just some text")  # text has no signature: its name must say so


def test_a_name_without_a_type_takes_the_type_of_the_content(app):
    with app.test_request_context("/?lang=en"):
        upload = files.identify("blob", JPEG, (files.PNG, files.JPEG))
        assert upload.kind is files.JPEG and upload.filename == "blob.jpg"


def test_size_and_emptiness_are_checked_before_the_type(app):
    with app.test_request_context("/?lang=en"):
        with pytest.raises(ValidationFailed) as error:
            files.check(io.BytesIO(PNG * 100), OFFICE, max_bytes=1024)
        assert error.value.errors["file"] == ["The file is larger than 1 KB."]
        with pytest.raises(ValidationFailed) as error:
            files.identify("empty.pdf", b"", OFFICE)
        assert error.value.errors["file"] == ["The file is empty."]


@pytest.mark.parametrize("name, clean", [
    ("plan\r\nSet-Cookie: a=b.pdf", "plan Set-Cookie: a=b.pdf"),
    ("../../etc/passwd", "passwd"),
    ("C:\\Users\\王\\报告 2026.docx", "报告 2026.docx"),
    ("\u202egpj.exe", "gpj.exe"),  # a right-to-left override would show it as "exe.jpg"
    ("tab\there\x00.txt", "tab here.txt"),
    ("   ", "file"),
    ("x" * 300 + ".pdf", "x" * 196 + ".pdf"),
])
def test_download_names_keep_the_persons_name_without_paths_or_control_characters(name, clean):
    assert files.clean_name(name) == clean


def test_encrypted_files_are_stored_as_ciphertext_and_read_back(app, db_session):
    with app.test_request_context("/?lang=en"):
        row = files.save(db_session, b"110105198501010012", filename="roster.csv", content_type="text/csv",
                         cipher=crypto.FILES)
        db_session.expire(row)
        stored = db_session.scalar(sa.select(files.StoredFile.content).where(files.StoredFile.id == row.id))
        assert b"110105" not in stored and row.cipher == "pii"
        assert files.read(row) == b"110105198501010012"


def test_the_sweep_deletes_only_the_files_nothing_points_at(app, db_session, make_user):
    owner = make_user()
    kept = files.save(db_session, b"kept", filename="kept.txt", content_type="text/plain")
    db_session.add(JobRecord(kind="k", owner_id=owner.id, file_id=kept.id))
    orphan = files.save(db_session, b"orphan", filename="orphan.txt", content_type="text/plain")
    fresh = files.save(db_session, b"fresh", filename="fresh.txt", content_type="text/plain")
    old = utcnow() - timedelta(days=1)
    db_session.execute(sa.update(files.StoredFile).where(files.StoredFile.id.in_([kept.id, orphan.id]))
                       .values(created_at=old))
    files.sweep(db_session)
    left = set(db_session.scalars(sa.select(files.StoredFile.id).where(
        files.StoredFile.id.in_([kept.id, orphan.id, fresh.id]))))
    assert left == {kept.id, fresh.id}  # a fresh one may belong to an upload still on its way


def test_a_downloaded_file_never_runs_in_the_site_and_keeps_a_non_ascii_name(app, db_session, make_user, api):
    owner = make_user()
    record = JobRecord(kind="k", owner_id=owner.id, status="finished")
    db_session.add(record)
    db_session.flush()
    record.attach_file(db_session, "名单\r\n2026.xlsx", "text/html", b"<script>alert(1)</script>")
    db_session.commit()
    response = api(owner).get(f"/api/v1/jobs/{record.id}/file")
    assert response.status_code == 200
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "\r" not in disposition and "\n" not in disposition
    assert "filename*=UTF-8''%E5%90%8D%E5%8D%95%202026.xlsx" in disposition
