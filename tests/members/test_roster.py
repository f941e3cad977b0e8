"""Roster upload: a job with a report; bad files refused clearly; nothing half-imported; idempotent."""
import io
import zipfile

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from tests.members.conftest import person
from union_saas.core.files import StoredFile
from union_saas.core.jobs import JobRecord, execute
from union_saas.members.models import MemberFile, Membership, RosterEntry


@pytest.fixture
def office(make_tree, make_user, grant, db_session):
    tree = make_tree("fed/street")
    admin = make_user(locale="en")  # the job speaks the uploader's language
    grant(admin, "union_admin", tree["street"])
    db_session.commit()  # the setup outlives requests that roll back
    return {"tree": tree, "admin": admin}


def people(n, born="19850101"):
    return [person(f"职工{i:03d}", born) for i in range(n)]


def csv_bytes(rows, header="姓名,身份证号,手机号,工作单位", encoding="utf-8"):
    lines = [header] + [",".join([r["real_name"], r["id_number"], r["phone"], r.get("unit", "一厂")]) for r in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def xlsx_bytes(rows, header=("name", "id_number", "phone")):
    book = Workbook()
    sheet = book.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, content, filename, slug="street"):
    return client.post(f"/api/v1/tenants/{slug}/roster?lang=en", data={"file": (io.BytesIO(content), filename)},
                       content_type="multipart/form-data")


def run_job(job_id):
    """Run a job that went to Redis (TEST_REDIS_URL) here; inline jobs have finished already."""
    from flask import current_app

    with current_app.test_request_context():  # keeps the test's session bound
        execute(job_id)


def finish(client, response):
    """The job's status document."""
    assert response.status_code == 202, response.get_data(as_text=True)
    job_id = response.json["job"]
    run_job(job_id)
    return client.get(f"/api/v1/jobs/{job_id}").json


def roster_count(db_session, tenant):
    return db_session.scalar(sa.select(sa.func.count()).select_from(RosterEntry)
                             .where(RosterEntry.tenant_id == tenant.id))


def test_gbk_csv_imports_and_the_same_file_again_changes_nothing(office, api, db_session):
    client = api(office["admin"])
    rows = people(5)
    content = csv_bytes(rows, encoding="gbk")
    job = finish(client, upload(client, content, "名册.csv"))
    assert job["status"] == "finished", job
    assert (job["result"]["imported"], job["result"]["rejected"]) == (5, 0)
    again = finish(client, upload(client, content, "名册.csv"))["result"]
    assert (again["imported"], again["updated"], again["unchanged"], again["matched"]) == (0, 0, 5, 0)
    assert roster_count(db_session, office["tree"]["street"]) == 5
    # The uploads (plaintext ID numbers inside, encrypted at rest) are gone once imported.
    assert db_session.scalar(sa.select(sa.func.count()).select_from(MemberFile).where(MemberFile.kind == "upload")) == 0
    assert db_session.scalar(sa.select(sa.func.count()).select_from(StoredFile)
                             .where(StoredFile.filename.like("roster.%"))) == 0  # their bytes too


def test_report_lists_each_rejected_row_with_its_reason_and_downloads_as_xlsx(office, api, db_session):
    client = api(office["admin"])
    good = people(2)
    bad_check = person("错号")
    bad_check["id_number"] = bad_check["id_number"][:17] + ("1" if bad_check["id_number"][17] != "1" else "2")
    rows = good + [bad_check, {**person("重复"), "id_number": good[0]["id_number"]},
                   {**person("坏手机"), "phone": "123"}]
    content = csv_bytes(rows) + b"=HYPERLINK(\"http://x\"),110105198501010012,13900000000,x\r\n,,,\r\n"
    result = finish(client, upload(client, content, "roster.csv"))["result"]
    assert (result["imported"], result["rejected"]) == (2, 4)
    reasons = {r["row"]: r["reason"] for r in result["rejected_rows"]}
    assert "check digit" in reasons[4] and "row 2" in reasons[5] and "11 digits" in reasons[6]
    assert "Formula" in reasons[7]
    assert all(bad_check["id_number"] not in r["id_number"] for r in result["rejected_rows"])
    report = client.get(f"/api/v1/tenants/street/members/files/{result['report']}")
    assert report.status_code == 200 and report.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(report.data), read_only=True)
    lines = list(book.worksheets[0].iter_rows(values_only=True))
    assert len(lines) == 1 + 4 and lines[1][0] == 4 and "check digit" in lines[1][3]
    assert all(bad_check["id_number"] not in str(line) for line in lines)
    summary = dict(list(book.worksheets[1].iter_rows(values_only=True))[1:])
    assert summary["Imported (new on the roster)"] == 2 and summary["Rejected"] == 4


def test_xlsx_with_formula_cells_and_numbers_is_checked_row_by_row(office, api):
    client = api(office["admin"])
    a, b = people(2)
    content = xlsx_bytes([[a["real_name"], a["id_number"], int(a["phone"])],
                          ["=1+1", b["id_number"], b["phone"]],
                          [b["real_name"], float(b["id_number"][:17]), b["phone"]]])
    result = finish(client, upload(client, content, "roster.xlsx"))["result"]
    assert (result["imported"], result["rejected"]) == (1, 2)
    assert "Formula" in result["rejected_rows"][0]["reason"]
    assert "stored as a number" in result["rejected_rows"][1]["reason"]


def test_bad_files_are_refused_at_once_and_nothing_changes(office, api, db_session, make_roster):
    client = api(office["admin"])
    street = office["tree"]["street"]
    kept = person()
    make_roster(street, kept["real_name"], kept["id_number"])
    db_session.commit()
    cases = {
        "wrong header": (csv_bytes(people(1), header="name,phone,unit"), "r.csv", "missing: id_number"),
        # the file store proves a type from the content: binary garbage is no .csv (it said "name the columns")
        "garbage": (bytes(range(256)) * 40000, "r.csv", "not a valid .csv"),
        "not a spreadsheet": (b"hello", "r.xlsx", "not a valid .xlsx"),
        "wrong type": (b"a,b", "r.txt", ".xlsx or .csv"),
        "empty": (b"", "r.csv", "empty"),
    }
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (300 * 1024 * 1024))
    cases["zip bomb"] = (bomb.getvalue(), "r.xlsx", "more than 200 MB")
    cases["too large"] = (b"x" * (15 * 1024 * 1024 + 1), "r.csv", "larger than 15 MB")
    cases["over the request cap"] = (b"x" * (17 * 1024 * 1024), "r.csv", "")
    for name, (content, filename, message) in cases.items():
        response = upload(client, content, filename)
        assert response.status_code in (413, 422), (name, response.status_code)
        if response.status_code == 422:
            assert message in " ".join(response.json["errors"]["file"]), (name, response.json)
    assert roster_count(db_session, street) == 1
    assert db_session.scalar(sa.select(sa.func.count()).select_from(JobRecord)) == 0


def test_a_failing_import_leaves_the_roster_as_it_was(office, api, db_session, make_roster, monkeypatch):
    from union_saas.members import importer

    client = api(office["admin"])
    street = office["tree"]["street"]
    rows = people(3)
    make_roster(street, rows[0]["real_name"], rows[0]["id_number"], phone="13000000000")
    db_session.commit()
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(importer, "audit", broken)  # fails after the rows were written
    job = finish(client, upload(client, csv_bytes(rows), "roster.csv"))
    assert job["status"] == "failed"
    assert roster_count(db_session, street) == 1
    entry = db_session.scalar(sa.select(RosterEntry).where(RosterEntry.tenant_id == street.id))
    db_session.refresh(entry)
    assert entry.phone == "13000000000"


def test_roster_rows_match_accounts_and_activate_waiting_joins(office, api, make_user, make_applicant, db_session):
    client = api(office["admin"])
    street = office["tree"]["street"]
    waiting = make_applicant(street, "pending")
    db_session.commit()
    rows = [{"real_name": waiting.real_name, "id_number": waiting.id_number, "phone": waiting.phone}] + people(1)
    result = finish(client, upload(client, csv_bytes(rows), "roster.csv"))["result"]
    assert (result["imported"], result["matched"]) == (2, 1)
    db_session.expire_all()
    m = db_session.get(Membership, waiting.id)
    assert m.status == "active" and m.verified_at is not None
    # A worker on the roster who joins now is a member at once.
    joiner = make_user()
    db_session.commit()
    assert api(joiner).post("/api/v1/tenants/street/membership", json=rows[1]).json["status"] == "active"


def test_roster_page_upload_shows_progress_page_and_report(office, login, db_session):
    client = login(office["admin"])
    assert client.get("/manage/street/roster?lang=en").status_code == 200
    response = client.post("/manage/street/roster", data={"file": (io.BytesIO(csv_bytes(people(3))), "r.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    job_id = response.headers["Location"].rsplit("/", 1)[-1]
    run_job(job_id)
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'role="progressbar"' in html and 'id="download"' in html and "3</strong>" in html
    bad = client.post("/manage/street/roster", data={"file": (io.BytesIO(b"x,y\n1,2\n"), "r.csv")},
                      content_type="multipart/form-data")
    assert bad.status_code == 422 and "id_number" in bad.get_data(as_text=True)


def test_the_report_writes_names_that_look_like_formulas_as_text(office, api):
    client = api(office["admin"])
    good, bad = people(2)
    content = csv_bytes([good, {**bad, "real_name": "@SUM(1+1)", "phone": "123"}])
    result = finish(client, upload(client, content, "roster.csv"))["result"]
    assert result["rejected"] == 1
    book = load_workbook(io.BytesIO(client.get(f"/api/v1/tenants/street/members/files/{result['report']}").data))
    cells = [cell for sheet in book.worksheets for line in sheet.iter_rows() for cell in line]
    assert not any(cell.data_type == "f" for cell in cells)
    assert "'@SUM(1+1)" in {cell.value for cell in cells}


def test_a_roster_is_known_by_its_content_not_its_name(office, api, db_session):
    client = api(office["admin"])
    response = upload(client, xlsx_bytes([]), "roster.csv")  # an .xlsx named .csv
    assert response.status_code == 422 and "not a valid .csv" in response.json["errors"]["file"][0]
    refused = upload(client, csv_bytes(people(1)), "名册")  # no extension: text has no signature to prove it
    assert refused.status_code == 422 and ".xlsx or .csv" in refused.json["errors"]["file"][0]
    one = people(1)[0]
    job = finish(client, upload(client, xlsx_bytes([[one["real_name"], one["id_number"], one["phone"]]]), "名册"))
    assert job["status"] == "finished" and job["result"]["imported"] == 1  # a workbook proves itself
