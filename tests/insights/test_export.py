"""The .xlsx export of the insights page: a job with a bar, exactly the page's table (columns, order,
headings in the reader's language), for the caller's subtree only, asking again when it runs."""
import html
import io
import re

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from union_saas.access.models import Grant
from union_saas.core import jobs
from union_saas.core.db import utcnow
from union_saas.core.jobs import JobRecord
from union_saas.insights import services, tasks


@pytest.fixture
def world(db_session, make_tree, make_user, make_member, grant):
    t = make_tree("fed/s1/c1", "fed/s1/c2", "fed/s2", "fed/s3", "other/o1")
    for slug, n in (("s1", 3), ("c1", 2), ("c2", 4), ("s2", 1), ("o1", 5)):
        for _ in range(n):
            make_member(make_user(), t[slug])
    admin = make_user("fed-admin")
    grant(admin, "federation_admin", t["fed"])
    street = make_user("s1-admin", locale="en")
    grant(street, "union_admin", t["s1"])
    services.refresh_all(db_session)
    return t, admin, street


def workbook(client, response):
    """Follow the export's job (run it when it went to Redis) and open the file it made."""
    location = response.headers["Location"]
    job_id = re.search(r"/jobs/([0-9a-f-]+)", location).group(1)
    run(job_id)
    page = client.get(f"/jobs/{job_id}")
    assert page.status_code == 200
    file = client.get(f"/jobs/{job_id}/file")
    assert file.status_code == 200, file.get_data(as_text=True)[:300]
    return load_workbook(io.BytesIO(file.data), read_only=True)


def run(job_id):
    from flask import current_app

    with current_app.test_request_context():
        jobs.execute(job_id)  # nothing to do when it ran inline already


def page_table(markup):
    """The per-child table of the page: its headings and its rows' cells, as text."""
    table = markup[markup.index('<table class="insights-table">'):markup.index("</table>")]
    text = lambda cell: html.unescape(re.sub(r"<[^>]+>", "", cell)).replace("▲", "").replace("▼", "").strip()
    headings = [text(th) for th in re.findall(r"<th.*?</th>", table, re.DOTALL)]
    body = table.split("<tbody>")[1]
    rows = [[text(td) for td in re.findall(r"<td.*?</td>", tr, re.DOTALL)]
            for tr in re.findall(r"<tr>(.*?)</tr>", body, re.DOTALL)]
    return headings, rows


def cell_text(value):
    if value is None:
        return "—"
    return str(value)


@pytest.mark.parametrize("locale", ["zh", "en"])
def test_export_holds_the_page_table_in_the_page_order_and_language(world, login, locale):
    _t, admin, _street = world
    client = login(admin)
    client.set_cookie("locale", locale)
    markup = client.get("/manage/fed/insights?sort=members_active&dir=desc").get_data(as_text=True)
    headings, rows = page_table(markup)
    assert 'action="/manage/fed/insights/export"' in markup and 'name="sort" value="members_active"' in markup
    response = client.post("/manage/fed/insights/export", data={"sort": "members_active", "dir": "desc"})
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"]
    book = workbook(client, response)
    assert len(book.sheetnames) == 4
    sheet = book[book.sheetnames[1]]
    lines = list(sheet.iter_rows(values_only=True))
    assert list(lines[0]) == headings
    assert [line[0] for line in lines[1:]] == [row[0] for row in rows] == ["S1", "S2", "S3"]
    for line, row in zip(lines[1:], rows, strict=True):
        figures = [cell_text(v) for v in line[1:-1]]
        assert figures == row[1:-1]
    if locale == "zh":
        assert headings[:4] == ["工会", "待审核", "在册会员", "近30天活跃"]
    else:
        assert headings[:4] == ["Union", "Pending", "Active members", "Active in the last 30 days"]


def test_export_covers_the_callers_subtree_only(world, login, db_session):
    t, _admin, street = world
    client = login(street)
    client.set_cookie("locale", "en")
    book = workbook(client, client.post("/manage/s1/insights/export", data={}))
    table = list(book[book.sheetnames[1]].iter_rows(values_only=True))
    assert [line[0] for line in table[1:]] == ["C1", "C2"]
    figures = {line[0]: line[1] for line in book[book.sheetnames[0]].iter_rows(values_only=True)}
    assert figures["Active members"] == 9 and figures["Union"] == t["s1"].name  # 3 + 2 + 4, in English
    assert "Active in the last 30 days" in figures
    assert client.post("/manage/fed/insights/export", data={}).status_code == 404


def test_export_has_the_trends_and_categories(world, login, db_session):
    _t, admin, _street = world
    client = login(admin)
    client.set_cookie("locale", "en")
    book = workbook(client, client.post("/manage/fed/insights/export", data={}))
    months = list(book["Per month"].iter_rows(values_only=True))
    assert months[0] == ("Month", "Members joined", "Participations") and len(months) == 13
    assert months[-1][1] == 10  # every member of the federation joined this month
    assert list(book["Activities by category"].iter_rows(values_only=True)) == [("Category", "Activities")]


def test_api_twin_queues_the_export_and_serves_the_file(world, api):
    _t, admin, _street = world
    client = api(admin)
    response = client.post("/api/v1/tenants/fed/insights/export", json={"sort": "name", "dir": "desc"})
    assert response.status_code == 202
    job_id = response.get_json()["job"]
    run(job_id)
    status = client.get(f"/api/v1/jobs/{job_id}").get_json()
    assert status["status"] == "finished" and status["progress"] == 100 and status["result"]["rows"] == 3
    file = client.get(f"/api/v1/jobs/{job_id}/file")
    assert file.status_code == 200 and file.data[:2] == b"PK"
    table = list(load_workbook(io.BytesIO(file.data), read_only=True).worksheets[1].iter_rows(values_only=True))
    assert [line[0] for line in table[1:]] == ["S3", "S2", "S1"]
    bad = client.post("/api/v1/tenants/fed/insights/export", json={"sort": "password"})
    assert bad.status_code == 422 and "sort" in bad.get_json()["errors"]


def test_the_export_asks_again_when_it_runs(world, app, db_session):
    t, _admin, street = world
    with app.test_request_context():
        record = jobs.submit(db_session, tasks.export, t["s1"].id, "name", "asc", "en", owner=street, tenant=t["s1"])
    for row in db_session.scalars(sa.select(Grant).where(Grant.user_id == street.id)):
        row.revoked_at = utcnow()
    db_session.flush()
    jobs.execute(record.id)
    record = db_session.get(JobRecord, record.id)
    assert record.status == "failed"
    assert record.file_id is None


def test_a_name_that_looks_like_a_formula_stays_text(world, login, db_session):
    t, admin, _street = world
    t["s3"].name = "=HYPERLINK(\"http://evil\")"
    db_session.flush()
    client = login(admin)
    book = workbook(client, client.post("/manage/fed/insights/export", data={}))
    names = [line[0] for line in book.worksheets[1].iter_rows(values_only=True)]
    assert "'=HYPERLINK(\"http://evil\")" in names
