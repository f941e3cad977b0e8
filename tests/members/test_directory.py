"""The directory: this union or its whole subtree, filters, search, counts per child, .xlsx export; poster."""
import io
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from openpyxl import load_workbook
from PIL import Image

from tests.members.test_roster import run_job
from union_saas.core.audit import AuditEntry
from union_saas.members import services


def test_subtree_toggle_filters_search_and_counts_per_child(make_tree, make_user, make_applicant, grant, api,
                                                           db_session):
    tree = make_tree("fed/street/c1/e1", "fed/street/c2", "fed/other")
    admin = make_user()
    grant(admin, "union_admin", tree["street"])
    own = make_applicant(tree["street"], "active", real_name="陈一")
    deep = make_applicant(tree["e1"], "active", real_name="陈二", phone="13711112222")
    waiting = make_applicant(tree["c2"], "pending", real_name="林三")
    make_applicant(tree["other"], "active", real_name="陈四")  # outside the subtree
    db_session.execute(sa.update(type(own)).where(type(own).id == deep.id).values(verified_at=sa.func.now()))
    client = api(admin)

    def names(query):
        response = client.get(f"/api/v1/tenants/street/members?{query}")
        assert response.status_code == 200, response.json
        return sorted(m["real_name"] for m in response.json["items"])

    assert names("") == ["陈一"]
    assert names("include=subtree") == ["林三", "陈一", "陈二"]
    assert names("include=subtree&status=pending") == ["林三"]
    assert names("include=subtree&q=陈") == ["陈一", "陈二"]
    assert names("include=subtree&q=1371111") == ["陈二"]
    assert names("include=subtree&verified=true") == ["陈二"]
    assert names("union=c1") == [] and names("include=subtree&union=e1") == ["陈二"]
    assert client.get("/api/v1/tenants/street/members?union=other").status_code == 422
    counts = client.get("/api/v1/tenants/street/members/counts").json
    assert counts["own"]["active"] == 1 and counts["subtree"]["active"] == 2 and counts["subtree"]["pending"] == 1
    assert {c["tenant"]: (c["active"], c["pending"]) for c in counts["children"]} == {"c1": (1, 0), "c2": (0, 1)}
    assert waiting.id


def test_subtree_query_is_one_path_range_not_a_loop(make_tree):
    tree = make_tree("fed/street/c1")
    stmt = services.directory_stmt(tree["street"], subtree=True)
    sql = str(stmt.compile(compile_kwargs={"literal_binds": True}))
    assert "tenant.path >= '" in sql and "tenant.path < '" in sql and " IN (" not in sql


def test_directory_page_shows_masked_numbers_children_and_pagination(make_tree, make_user, make_applicant, grant,
                                                                    login):
    tree = make_tree("fed/street/c1")
    admin = make_user()
    grant(admin, "union_admin", tree["street"])
    members = [make_applicant(tree["c1"], "active") for _ in range(3)]
    html = login(admin).get("/manage/street/members?include=subtree&lang=en").get_data(as_text=True)
    assert all(m.id_masked in html and m.id_number not in html for m in members)
    assert 'id="child-counts"' in html and "C1" in html


def test_export_job_writes_an_xlsx_of_the_filtered_directory(make_tree, make_user, make_applicant, grant, login,
                                                             db_session):
    tree = make_tree("fed/street/c1")
    admin = make_user(locale="en")
    grant(admin, "union_admin", tree["street"])
    members = [make_applicant(tree["c1"], "active") for _ in range(3)] + [make_applicant(tree["street"], "pending")]
    db_session.commit()
    client = login(admin)
    response = client.post("/manage/street/members/export?include=subtree&status=active&lang=en")
    assert response.status_code == 302
    job_id = response.headers["Location"].rsplit("/", 1)[-1]
    run_job(job_id)
    html = client.get(response.headers["Location"] + "?lang=en").get_data(as_text=True)
    assert "3 members exported" in html
    link = html.split('id="download" href="')[1].split('"')[0]
    download = client.get(link)
    assert download.status_code == 200
    rows = list(load_workbook(io.BytesIO(download.data), read_only=True).worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 4 and rows[0][0] == "Name"
    assert {r[1] for r in rows[1:]} == {m.id_masked for m in members[:3]}
    assert not any(m.id_number in str(rows) for m in members)
    assert db_session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "member.export")) is not None
    # Somebody else cannot fetch it, even with the same rights.
    other = make_user()
    grant(other, "union_admin", tree["street"])
    db_session.commit()
    assert login(other).get(link).status_code == 404


def test_full_number_page_view_is_audited(make_tree, make_user, make_applicant, grant, login, db_session):
    tree = make_tree("fed/street")
    fed_admin = make_user()
    grant(fed_admin, "federation_admin", tree["fed"])
    m = make_applicant(tree["street"], "active")
    client = login(fed_admin)
    assert m.id_number not in client.get(f"/manage/members/{m.id}").get_data(as_text=True)
    assert m.id_number in client.post(f"/manage/members/{m.id}/id-number").get_data(as_text=True)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "member.view_sensitive")) == 1


def test_poster_is_a_png_with_a_qr_code_of_the_join_link(make_tree, make_user, grant, api):
    tree = make_tree("fed/street")
    admin = make_user()
    grant(admin, "union_officer", tree["street"])
    response = api(admin).get("/api/v1/tenants/street/poster.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    image = Image.open(io.BytesIO(response.data))
    assert image.size == (1240, 1754)
    import zxingcpp

    decoded = [code.text for code in zxingcpp.read_barcodes(image)]
    assert decoded == ["http://localhost/t/street/join"]
    from union_saas.members.poster import QR_TOP, qr_block

    expected = qr_block("http://localhost/t/street/join")
    left = (1240 - expected.width) // 2
    pasted = image.crop((left, QR_TOP, left + expected.width, QR_TOP + expected.height))
    assert pasted.tobytes() == expected.tobytes()


def test_the_export_writes_text_that_looks_like_a_formula_as_text_and_times_in_the_unions_zone(
        make_tree, make_user, make_applicant, grant, login, db_session):
    tree = make_tree("fed/street")
    admin = make_user(locale="en")
    grant(admin, "union_admin", tree["street"])
    member = make_applicant(tree["street"], "active", real_name="=cmd|' /C calc'!A0")
    tree["street"].name = "@SUM(A1:A9)"
    db_session.commit()
    client = login(admin)
    location = client.post("/manage/street/members/export?lang=en").headers["Location"]
    run_job(location.rsplit("/", 1)[-1])
    html = client.get(location + "?lang=en").get_data(as_text=True)
    link = html.split('id="download" href="')[1].split('"')[0]
    sheet = load_workbook(io.BytesIO(client.get(link).data)).worksheets[0]
    row = next(sheet.iter_rows(min_row=2))
    assert not any(cell.data_type == "f" for line in sheet.iter_rows() for cell in line)
    assert row[0].value == "'=cmd|' /C calc'!A0" and row[3].value == "'@SUM(A1:A9)"
    local = member.created_at.astimezone(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None, microsecond=0)
    assert row[7].value.replace(microsecond=0) == local and row[7].number_format == "yyyy-mm-dd hh:mm"
