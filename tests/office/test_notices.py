import sqlalchemy as sa

from tests.office import helpers
from union_saas.core import jobs
from union_saas.core.jobs import JobRecord
from union_saas.office import services
from union_saas.office.models import (
    Notice,
    NoticeRead,
    NoticeReceipt,
    OfficeNotification,
)
from union_saas.tenancy import services as tenancy


def receipts(session, notice_id):
    return {r.tenant.slug: r for r in session.scalars(
        sa.select(NoticeReceipt).options(sa.orm.joinedload(NoticeReceipt.tenant))
        .where(NoticeReceipt.notice_id == notice_id))}


def count(session, model):
    return session.scalar(sa.select(sa.func.count()).select_from(model))


def rollup(api, user, notice_id, under):
    response = api(user).get(f"/api/v1/notices/{notice_id}/receipts?under={under}")
    assert response.status_code == 200, response.get_json()
    return {row["tenant"]: (row["addressed"], row["read"], row["acked"]) for row in response.get_json()["items"]}


def test_sending_to_the_subtree_fans_out_one_receipt_per_union_below_but_not_the_sender(office, api, db_session,
                                                                                       run_job):
    tenants, people = office
    response = api(people["a"]).post("/api/v1/tenants/a/notices", json={
        "title": "Fire safety", "body": "Check **exits**", "priority": "urgent", "requires_ack": True, "to": "subtree"})
    assert response.status_code == 202, response.get_json()
    body = response.get_json()
    assert body["notice"]["addressed_count"] == 5
    run_job(body["job"])
    assert api(people["a"]).get(f"/api/v1/jobs/{body['job']}").get_json()["status"] == "finished"
    assert set(receipts(db_session, body["notice"]["id"])) == {"s1", "s2", "c1", "c2", "c3"}
    row = receipts(db_session, body["notice"]["id"])["c1"]
    assert row.tenant_path == tenants["c1"].path
    inbox = api(people["c1"]).get("/api/v1/tenants/c1/inbox").get_json()["items"]
    assert [(i["title"], i["priority"], i["read_at"]) for i in inbox] == [("Fire safety", "urgent", None)]
    assert api(people["a"]).get("/api/v1/tenants/a/inbox").get_json()["total"] == 0


def test_children_only_reaches_the_direct_sub_unions(office, api, db_session, run_job):
    _tenants, people = office
    body = api(people["a"]).post("/api/v1/tenants/a/notices", json={"title": "T", "to": "children"}).get_json()
    run_job(body["job"])
    assert set(receipts(db_session, body["notice"]["id"])) == {"s1", "s2"}


def test_a_chosen_list_reaches_exactly_those(office, api, db_session, run_job):
    _tenants, people = office
    body = api(people["s1"]).post("/api/v1/tenants/s1/notices", json={"title": "T", "to": ["c2"]}).get_json()
    run_job(body["job"])
    assert set(receipts(db_session, body["notice"]["id"])) == {"c2"}


def test_addressing_a_union_outside_the_subtree_is_refused_and_nothing_is_sent(office, api, db_session):
    _tenants, people = office
    for to in (["c1", "c3"], ["s1"], ["nowhere"], [], "everyone"):
        response = api(people["s1"]).post("/api/v1/tenants/s1/notices", json={"title": "T", "to": to})
        assert response.status_code == 422, (to, response.get_json())
        assert "to" in response.get_json()["errors"]
    assert count(db_session, Notice) == 0 and count(db_session, NoticeReceipt) == 0
    assert count(db_session, JobRecord) == 0


def test_an_empty_title_is_refused(office, api, db_session):
    _tenants, people = office
    response = api(people["a"]).post("/api/v1/tenants/a/notices", json={"title": "   ", "to": "children"})
    assert response.status_code == 422 and "title" in response.get_json()["errors"]
    assert count(db_session, Notice) == 0


def test_the_body_is_sanitised_markdown(office, db_session):
    tenants, _people = office
    notice = helpers.send(db_session, tenants["a"], body="**Bold** <script>alert(1)</script>"
                          "<a href='javascript:x()' onclick='y()'>link</a>")
    assert "<strong>Bold</strong>" in notice.body_html
    assert "<script" not in notice.body_html and "javascript:" not in notice.body_html
    assert "onclick" not in notice.body_html


def test_running_the_fan_out_again_creates_nothing_twice(office, db_session):
    tenants, _people = office
    notice = helpers.send(db_session, tenants["a"])
    again = services.fan_out_notice(db_session, notice)
    assert again == {"addressed": 5, "created": 0}
    assert count(db_session, NoticeReceipt) == 5


def test_the_job_asks_again_whether_the_sender_may_send(office, app, db_session):
    tenants, people = office
    notice = services.send_notice(db_session, people["s1"], tenants["s1"], {"title": "T", "to": "children"})
    with app.test_request_context():
        record = jobs.submit(db_session, __import__("union_saas.office.tasks", fromlist=["x"]).send_notice,
                             notice.id, owner=people["s1"], tenant=tenants["s1"])
    grant_row = db_session.scalar(sa.select(services.engine.Grant).where(services.engine.Grant.user_id == people["s1"].id))
    grant_row.revoked_at = services.utcnow()
    db_session.flush()
    jobs.execute(record.id)
    assert db_session.get(JobRecord, record.id).status == "failed"
    assert count(db_session, NoticeReceipt) == 0


def test_reading_counts_only_for_the_unions_own_office(office, api, db_session):
    tenants, people = office
    notice = helpers.send(db_session, tenants["a"])
    # The street's admin looks into a community's inbox: allowed, but not a read receipt for it.
    assert api(people["s1"]).post(f"/api/v1/tenants/c1/inbox/{notice.id}/read").status_code == 204
    assert receipts(db_session, notice.id)["c1"].read_at is None
    assert api(people["c1-officer"]).post(f"/api/v1/tenants/c1/inbox/{notice.id}/read").status_code == 204
    assert api(people["c1-officer"]).post(f"/api/v1/tenants/c1/inbox/{notice.id}/read").status_code == 204
    row = receipts(db_session, notice.id)["c1"]
    assert row.read_at is not None and row.read_by_id == people["c1-officer"].id and row.acked_at is None
    assert api(people["c1"]).post(f"/api/v1/tenants/c1/inbox/{notice.id}/ack").status_code == 204
    row = receipts(db_session, notice.id)["c1"]
    db_session.refresh(row)
    assert row.acked_by_id == people["c1"].id and row.read_by_id == people["c1-officer"].id
    persons = db_session.execute(sa.select(NoticeRead.user_id, NoticeRead.acked_at.is_not(None))
                                 .where(NoticeRead.notice_id == notice.id)).all()
    assert sorted(persons) == sorted([(people["c1-officer"].id, False), (people["c1"].id, True)])


def test_reading_a_notice_not_addressed_to_the_union_is_404_and_changes_nothing(office, api, db_session):
    tenants, people = office
    notice = helpers.send(db_session, tenants["s2"])
    db_session.commit()
    assert api(people["c1"]).post(f"/api/v1/tenants/c1/inbox/{notice.id}/read").status_code == 404
    assert count(db_session, NoticeRead) == 0


def test_the_inbox_puts_unread_first_and_urgent_on_top(office, api, db_session):
    tenants, people = office
    old_urgent = helpers.send(db_session, tenants["a"], title="old urgent", priority="urgent")
    read_urgent = helpers.send(db_session, tenants["a"], title="read urgent", priority="urgent")
    helpers.send(db_session, tenants["a"], title="new normal")
    services.mark_read(db_session, people["c1"], tenants["c1"], services.receipt_of(db_session, read_urgent.id,
                                                                                    tenants["c1"]))
    assert old_urgent.id
    titles = [i["title"] for i in api(people["c1"]).get("/api/v1/tenants/c1/inbox").get_json()["items"]]
    assert titles == ["old urgent", "new normal", "read urgent"]
    unread = api(people["c1"]).get("/api/v1/tenants/c1/inbox?unread=1").get_json()
    assert unread["total"] == 2


def test_the_office_tab_shows_the_unread_count(office, login, db_session):
    tenants, people = office
    helpers.send(db_session, tenants["a"])
    helpers.send(db_session, tenants["a"])
    html = login(people["c1"]).get("/manage/c1").get_data(as_text=True)
    assert 'class="badge red"' in html and ">2</span>" in html


def test_opening_the_notice_page_records_the_read(office, login, db_session):
    tenants, people = office
    notice = helpers.send(db_session, tenants["a"], body="Hello <b>there</b>", requires_ack=True)
    client = login(people["c1"])
    html = client.get(f"/manage/c1/office/notices/{notice.id}").get_data(as_text=True)
    assert "Hello" in html
    assert receipts(db_session, notice.id)["c1"].read_at is not None
    assert client.post(f"/manage/c1/office/notices/{notice.id}/ack").status_code == 302
    row = receipts(db_session, notice.id)["c1"]
    db_session.refresh(row)
    assert row.acked_at is not None


def test_the_rollup_counts_each_child_with_everything_below_it(office, api, db_session):
    tenants, people = office
    notice = helpers.send(db_session, tenants["a"], requires_ack=True)
    for slug in ("c1", "s2"):
        services.mark_read(db_session, people[slug], tenants[slug], services.receipt_of(db_session, notice.id,
                                                                                        tenants[slug]), ack=slug == "c1")
    db_session.commit()
    assert rollup(api, people["a"], notice.id, "a") == {"s1": (3, 1, 1), "s2": (2, 1, 0)}
    assert rollup(api, people["a"], notice.id, "s1") == {"c1": (1, 1, 1), "c2": (1, 0, 0)}
    # Each level sees the same rollup for its own subtree, and nothing outside it.
    assert rollup(api, people["s1"], notice.id, "s1") == {"c1": (1, 1, 1), "c2": (1, 0, 0)}
    assert api(people["s1"]).get(f"/api/v1/notices/{notice.id}/receipts?under=a").status_code == 404
    assert api(people["s1"]).get(f"/api/v1/notices/{notice.id}/receipts?under=s2").status_code == 404
    assert api(people["s1"]).get(f"/api/v1/notices/{notice.id}/receipts").status_code == 404


def test_drill_down_page_links_one_level_down(office, login, db_session):
    tenants, people = office
    notice = helpers.send(db_session, tenants["a"])
    html = login(people["a"]).get(f"/manage/a/office/notices/{notice.id}/receipts").get_data(as_text=True)
    assert f"/manage/s1/office/notices/{notice.id}/receipts" in html
    assert f"/manage/c1/office/notices/{notice.id}/receipts" not in html
    html = login(people["a"]).get(f"/manage/s1/office/notices/{notice.id}/receipts").get_data(as_text=True)
    assert "<td>C1</td>" in html and "<td>C2</td>" in html and "<td>C3</td>" not in html


def test_a_moved_union_keeps_its_receipt_without_leaking_into_its_new_branch(office, api, db_session):
    tenants, people = office
    notice = helpers.send(db_session, tenants["s1"])
    tenancy.move(db_session, people["a"], tenants["c1"], tenants["s2"])
    tenancy.update(db_session, people["a"], tenants["c2"], {"status": "archived"})
    db_session.commit()
    # The new parent's view of its subtree does not show a notice it never had.
    assert api(people["s2"]).get(f"/api/v1/notices/{notice.id}/receipts?under=s2").status_code == 404
    # The sender still sees both, as addressed.
    assert rollup(api, people["s1"], notice.id, "s1") == {"c1": (1, 0, 0), "c2": (1, 0, 0)}
    assert api(people["c1"]).get("/api/v1/tenants/c1/inbox").get_json()["total"] == 1
    assert api(people["c1"]).post(f"/api/v1/tenants/c1/inbox/{notice.id}/read").status_code == 204
    assert rollup(api, people["s1"], notice.id, "s1") == {"c1": (1, 1, 0), "c2": (1, 0, 0)}


def test_remind_the_unread_reaches_exactly_the_offices_that_have_not_read(office, api, db_session):
    tenants, people = office
    notice = helpers.send(db_session, tenants["a"])
    services.mark_read(db_session, people["c1"], tenants["c1"], services.receipt_of(db_session, notice.id, tenants["c1"]))
    response = api(people["a"]).post(f"/api/v1/notices/{notice.id}/remind", json={"under": "s1"})
    assert response.status_code == 200 and response.get_json() == {"reminded": 2}
    reminded = db_session.scalars(sa.select(OfficeNotification.tenant_id)).all()
    assert sorted(reminded) == sorted([tenants["s1"].id, tenants["c2"].id])
    items = api(people["c2"]).get("/api/v1/tenants/c2/notifications").get_json()["items"]
    assert [(i["kind"], i["notice"]) for i in items] == [("notice.reminder", notice.id)]
    assert api(people["c1"]).get("/api/v1/tenants/c1/notifications").get_json()["total"] == 0


def test_members_see_notices_meant_for_them_on_their_union_page(office, make_user, make_member, login, api, db_session):
    tenants, _people = office
    for_members = helpers.send(db_session, tenants["a"], title="Members: free checkups", audience="members")
    helpers.send(db_session, tenants["a"], title="Offices only", audience="offices")
    worker = make_user("worker")
    make_member(worker, tenants["c1"])
    html = login(worker).get("/t/c1").get_data(as_text=True)
    assert "Members: free checkups" in html and "Offices only" not in html
    assert "Members: free checkups" not in login(worker).get("/t/c2").get_data(as_text=True)
    assert login(worker).get(f"/t/c1/notices/{for_members.id}").status_code == 200
    assert login(worker).get(f"/t/c2/notices/{for_members.id}").status_code == 404
    items = api(worker).get("/api/v1/me/notices").get_json()["items"]
    assert [i["title"] for i in items] == ["Members: free checkups"]
    assert api(make_user("stranger")).get("/api/v1/me/notices").get_json()["total"] == 0


def test_sending_from_the_page_shows_errors_and_keeps_what_was_typed(office, login, db_session, run_job):
    _tenants, people = office
    response = login(people["s1"]).post("/manage/s1/office/notices/new",
                                        data={"title": "Kept title", "to": "list", "to_union": "c3"})
    assert response.status_code == 422
    assert "Kept title" in response.get_data(as_text=True)
    assert count(db_session, Notice) == 0
    response = login(people["s1"]).post("/manage/s1/office/notices/new",
                                        data={"title": "Sent", "to": "list", "to_union": ["c1", "c2"]})
    assert response.status_code == 302
    run_job(response.headers["Location"].split("/jobs/")[1].split("?")[0])
    assert count(db_session, NoticeReceipt) == 2


def test_files_go_with_a_notice_to_those_who_may_read_it(office, api, login, make_user, make_member, db_session):
    before = helpers.stored_files(db_session)
    tenants, people = office
    notice = helpers.send(db_session, tenants["s1"], "children", audience="both")
    db_session.commit()
    response = api(people["s1"]).post(f"/api/v1/notices/{notice.id}/attachments", data=helpers.png())
    assert response.status_code == 201, response.get_json()
    file_id = response.get_json()["id"]
    bad = api(people["s1"]).post(f"/api/v1/notices/{notice.id}/attachments",
                                 data={"file": (__import__("io").BytesIO(b"MZ"), "run.exe")})
    assert bad.status_code == 422 and "file" in bad.get_json()["errors"]
    assert api(people["c1"]).post(f"/api/v1/notices/{notice.id}/attachments", data=helpers.png()).status_code == 404
    assert helpers.stored_files(db_session) - before == 1
    assert api(people["c1"]).get(f"/api/v1/notice-files/{file_id}").data == helpers.PNG
    assert api(people["c3"]).get(f"/api/v1/notice-files/{file_id}").status_code == 404
    worker = make_user("worker")
    make_member(worker, tenants["c2"])
    db_session.commit()
    assert api(worker).get(f"/api/v1/notice-files/{file_id}").status_code == 200
    html = login(people["c1"]).get(f"/manage/c1/office/notices/{notice.id}").get_data(as_text=True)
    assert "photo.png" in html


def test_the_send_page_takes_files_with_the_notice(office, login, db_session, run_job):
    from union_saas.office.models import NoticeAttachment

    _tenants, people = office
    response = login(people["s1"]).post("/manage/s1/office/notices/new", data={
        "title": "With a plan", "to": "children", "files": [(__import__("io").BytesIO(helpers.PNG), "plan.png")]})
    assert response.status_code == 302
    assert db_session.scalar(sa.select(NoticeAttachment)).file.filename == "plan.png"


def test_one_bad_file_on_the_send_page_sends_nothing_and_keeps_no_file(office, login, db_session):
    import io

    before = helpers.stored_files(db_session)
    _tenants, people = office
    response = login(people["s1"]).post("/manage/s1/office/notices/new", data={
        "title": "With files", "to": "children",
        "files": [(io.BytesIO(helpers.PNG), "plan.png"), (io.BytesIO(b"MZ"), "virus.exe")]})
    assert response.status_code == 422 and "With files" in response.get_data(as_text=True)
    assert count(db_session, Notice) == 0 and helpers.stored_files(db_session) == before
