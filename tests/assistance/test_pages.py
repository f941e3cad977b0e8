"""Help request pages: the member files, follows, replies, rates and reopens; handlers work the queue."""
import io

import sqlalchemy as sa

from tests.assistance import helpers
from union_saas.assistance import services
from union_saas.assistance.models import HelpAttachment, HelpCase, HelpMessage, HelpSetting


def test_a_member_files_a_request_with_a_file(district, login, db_session):
    tenants, people = district
    client = login(people["worker"])
    page = client.get("/me/help-requests/new")
    assert page.status_code == 200 and "C1" in page.get_data(as_text=True)
    r = client.post("/me/help-requests/new", data={
        "category": "workplace", "title": "Broken ladder", "description": "Nobody fixes it", "urgency": "urgent",
        "files": (io.BytesIO(helpers.PNG), "ladder.png")}, content_type="multipart/form-data")
    assert r.status_code == 302, r.get_data(as_text=True)[:500]
    case = db_session.scalar(sa.select(HelpCase))
    assert case.urgency == "urgent" and case.tenant_id == tenants["c1"].id
    assert db_session.scalar(sa.select(sa.func.count()).select_from(HelpAttachment)) == 1
    detail = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Broken ladder" in detail and "ladder.png" in detail
    assert "Broken ladder" in client.get("/me/help-requests").get_data(as_text=True)


def test_the_form_comes_back_with_what_was_typed(district, login, db_session):
    tenants, people = district
    r = login(people["worker"]).post("/me/help-requests/new", data={
        "category": "legal", "title": "Kept title", "description": "", "urgency": "normal"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and 'value="Kept title"' in html and 'class="errors"' in html
    r = login(people["worker"]).post("/me/help-requests/new", data={
        "category": "legal", "title": "T", "description": "D", "files": (io.BytesIO(b"MZ\x90\x00"), "virus.exe")},
        content_type="multipart/form-data")
    assert r.status_code == 422
    assert db_session.scalar(sa.select(sa.func.count()).select_from(HelpCase)) == 0, "nothing left behind"


def test_without_membership_the_form_says_so(district, login, db_session):
    tenants, people = district
    r = login(people["stranger"]).post("/me/help-requests/new", data={
        "category": "legal", "title": "T", "description": "D"})
    assert r.status_code == 403 and 'value="T"' in r.get_data(as_text=True)


def test_handler_answers_notes_assigns_and_escalates_on_pages(district, login, db_session):
    tenants, people = district
    case = helpers.file(db_session, people["worker"])
    db_session.commit()
    handler = login(people["c1"])
    base = f"/manage/c1/help-requests/{case.id}"
    assert "Unpaid overtime" in handler.get("/manage/c1/help-requests").get_data(as_text=True)
    assert handler.get(base).status_code == 200
    assert handler.post(f"{base}/messages", data={"body": "Secret plan", "internal": "1"}).status_code == 302
    assert handler.post(f"{base}/messages", data={"body": "We call you"}).status_code == 302
    assert handler.post(f"{base}/assign", data={"username": "officer-c1"}).status_code == 302
    r = handler.post(f"{base}/assign", data={"username": "worker"})
    assert r.status_code == 422 and 'value="worker"' in r.get_data(as_text=True)
    r = handler.post(f"{base}/escalate", data={"reason": ""})
    assert r.status_code == 422
    assert handler.post(f"{base}/escalate", data={"reason": "Needs a lawyer"}).status_code == 302
    db_session.expire_all()
    case = db_session.get(HelpCase, case.id)
    assert case.tenant_id == tenants["s1"].id and case.assignee_id is None
    html = handler.get(base).get_data(as_text=True)
    assert "Needs a lawyer" in html and "S1" in html
    above = login(people["s1"])
    assert above.post(f"/manage/s1/help-requests/{case.id}/status", data={"status": "resolved"}).status_code == 302
    r = above.post(f"/manage/s1/help-requests/{case.id}/status", data={"status": "resolved"})
    assert r.status_code == 409


def test_member_rates_and_reopens_on_pages(district, login, db_session):
    tenants, people = district
    case = helpers.file(db_session, people["worker"])
    helpers.resolve(db_session, case, people["c1"])
    db_session.commit()
    client = login(people["worker"])
    html = client.get(f"/me/help-requests/{case.id}").get_data(as_text=True)
    assert 'name="score"' in html and 'name="reason"' in html
    assert client.post(f"/me/help-requests/{case.id}/rate", data={}).status_code == 422
    assert client.post(f"/me/help-requests/{case.id}/rate", data={"score": "4", "comment": "OK"}).status_code == 302
    assert client.post(f"/me/help-requests/{case.id}/rate", data={"score": "4"}).status_code == 409
    assert client.post(f"/me/help-requests/{case.id}/reopen", data={"reason": " "}).status_code == 422
    assert client.post(f"/me/help-requests/{case.id}/reopen", data={"reason": "Again"}).status_code == 302
    db_session.refresh(case)
    assert case.status == "open" and case.rating == 4
    assert client.post(f"/me/help-requests/{case.id}/messages", data={"body": "More"}).status_code == 302


def test_settings_page(district, login, db_session):
    tenants, people = district
    client = login(people["a"])
    form = {f"{c}_{k}": "6" for c in ("legal", "hardship", "workplace", "other")
            for k in ("first_response_hours", "resolution_days")}
    r = client.post("/manage/a/help-settings", data={**form, "legal_first_response_hours": "0"})
    assert r.status_code == 422 and "has-error" in r.get_data(as_text=True)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(HelpSetting)) == 0
    assert client.post("/manage/a/help-settings", data={**form, "legal_first_response_hours": "1.5"}).status_code == 302
    assert services.clocks(db_session, tenants["a"].id, "legal") == (1.5, 6.0)
    assert 'value="1.5"' in client.get("/manage/a/help-settings").get_data(as_text=True)


def test_badge_and_me_entry(district, login, db_session):
    from union_saas.tenancy import sections

    tenants, people = district
    late = helpers.file(db_session, people["worker"])
    helpers.age(db_session, late, hours=30)
    db_session.commit()
    tab = next(t for t in sections.MANAGE_TABS if t.endpoint == "assistance.queue")
    assert tab.count(tenants["c1"]) == 1 and tab.count(tenants["s2"]) == 0
    html = login(people["c1"]).get("/manage/c1/help-requests").get_data(as_text=True)
    assert 'class="badge red"' in html
    entry = sections.ME_ENTRIES["my_help_requests"]
    assert entry.count(people["worker"]) == 1
    assert sections.SERVICES["help"].url(people["stranger"]) is None


def test_queue_query_count_is_bounded(district, login, db_session, count_queries):
    tenants, people = district
    for i in range(3):
        helpers.file(db_session, people["worker"], title=f"Case {i}")
    db_session.commit()
    client = login(people["a"])
    client.get("/manage/a/help-requests")
    with count_queries() as few:
        client.get("/manage/a/help-requests")
    for i in range(12):
        helpers.file(db_session, people["other"], title=f"More {i}", category="hardship")
    db_session.commit()
    with count_queries() as many:
        assert client.get("/manage/a/help-requests").status_code == 200
    assert many.count == few.count, (few.count, many.count)
    from tests.conftest import ApiClient

    fed = ApiClient(client.application, people["a"])
    with count_queries() as api_many:
        assert fed.get("/api/v1/tenants/a/help-requests").json["total"] == 15
    assert api_many.count <= 8, api_many.count


def test_my_list_query_count_is_bounded(district, login, db_session, count_queries):
    tenants, people = district
    helpers.file(db_session, people["worker"])
    db_session.commit()
    client = login(people["worker"])
    with count_queries() as few:
        client.get("/me/help-requests")
    for i in range(8):
        helpers.file(db_session, people["worker"], title=f"Case {i}")
    db_session.commit()
    with count_queries() as many:
        client.get("/me/help-requests")
    assert many.count == few.count


def test_message_count_of_nothing_changed_on_closed(district, api, db_session):
    tenants, people = district
    case = helpers.file(db_session, people["worker"])
    services.set_status(db_session, people["c1"], case, "closed")
    db_session.commit()
    assert api(people["c1"]).post(f"/api/v1/help-requests/{case.id}/messages", json={"body": "x"}).status_code == 409
    assert api(people["worker"]).post(f"/api/v1/help-requests/{case.id}/messages",
                                      json={"body": "x"}).status_code == 409
    assert db_session.scalar(sa.select(sa.func.count()).select_from(HelpMessage)) == 0
