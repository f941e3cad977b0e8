"""What an insider or an outsider could learn or break through membership: a roster verifies only its own
person (name, ID number and mobile number), the join answer tells nothing of other federations, no ID
number leaves its encrypted column unmasked (whatever the order of a roster's columns), and a tiny
spreadsheet declaring a million rows is refused before it is read."""
import io
import json

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from tests.members.conftest import person
from tests.members.test_roster import finish, upload
from union_saas.core import files
from union_saas.core.audit import AuditEntry
from union_saas.core.jobs import JobRecord
from union_saas.members.models import MemberFile, Membership, RosterEntry


@pytest.fixture
def office(make_tree, make_user, grant, db_session):
    tree = make_tree("fed/street", "other/far")
    admin = make_user(locale="en")
    grant(admin, "union_admin", tree["street"])
    db_session.commit()
    return {"tree": tree, "admin": admin}


def test_knowing_a_rostered_persons_name_and_id_number_is_not_enough(office, make_user, make_roster, api):
    who = person("孙八")
    make_roster(office["tree"]["street"], who["real_name"], who["id_number"], phone=who["phone"])
    impostor = api(make_user()).post("/api/v1/tenants/street/membership",
                                     json={**who, "phone": "13700000001"})
    assert impostor.status_code == 201 and impostor.json["status"] == "pending"


def test_the_rostered_person_with_their_own_phone_is_verified(office, make_user, make_roster, api):
    who = person("周九")
    make_roster(office["tree"]["street"], who["real_name"], who["id_number"], phone=who["phone"])
    assert api(make_user()).post("/api/v1/tenants/street/membership", json=who).json["status"] == "active"


def test_a_roster_row_without_a_phone_verifies_nobody(office, make_user, make_roster, api):
    who = person("吴十")
    make_roster(office["tree"]["street"], who["real_name"], who["id_number"])
    assert api(make_user()).post("/api/v1/tenants/street/membership", json=who).json["status"] == "pending"


def test_the_join_answer_does_not_tell_whether_an_id_number_is_a_member_in_another_federation(
        office, make_user, make_applicant, api):
    member = make_applicant(office["tree"]["far"], "active")  # federation "other"
    probe = {"real_name": member.real_name, "id_number": member.id_number, "phone": "13700000002"}
    known = api(make_user()).post("/api/v1/tenants/street/membership", json=probe)
    unknown = api(make_user()).post("/api/v1/tenants/street/membership", json=person("郑一"))
    assert (known.status_code, known.json["status"]) == (unknown.status_code, unknown.json["status"]) == (201, "pending")


def test_an_impostors_pending_join_is_not_activated_by_the_next_roster_upload(office, make_user, api, db_session):
    who = person("王二")
    impostor = make_user()
    assert api(impostor).post("/api/v1/tenants/street/membership",
                              json={**who, "phone": "13700000003"}).json["status"] == "pending"
    content = f"姓名,身份证号,手机号\n{who['real_name']},{who['id_number']},{who['phone']}\n".encode()
    client = api(office["admin"])
    result = finish(client, upload(client, content, "r.csv"))["result"]
    assert result["matched"] == 0 and result["activated"] == 0
    assert db_session.scalar(sa.select(Membership.status).where(Membership.user_id == impostor.id)) == "pending"


def test_swapped_columns_leave_no_plain_id_number_in_results_reports_audit_or_rows(office, api, db_session):
    people = [person(f"员工{n}") for n in range(3)]
    # name and ID number swapped in the first rows, ID number in the work unit column in the last.
    lines = ["姓名,身份证号,手机号,工作单位"]
    lines += [f"{p['id_number']},{p['real_name']},{p['phone']},一厂" for p in people[:2]]
    lines.append(f"{people[2]['real_name']},{people[2]['id_number']},{people[2]['phone']},{people[0]['id_number']}")
    client = api(office["admin"])
    job = finish(client, upload(client, "\n".join(lines).encode(), "swapped.csv"))
    assert job["status"] == "finished" and job["result"]["rejected"] == 3, job
    db_session.expire_all()
    record = db_session.get(JobRecord, job["id"])
    stored = [json.dumps(record.result, ensure_ascii=False), record.error or "",
              json.dumps([e.detail for e in db_session.scalars(sa.select(AuditEntry))], ensure_ascii=False)]
    report = db_session.get(MemberFile, job["result"]["report"])
    book = load_workbook(io.BytesIO(files.read(report.file)), read_only=True)
    stored += [str(cell) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for cell in row]
    stored += [str(row) for row in db_session.execute(sa.select(RosterEntry.name, RosterEntry.work_unit,
                                                                RosterEntry.member_number))]
    for p in people:
        assert not any(p["id_number"] in text for text in stored), p["id_number"]
    assert any(p["id_number"][:3] + "*" * 11 + p["id_number"][-4:] in stored[0] for p in people)


def declared_rows_xlsx(rows, column=1, header=True):
    book = Workbook()
    sheet = book.active
    if header:
        sheet.append(["name", "id_number", "phone"])
    sheet.cell(row=rows, column=column, value="x")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_tiny_xlsx_declaring_a_million_rows_is_refused_in_the_request(office, api, db_session):
    content = declared_rows_xlsx(1_000_000)
    assert len(content) < 10_000
    response = upload(api(office["admin"]), content, "tiny.xlsx")
    assert response.status_code == 422 and "more than 200000 rows" in " ".join(response.json["errors"]["file"])
    assert db_session.scalar(sa.select(sa.func.count()).select_from(JobRecord)) == 0


def test_empty_rows_before_the_header_are_not_read_to_the_end(office, api, monkeypatch):
    from union_saas.members import roster

    read = []
    real = roster._xlsx_rows
    monkeypatch.setattr(roster, "_xlsx_rows", lambda *a, **k: (read.append(1) or row for row in real(*a, **k)))
    content = declared_rows_xlsx(150_000, column=16_000, header=False)  # no header, one far cell
    response = upload(api(office["admin"]), content, "wide.xlsx")
    assert response.status_code == 422 and "name the columns" in " ".join(response.json["errors"]["file"])
    assert len(read) <= roster.HEADER_ROWS


def test_the_job_reads_no_more_rows_or_columns_than_the_caps(app):
    from union_saas.members import roster

    content = declared_rows_xlsx(roster.MAX_SHEET_ROWS - 5, column=16_000)
    widths = [len(cells) for cells in roster.rows(content, "xlsx")]
    assert max(widths) <= roster.MAX_COLUMNS
    from union_saas.core.errors import ValidationFailed

    with app.test_request_context(), pytest.raises(ValidationFailed):
        list(roster.rows(declared_rows_xlsx(roster.MAX_SHEET_ROWS + 5), "xlsx"))
