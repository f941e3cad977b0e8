import io
import urllib.parse
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.office import helpers
from union_saas.core.db import utcnow
from union_saas.office import services
from union_saas.office.models import Assignment, Attachment, OfficeNotification, Task

FIELDS = [{"name": "Activities", "kind": "number", "required": True},
          {"name": "Participants", "kind": "number", "required": False},
          {"name": "Summary", "kind": "text", "required": True}]
DUE = "2099-05-01T18:00:00+08:00"


def count(session, model, *where):
    return session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def assignment(session, task, tenant):
    row = helpers.assignment_of(session, task, tenant)
    session.refresh(row)
    return row


@pytest.fixture
def stored(db_session):
    """How many files the test put in the file store."""
    before = helpers.stored_files(db_session)
    return lambda: helpers.stored_files(db_session) - before


def test_assigning_a_task_gives_each_addressed_office_an_open_assignment(office, api, db_session, run_job):
    tenants, people = office
    response = api(people["a"]).post("/api/v1/tenants/a/tasks", json={
        "title": "May Day report", "instructions": "Tell us *everything*", "due_at": DUE, "fields": FIELDS,
        "to": "children"})
    assert response.status_code == 202, response.get_json()
    body = response.get_json()
    assert body["task"]["fields"] == FIELDS
    assert run_job(body["job"]).status == "finished"
    rows = db_session.scalars(sa.select(Assignment).where(Assignment.task_id == body["task"]["id"])).all()
    assert sorted((r.tenant_id, r.status, r.tenant_path) for r in rows) == sorted(
        (tenants[s].id, "open", tenants[s].path) for s in ("s1", "s2"))
    items = api(people["s1"]).get("/api/v1/tenants/s1/assignments?status=open").get_json()["items"]
    assert [(i["title"], i["status"], i["overdue"]) for i in items] == [("May Day report", "open", False)]
    assert api(people["s1"]).get("/api/v1/tenants/s1/assignments?status=accepted").get_json()["total"] == 0
    listed = api(people["a"]).get("/api/v1/tenants/a/tasks").get_json()["items"]
    assert [(t["assigned_count"], t["submitted_count"]) for t in listed] == [(2, 0)]


@pytest.mark.parametrize("change, field", [
    ({"due_at": "2020-01-01T00:00:00+08:00"}, "due_at"),
    ({"fields": [{"name": "Photos", "kind": "video"}]}, "fields"),
    ({"fields": [{"name": "A", "kind": "text"}, {"name": "A", "kind": "number"}]}, "fields"),
    ({"to": ["c3"]}, "to"),
    ({"to": ["s1"]}, "to"),
    ({"title": ""}, "title"),
])
def test_bad_tasks_are_refused_and_nothing_is_assigned(office, api, db_session, change, field):
    _tenants, people = office
    body = {"title": "T", "due_at": DUE, "fields": FIELDS, "to": "children", **change}
    response = api(people["s1"]).post("/api/v1/tenants/s1/tasks", json=body)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"]
    assert count(db_session, Task) == 0 and count(db_session, Assignment) == 0


def test_a_report_missing_required_fields_is_refused_field_by_field(office, api, db_session):
    tenants, people = office
    task = helpers.assign(db_session, tenants["s1"], "children", fields=FIELDS)
    a = helpers.assignment_of(db_session, task, tenants["c1"])
    db_session.commit()
    response = api(people["c1"]).post(f"/api/v1/assignments/{a.id}/report",
                                      json={"values": {"Activities": "many", "Extra": 1}})
    assert response.status_code == 422
    errors = response.get_json()["errors"]["values"]
    assert set(errors) == {"Activities", "Summary", "Extra"}
    assert assignment(db_session, task, tenants["c1"]).status == "open"
    assert assignment(db_session, task, tenants["c1"]).report is None


def test_report_accept_return_and_resubmit(office, api, db_session):
    tenants, people = office
    task = helpers.assign(db_session, tenants["s1"], "children", fields=FIELDS)
    a = helpers.assignment_of(db_session, task, tenants["c1"])
    db_session.commit()
    c1, s1 = api(people["c1-officer"]), api(people["s1"])
    # Accepting what was not submitted is a conflict.
    assert s1.post(f"/api/v1/assignments/{a.id}/accept").status_code == 409
    response = c1.post(f"/api/v1/assignments/{a.id}/report",
                       json={"values": {"Activities": "3", "Summary": "Choir and a football match"}})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "submitted" and response.get_json()["report"]["Activities"] == 3
    # A submitted report may be replaced until accepted.
    assert c1.post(f"/api/v1/assignments/{a.id}/report",
                   json={"values": {"Activities": 4, "Summary": "Choir"}}).status_code == 200
    # The assignee may not accept its own report; returning needs a reason.
    assert api(people["c1"]).post(f"/api/v1/assignments/{a.id}/accept").status_code == 403
    response = s1.post(f"/api/v1/assignments/{a.id}/return", json={"reason": "  "})
    assert response.status_code == 422 and "reason" in response.get_json()["errors"]
    response = s1.post(f"/api/v1/assignments/{a.id}/return", json={"reason": "Add the participants"})
    assert response.get_json()["status"] == "returned" and response.get_json()["reason"] == "Add the participants"
    assert c1.post(f"/api/v1/assignments/{a.id}/report",
                   json={"values": {"Activities": 4, "Participants": 120, "Summary": "Choir"}}).status_code == 200
    assert s1.post(f"/api/v1/assignments/{a.id}/accept").get_json()["status"] == "accepted"
    # Accepting twice, or reporting after acceptance: a conflict, and nothing changes.
    assert s1.post(f"/api/v1/assignments/{a.id}/accept").status_code == 409
    assert c1.post(f"/api/v1/assignments/{a.id}/report",
                   json={"values": {"Activities": 1, "Summary": "x"}}).status_code == 409
    row = assignment(db_session, task, tenants["c1"])
    assert row.status == "accepted" and row.report["Participants"] == 120 and row.report["Activities"] == 4


def test_nobody_reports_on_someone_elses_assignment(office, api, db_session):
    tenants, people = office
    task = helpers.assign(db_session, tenants["s1"], "children")
    a = helpers.assignment_of(db_session, task, tenants["c2"])
    db_session.commit()
    # Another union's office does not see it; the parent's admin sees it but may not report for it.
    assert api(people["c1"]).post(f"/api/v1/assignments/{a.id}/report", json={"values": {}}).status_code == 404
    assert api(people["c3"]).post(f"/api/v1/assignments/{a.id}/report", json={"values": {}}).status_code == 404
    assert api(people["s1"]).post(f"/api/v1/assignments/{a.id}/report", json={"values": {}}).status_code == 403
    assert assignment(db_session, task, tenants["c2"]).status == "open"


def test_progress_counts_each_child_with_everything_below_and_flags_overdue(office, api, db_session):
    tenants, people = office
    task = helpers.assign(db_session, tenants["a"], "subtree", fields=FIELDS)
    for slug, status, activities in (("s1", "submitted", 7), ("c1", "accepted", 3), ("c2", "open", None)):
        row = helpers.assignment_of(db_session, task, tenants[slug])
        row.status = status
        row.report = {"Activities": activities, "Summary": "x"} if activities else None
    helpers.assignment_of(db_session, task, tenants["c3"]).due_at = utcnow() - timedelta(hours=1)
    db_session.commit()
    rows = api(people["a"]).get(f"/api/v1/tasks/{task.id}/progress?under=a").get_json()["items"]
    assert [(r["tenant"], r["status"], r["assigned"], r["submitted"], r["accepted"], r["overdue"]) for r in rows] == [
        ("s1", "submitted", 3, 2, 1, 0), ("s2", "open", 2, 0, 0, 1)]
    assert rows[0]["values"] == {"Activities": 7, "Participants": None}
    rows = api(people["s1"]).get(f"/api/v1/tasks/{task.id}/progress?under=s1").get_json()["items"]
    assert [(r["tenant"], r["status"], r["values"]["Activities"]) for r in rows] == [("c1", "accepted", 3),
                                                                                     ("c2", "open", None)]
    assert api(people["s1"]).get(f"/api/v1/tasks/{task.id}/progress?under=a").status_code == 404
    assert api(people["s2"]).get(f"/api/v1/tasks/{task.id}/progress?under=s1").status_code == 404
    c3 = api(people["c3"]).get("/api/v1/tenants/c3/assignments").get_json()["items"]
    assert c3[0]["overdue"] is True
    listed = api(people["a"]).get("/api/v1/tenants/a/tasks").get_json()["items"][0]
    assert (listed["assigned_count"], listed["submitted_count"], listed["accepted_count"],
            listed["overdue_count"]) == (5, 2, 1, 1)


def test_the_progress_page_drills_down_and_sums_the_numbers(office, login, db_session):
    tenants, people = office
    task = helpers.assign(db_session, tenants["a"], "children", fields=FIELDS)
    for slug, n in (("s1", 7), ("s2", 5)):
        row = helpers.assignment_of(db_session, task, tenants[slug])
        row.status, row.report = "submitted", {"Activities": n, "Summary": "x"}
    html = login(people["a"]).get(f"/manage/a/office/tasks/{task.id}/progress").get_data(as_text=True)
    assert "<th>12</th>" in html


# --- cascade ----------------------------------------------------------------------------------------

def test_cascade_passes_the_task_down_and_the_parent_reports_after_its_children(office, api, db_session, run_job,
                                                                               login):
    tenants, people = office
    task = helpers.assign(db_session, tenants["a"], "children", fields=FIELDS)
    s1 = helpers.assignment_of(db_session, task, tenants["s1"])
    db_session.commit()
    response = api(people["s1"]).post(f"/api/v1/assignments/{s1.id}/cascade", json={"to": "children"})
    assert response.status_code == 202, response.get_json()
    run_job(response.get_json()["job"])
    kids = {a.tenant_id: a for a in db_session.scalars(sa.select(Assignment)
                                                       .where(Assignment.parent_assignment_id == s1.id))}
    assert set(kids) == {tenants["c1"].id, tenants["c2"].id}
    values = {"Activities": 2, "Summary": "ok"}
    response = api(people["s1"]).post(f"/api/v1/assignments/{s1.id}/report", json={"values": values})
    assert response.status_code == 409
    c1, c2 = kids[tenants["c1"].id], kids[tenants["c2"].id]
    assert api(people["c1"]).post(f"/api/v1/assignments/{c1.id}/report", json={"values": values}).status_code == 200
    assert api(people["s1"]).post(f"/api/v1/assignments/{s1.id}/report", json={"values": values}).status_code == 409
    assert api(people["c2"]).post(f"/api/v1/assignments/{c2.id}/report",
                                  json={"values": {"Activities": 5, "Summary": "ok"}}).status_code == 200
    # The one who cascaded decides on its children's reports; a returned child blocks the parent again.
    assert api(people["s1"]).post(f"/api/v1/assignments/{c1.id}/accept").status_code == 200
    assert api(people["s1"]).post(f"/api/v1/assignments/{c2.id}/return", json={"reason": "?"}).status_code == 200
    assert api(people["s1"]).post(f"/api/v1/assignments/{s1.id}/report", json={"values": values}).status_code == 409
    assert api(people["c2"]).post(f"/api/v1/assignments/{c2.id}/report",
                                  json={"values": {"Activities": 5, "Summary": "ok"}}).status_code == 200
    # The parent sees its children's reports, summed, to consolidate.
    html = login(people["s1"]).get(f"/manage/s1/office/assignments/{s1.id}").get_data(as_text=True)
    assert "<th>7</th>" in html and 'value="7"' in html
    assert api(people["s1"]).post(f"/api/v1/assignments/{s1.id}/report",
                                  json={"values": {"Activities": 7, "Summary": "All"}}).status_code == 200
    rows = api(people["a"]).get(f"/api/v1/tasks/{task.id}/progress?under=a").get_json()["items"]
    assert [(r["tenant"], r["assigned"], r["submitted"], r["values"]["Activities"]) for r in rows] == [
        ("s1", 3, 3, 7), ("s2", 1, 0, None)]
    # Running the cascade again creates nothing twice.
    assert services.fan_out_task(db_session, task, tenants["s1"], "children", [], parent=s1)["created"] == 0


def test_cascade_is_refused_outside_the_subtree_or_after_reporting(office, api, db_session):
    tenants, people = office
    task = helpers.assign(db_session, tenants["a"], "children")
    s1 = helpers.assignment_of(db_session, task, tenants["s1"])
    db_session.commit()
    response = api(people["s1"]).post(f"/api/v1/assignments/{s1.id}/cascade", json={"to": ["c3"]})
    assert response.status_code == 422 and "to" in response.get_json()["errors"]
    assert api(people["c1"]).post(f"/api/v1/assignments/{s1.id}/cascade", json={"to": "children"}).status_code == 404
    assert api(people["s1"]).post(f"/api/v1/assignments/{s1.id}/report", json={"values": {}}).status_code == 200
    assert api(people["s1"]).post(f"/api/v1/assignments/{s1.id}/cascade", json={"to": "children"}).status_code == 409
    assert count(db_session, Assignment, Assignment.parent_assignment_id == s1.id) == 0


# --- attachments ------------------------------------------------------------------------------------

FILE_FIELDS = [{"name": "Photos", "kind": "file", "required": True}]


def test_a_required_file_must_be_attached_and_can_be_downloaded(office, api, db_session, stored):
    tenants, people = office
    task = helpers.assign(db_session, tenants["s1"], "children", fields=FILE_FIELDS)
    a = helpers.assignment_of(db_session, task, tenants["c1"])
    db_session.commit()
    response = api(people["c1"]).post(f"/api/v1/assignments/{a.id}/report", json={"values": {}})
    assert response.status_code == 422 and "Photos" in response.get_json()["errors"]["values"]
    response = api(people["c1"]).post(f"/api/v1/assignments/{a.id}/attachments",
                                      data={"field": "Photos", **helpers.png()})
    assert response.status_code == 201, response.get_json()
    attachment = response.get_json()
    assert attachment["content_type"] == "image/png" and attachment["size"] == len(helpers.PNG)
    assert stored() == 1
    assert api(people["c1"]).post(f"/api/v1/assignments/{a.id}/report", json={"values": {}}).status_code == 200
    download = api(people["s1"]).get(f"/api/v1/attachments/{attachment['id']}")
    assert download.status_code == 200 and download.data == helpers.PNG
    assert api(people["c2"]).get(f"/api/v1/attachments/{attachment['id']}").status_code == 404


@pytest.mark.parametrize("name, content", [
    ("tool.exe", b"MZ\x90\x00"),
    ("photo.png", b"this is not a picture"),
    ("big.txt", b"x" * 2048),
    ("empty.pdf", b""),
])
def test_bad_attachments_are_refused_and_nothing_is_kept(office, api, db_session, stored, app, monkeypatch,
                                                         name, content):
    tenants, people = office
    monkeypatch.setitem(app.config, "OFFICE_UPLOAD_MAX_BYTES", 1024)
    task = helpers.assign(db_session, tenants["s1"], "children", fields=FILE_FIELDS)
    a = helpers.assignment_of(db_session, task, tenants["c1"])
    db_session.commit()
    response = api(people["c1"]).post(f"/api/v1/assignments/{a.id}/attachments",
                                      data={"field": "Photos", "file": (io.BytesIO(content), name)})
    assert response.status_code == 422 and "file" in response.get_json()["errors"], response.get_json()
    assert count(db_session, Attachment) == 0 and stored() == 0


def test_an_attachment_to_an_unknown_field_or_an_accepted_report_is_refused(office, api, db_session, stored):
    tenants, people = office
    task = helpers.assign(db_session, tenants["s1"], "children", fields=FILE_FIELDS)
    a = helpers.assignment_of(db_session, task, tenants["c1"])
    db_session.commit()
    response = api(people["c1"]).post(f"/api/v1/assignments/{a.id}/attachments",
                                      data={"field": "Video", **helpers.png()})
    assert response.status_code == 422 and "field" in response.get_json()["errors"]
    a.status = "accepted"
    db_session.commit()
    response = api(people["c1"]).post(f"/api/v1/assignments/{a.id}/attachments",
                                      data={"field": "Photos", **helpers.png()})
    assert response.status_code == 409
    assert count(db_session, Attachment) == 0 and stored() == 0


# --- export and reminders ---------------------------------------------------------------------------

def test_all_reports_export_to_xlsx_as_a_job(office, api, db_session, stored, run_job):
    from openpyxl import load_workbook

    tenants, people = office
    task = helpers.assign(db_session, tenants["a"], "subtree", fields=FIELDS + FILE_FIELDS)
    row = helpers.assignment_of(db_session, task, tenants["c1"])
    row.status, row.report = "accepted", {"Activities": 3, "Summary": "Choir"}
    db_session.add(Attachment(assignment_id=row.id, field="Photos", file=helpers.png_file(db_session, "choir.jpg")))
    db_session.commit()
    response = api(people["a"]).post(f"/api/v1/tasks/{task.id}/export")
    assert response.status_code == 202
    job = response.get_json()["job"]
    record = run_job(job)
    assert record.status == "finished" and record.result["rows"] == 5
    download = api(people["a"]).get(f"/api/v1/jobs/{job}/file")
    assert download.status_code == 200
    sheet = load_workbook(io.BytesIO(download.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 6
    c1 = next(r for r in rows if r[1] == "c1")
    assert c1[6] == 3 and c1[8] == "Choir" and c1[9] == "choir.jpg"
    assert api(people["s1"]).get(f"/api/v1/jobs/{job}/file").status_code == 404
    assert api(people["s1"]).post(f"/api/v1/tasks/{task.id}/export").status_code == 404


def test_a_title_with_colons_and_question_marks_exports_and_report_text_stays_text(office, api, db_session, run_job):
    from openpyxl import load_workbook

    tenants, people = office
    task = helpers.assign(db_session, tenants["a"], "subtree", fields=FIELDS, title="Q2 report: done? [draft] a/b")
    row = helpers.assignment_of(db_session, task, tenants["c1"])
    row.status, row.report = "accepted", {"Activities": 3, "Summary": "=HYPERLINK(\"http://evil\",\"x\")"}
    tenants["c2"].name = "+cmd|' /C calc'!A0"
    db_session.commit()
    record = run_job(api(people["a"]).post(f"/api/v1/tasks/{task.id}/export").get_json()["job"])
    assert record.status == "finished", record.error
    book = load_workbook(io.BytesIO(api(people["a"]).get(f"/api/v1/jobs/{record.id}/file").data))
    assert book.sheetnames == ["Q2 report done draft a b"]
    cells = [cell for line in book.active.iter_rows() for cell in line]
    assert not any(cell.data_type == "f" for cell in cells)
    values = {cell.value for cell in cells}
    assert "'=HYPERLINK(\"http://evil\",\"x\")" in values and "'+cmd|' /C calc'!A0" in values


def test_a_file_name_with_line_breaks_is_stored_without_them_and_downloads(office, api, db_session, stored):
    tenants, people = office
    task = helpers.assign(db_session, tenants["s1"], "children", fields=FILE_FIELDS)
    a = helpers.assignment_of(db_session, task, tenants["c1"])
    db_session.commit()
    # A client may send any name (RFC 2231 encodes a CR LF): here one that would start a header of its own.
    name = urllib.parse.quote("plan\r\nSet-Cookie: x=1 照片.png")
    body = (b"--B\r\nContent-Disposition: form-data; name=\"field\"\r\n\r\nPhotos\r\n--B\r\n"
            b"Content-Disposition: form-data; name=\"file\"; filename*=UTF-8''" + name.encode() + b"\r\n"
            b"Content-Type: image/png\r\n\r\n" + helpers.PNG + b"\r\n--B--\r\n")
    response = api(people["c1"]).post(f"/api/v1/assignments/{a.id}/attachments", data=body,
                                      content_type="multipart/form-data; boundary=B")
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["filename"] == "plan Set-Cookie: x=1 照片.png" and stored() == 1
    download = api(people["s1"]).get(f"/api/v1/attachments/{response.get_json()['id']}")
    assert download.status_code == 200 and download.data == helpers.PNG
    assert "Set-Cookie" not in download.headers
    assert "filename*=UTF-8''plan%20Set-Cookie%3A%20x%3D1%20%E7%85%A7%E7%89%87.png" in \
        download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"


def test_the_export_and_the_report_page_cost_the_same_queries_whatever_the_number_of_files(
        office, api, login, db_session, app, count_queries, queries_of):
    from union_saas.core import jobs
    from union_saas.office import tasks

    tenants, people = office
    task = helpers.assign(db_session, tenants["s1"], "children", fields=FIELDS + FILE_FIELDS)
    a = helpers.assignment_of(db_session, task, tenants["c1"])
    db_session.commit()
    page, costs = login(people["c1"]), []
    for files in (1, 1, 3):  # the first warms the session's identity map
        while count(db_session, Attachment) < files:
            db_session.add(Attachment(assignment_id=a.id, field="Photos", file=helpers.png_file(db_session)))
            db_session.commit()
        with app.test_request_context():
            record = jobs.submit(db_session, tasks.export_reports, task.id, owner=people["s1"], tenant=tenants["s1"])
        db_session.commit()
        with count_queries() as counter:
            jobs.execute(record.id)
        costs.append((counter.count, *queries_of(lambda: page.get(f"/manage/c1/office/assignments/{a.id}"))))
    assert costs[1] == costs[2], costs


def test_reminders_go_out_the_day_before_and_on_the_due_date_once(office, api, db_session, app):
    tenants, _people = office
    task = helpers.assign(db_session, tenants["a"], "children", due=utcnow() + timedelta(days=5))
    s1 = helpers.assignment_of(db_session, task, tenants["s1"])
    s2 = helpers.assignment_of(db_session, task, tenants["s2"])
    s2.status = "submitted"
    db_session.flush()
    day_before = task.due_at - timedelta(days=1)
    assert services.send_due_reminders(db_session, now=day_before) == {"task.due_today": 0, "task.due_soon": 1}
    assert services.send_due_reminders(db_session, now=day_before) == {"task.due_today": 0, "task.due_soon": 0}
    assert services.send_due_reminders(db_session, now=task.due_at - timedelta(minutes=1)) == {
        "task.due_today": 1, "task.due_soon": 0}
    kinds = db_session.scalars(sa.select(OfficeNotification.kind).where(OfficeNotification.tenant_id == s1.tenant_id)
                               .order_by(OfficeNotification.id)).all()
    assert kinds == ["task.due_soon", "task.due_today"]
    assert count(db_session, OfficeNotification, OfficeNotification.tenant_id == s2.tenant_id) == 0


def test_the_send_reminders_command_runs(office, app, db_session):
    tenants, _people = office
    helpers.assign(db_session, tenants["a"], "children", due=utcnow() + timedelta(hours=1))
    result = app.test_cli_runner().invoke(args=["office", "send-reminders"])
    assert result.exit_code == 0, result.output
    assert "due today: 2" in result.output or "due tomorrow: 2" in result.output


# --- pages ------------------------------------------------------------------------------------------

def test_the_task_form_refuses_a_past_due_date_and_keeps_what_was_typed(office, login, db_session):
    _tenants, people = office
    response = login(people["s1"]).post("/manage/s1/office/tasks/new", data={
        "title": "Kept title", "due_at": "2020-01-01T09:00", "to": "children", "field_name_0": "Photos",
        "field_kind_0": "file"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Kept title" in html and 'value="Photos"' in html
    assert count(db_session, Task) == 0


def test_the_task_form_assigns_with_fields(office, login, db_session, run_job):
    tenants, people = office
    response = login(people["s1"]).post("/manage/s1/office/tasks/new", data={
        "title": "Headcount", "due_at": "2099-01-01T09:00", "to": "list", "to_union": "c2",
        "field_name_0": "People", "field_kind_0": "number", "field_required_0": "1"})
    assert response.status_code == 302
    run_job(response.headers["Location"].split("/jobs/")[1].split("?")[0])
    task = db_session.scalar(sa.select(Task))
    assert task.fields == [{"name": "People", "kind": "number", "required": True}]
    assert task.due_at.astimezone(services.LOCAL_ZONE).hour == 9
    assert [a.tenant_id for a in db_session.scalars(sa.select(Assignment))] == [tenants["c2"].id]


def test_the_report_page_shows_field_errors_and_then_submits(office, login, db_session, stored):
    tenants, people = office
    task = helpers.assign(db_session, tenants["s1"], "children", fields=FIELDS + FILE_FIELDS)
    a = helpers.assignment_of(db_session, task, tenants["c1"])
    db_session.commit()
    client = login(people["c1"])
    response = client.post(f"/manage/c1/office/assignments/{a.id}/report", data={"v_Activities": "x",
                                                                                  "v_Summary": "Kept"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "请输入数字。" in html and "Kept" in html and "请至少上传一个文件。" in html
    response = client.post(f"/manage/c1/office/assignments/{a.id}/attachments",
                           data={"field": "Photos", "file": (io.BytesIO(b"not a png"), "x.png")})
    assert response.status_code == 422 and count(db_session, Attachment) == 0
    assert client.post(f"/manage/c1/office/assignments/{a.id}/attachments",
                       data={"field": "Photos", **helpers.png()}).status_code == 302
    assert client.post(f"/manage/c1/office/assignments/{a.id}/report",
                       data={"v_Activities": "2", "v_Summary": "Done"}).status_code == 302
    assert assignment(db_session, task, tenants["c1"]).status == "submitted"
    html = login(people["s1"]).get(f"/manage/c1/office/assignments/{a.id}").get_data(as_text=True)
    assert "photo.png" in html and "/accept" in html


def test_the_assignment_job_asks_again_whether_the_assigner_may_assign(office, app, db_session):
    from union_saas.access.models import Grant
    from union_saas.core import jobs
    from union_saas.core.jobs import JobRecord
    from union_saas.office import tasks

    tenants, people = office
    task = services.create_task(db_session, people["s1"], tenants["s1"],
                                {"title": "T", "to": "children", "due_at": utcnow() + timedelta(days=1)})
    with app.test_request_context():
        record = jobs.submit(db_session, tasks.assign_task, task.id, owner=people["s1"], tenant=tenants["s1"])
    for row in db_session.scalars(sa.select(Grant).where(Grant.user_id == people["s1"].id)):
        row.revoked_at = utcnow()
    db_session.flush()
    jobs.execute(record.id)
    assert db_session.get(JobRecord, record.id).status == "failed"
    assert count(db_session, Assignment) == 0


def test_a_moved_union_keeps_its_assignment_without_leaking_into_its_new_branch(office, api, db_session):
    from union_saas.tenancy import services as tenancy

    tenants, people = office
    task = helpers.assign(db_session, tenants["s1"], "children")
    tenancy.move(db_session, people["a"], tenants["c1"], tenants["s2"])
    db_session.commit()
    assert api(people["s2"]).get(f"/api/v1/tasks/{task.id}/progress?under=s2").status_code == 404
    rows = api(people["s1"]).get(f"/api/v1/tasks/{task.id}/progress?under=s1").get_json()["items"]
    assert [r["tenant"] for r in rows] == ["c1", "c2"]
    assert api(people["c1"]).get("/api/v1/tenants/c1/assignments").get_json()["total"] == 1


def test_the_export_shows_times_in_the_assigning_unions_zone(office, api, db_session, run_job):
    from datetime import UTC, datetime

    from openpyxl import load_workbook

    tenants, people = office
    tenants["a"].timezone = "America/New_York"
    task = helpers.assign(db_session, tenants["a"], "subtree", fields=FIELDS)
    row = helpers.assignment_of(db_session, task, tenants["c1"])
    row.status, row.report = "submitted", {"Activities": 1, "Summary": "x"}
    row.submitted_at = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    db_session.commit()
    record = run_job(api(people["a"]).post(f"/api/v1/tasks/{task.id}/export").get_json()["job"])
    sheet = load_workbook(io.BytesIO(api(people["a"]).get(f"/api/v1/jobs/{record.id}/file").data)).active
    c1 = next(r for r in sheet.iter_rows(values_only=True) if r[1] == "c1")
    assert c1[4] == datetime(2026, 3, 1, 7, 0)  # 12:00 UTC is 07:00 in New York
