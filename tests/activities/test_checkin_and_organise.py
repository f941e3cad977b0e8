"""Check-in by the screen's rotating code or the member's ticket; the organiser's list, export, messages, measures."""
import io
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.activities.conftest import soon
from union_saas.activities import services
from union_saas.activities.models import SignUp
from union_saas.core import jobs
from union_saas.core.inbox import Notification


@pytest.fixture
def tree(make_tree):
    return make_tree("fed/street/comm", "fed/street/comm2", "fed/street2")


@pytest.fixture
def running(tree, make_user, make_member, grant, make_activity, db_session):
    """An activity starting in an hour at street (shared with its subtree), an organiser, members signed up."""
    activity = make_activity(tree["street"], scope="subtree", capacity=2, starts_at=soon(1))
    organiser = make_user()
    grant(organiser, "activity_organizer", tree["street"])
    people = [make_user() for _ in range(3)]
    for user, union in zip(people, ("comm", "comm2", "comm")):
        make_member(user, tree[union])
        services.sign_up(db_session, services.viewer(db_session, user), activity.id)
    db_session.commit()
    return activity, organiser, people


def code_for(app, activity, now_ts=None):
    return services.checkin_code(app.config["SECRET_KEY"], activity, now_ts)[0]


def test_confirmed_member_checks_in_with_the_screen_code_once(app, running, api, db_session):
    activity, organiser, (first, _second, waiting) = running
    shown = api(organiser).get(f"/api/v1/activities/{activity.id}/checkin-code").json
    assert 0 < shown["expires_in"] <= 30 and shown["code"] in shown["url"]
    response = api(first).post(f"/api/v1/activities/{activity.id}/checkins", json={"code": shown["code"]})
    assert response.status_code == 201 and response.json["user"] == first.username
    assert api(first).post(f"/api/v1/activities/{activity.id}/checkins", json={"code": shown["code"]}).status_code == 409
    # on the waitlist: no place, no check-in
    assert api(waiting).post(f"/api/v1/activities/{activity.id}/checkins",
                             json={"code": shown["code"]}).status_code == 403
    assert db_session.scalar(sa.select(sa.func.count()).where(SignUp.checked_in_at.is_not(None))) == 1


def test_forged_expired_or_foreign_codes_are_refused(app, running, make_activity, tree, api, db_session):
    activity, _organiser, (first, *_) = running
    other = make_activity(tree["street"], scope="subtree", starts_at=soon(1))
    db_session.commit()
    good = code_for(app, activity)
    for code in (good[:-2] + "xx", "nonsense", code_for(app, other)):
        response = api(first).post(f"/api/v1/activities/{activity.id}/checkins", json={"code": code})
        assert response.status_code == 422, code
    old = services._serializer(app.config["SECRET_KEY"], "activity-checkin")
    from itsdangerous import TimestampSigner  # noqa: F401 - the serializer signs with the time

    expired = old.dumps({"a": activity.id})
    real_time = time.time
    try:
        time.time = lambda: real_time() + services.CODE_MAX_AGE + 5
        response = api(first).post(f"/api/v1/activities/{activity.id}/checkins", json={"code": expired},
                                   headers={"Accept-Language": "en"})
    finally:
        time.time = real_time
    assert response.status_code == 422 and "expired" in response.json["detail"]
    assert api(first).post(f"/api/v1/activities/{activity.id}/checkins", json={}).status_code == 422
    assert db_session.scalar(sa.select(sa.func.count()).where(SignUp.checked_in_at.is_not(None))) == 0


def test_organiser_scans_a_ticket_and_a_member_cannot_check_in_someone_else(app, running, api, db_session):
    activity, organiser, (first, second, _) = running
    tickets = {u.id: r["ticket"] for u in (first,) for r in api(u).get("/api/v1/me/activities").json["items"]}
    ticket = tickets[first.id]
    assert api(second).post(f"/api/v1/activities/{activity.id}/checkins", json={"ticket": ticket}).status_code == 403
    response = api(organiser).post(f"/api/v1/activities/{activity.id}/checkins", json={"ticket": ticket})
    assert response.status_code == 201 and response.json["user"] == first.username
    assert api(organiser).post(f"/api/v1/activities/{activity.id}/checkins", json={"ticket": ticket}).status_code == 409
    assert api(organiser).post(f"/api/v1/activities/{activity.id}/checkins",
                               json={"ticket": ticket + "x"}).status_code == 422


def test_check_in_pages(app, running, login_en):
    activity, organiser, (first, *_) = running
    screen = login_en(organiser).get(f"/manage/activities/{activity.id}/checkin")
    assert screen.status_code == 200 and "<svg" in screen.get_data(as_text=True)
    assert "<svg" in login_en(organiser).get(f"/manage/activities/{activity.id}/checkin/qr").get_data(as_text=True)
    client = login_en(first)
    code = code_for(app, activity)
    assert client.get(f"/activities/{activity.id}/scan?code={code}").status_code == 200
    assert client.post(f"/activities/{activity.id}/scan", data={"code": code}).status_code == 302
    assert client.post(f"/activities/{activity.id}/scan", data={"code": code}).status_code == 409
    mine = client.get("/t/comm/me/activities").get_data(as_text=True)
    assert "Checked in" in mine


def test_measures_count_sign_ups_by_union_in_one_grouped_query(app, running, api, count_queries, db_session):
    activity, organiser, (first, _second, _waiting) = running
    api(organiser).post(f"/api/v1/activities/{activity.id}/checkins",
                        json={"ticket": services.ticket_code(app.config["SECRET_KEY"], db_session.scalar(
                            sa.select(SignUp).where(SignUp.user_id == first.id)))})
    measures = api(organiser).get(f"/api/v1/activities/{activity.id}/measures").json
    assert measures["signups"] == 3 and measures["confirmed"] == 2 and measures["waitlisted"] == 1
    assert measures["checked_in"] == 1 and measures["no_shows"] == 0
    assert {row["tenant"]: row["signups"] for row in measures["by_union"]} == {"comm": 2, "comm2": 1}
    db_session.refresh(activity)
    with count_queries() as counter:
        services.measures(db_session, activity)
    assert counter.count == 3
    # once it has ended, confirmed people who did not come are no-shows
    assert services.measures(db_session, activity, now=activity.ends_at + timedelta(hours=1))["no_shows"] == 1


def test_organiser_removes_someone_and_the_waitlist_moves_up(running, api, db_session):
    activity, organiser, (first, _second, waiting) = running
    signups = api(organiser).get(f"/api/v1/activities/{activity.id}/signups").json["items"]
    assert [s["status"] for s in signups] == ["confirmed", "confirmed", "waitlisted"]
    target = next(s for s in signups if s["user"] == first.username)
    assert api(organiser).delete(f"/api/v1/activities/{activity.id}/signups/{target['id']}").status_code == 204
    assert api(waiting).get(f"/api/v1/activities/{activity.id}").json["my_signup"] == {"status": "confirmed"}
    kinds = dict(db_session.execute(sa.select(Notification.user_id, Notification.kind)).all())
    assert kinds == {first.id: "activity.removed", waiting.id: "activity.promoted"}
    assert api(first).post(f"/api/v1/activities/{activity.id}/signups").status_code == 409
    assert api(organiser).delete(f"/api/v1/activities/{activity.id}/signups/{target['id']}").status_code == 409


def test_message_goes_to_everyone_confirmed_in_the_app(running, api, db_session):
    activity, organiser, (first, _second, waiting) = running
    assert api(organiser).post(f"/api/v1/activities/{activity.id}/messages", json={"body": ""}).status_code == 422
    response = api(organiser).post(f"/api/v1/activities/{activity.id}/messages", json={"body": "Bring water."})
    assert response.status_code == 201 and response.json["sent"] == 2
    items = api(first).get("/api/v1/me/notifications").json["items"]
    assert items[0]["kind"] == "activity.message" and items[0]["body"] == "Bring water."
    assert api(waiting).get("/api/v1/me/notifications").json["items"] == []


def test_export_is_a_job_that_writes_an_xlsx(app, running, api, login):
    from openpyxl import load_workbook

    activity, organiser, people = running
    names, activity_id = {u.username for u in people}, activity.id
    org, pages = api(organiser), login(organiser)  # made now: a job run here ends the test's session
    job = org.post(f"/api/v1/activities/{activity_id}/export")
    assert job.status_code == 202
    if org.get(f"/api/v1/jobs/{job.json['job']}").json["status"] == "queued":
        jobs.execute(job.json["job"])  # with Redis the job waits for a worker: be the worker
    status = org.get(f"/api/v1/jobs/{job.json['job']}").json
    assert status["status"] == "finished" and status["result"]["rows"] == 3
    assert status["file"]["filename"] == f"activity-{activity_id}-signups.xlsx"
    page = pages.get(f"/jobs/{job.json['job']}").get_data(as_text=True)
    assert f'href="/jobs/{job.json["job"]}/file"' in page
    download = pages.get(f"/jobs/{job.json['job']}/file")
    assert download.status_code == 200 and org.get(status["file"]["url"]).data == download.data
    sheet = load_workbook(io.BytesIO(download.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 4 and {r[1] for r in rows[1:]} == names


def test_organiser_pages(running, login):
    activity, organiser, people = running
    client = login(organiser)
    page = client.get(f"/manage/activities/{activity.id}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and people[0].display_name in text and "Comm2" in text
    assert client.post(f"/manage/activities/{activity.id}/message", data={"body": "Hello"}).status_code == 302
    assert client.get("/manage/street/activities").status_code == 200


def test_the_sign_up_export_writes_names_that_look_like_formulas_as_text(app, running, api, db_session):
    from openpyxl import load_workbook

    activity, organiser, people = running
    people[0].display_name = '=HYPERLINK("http://evil","click")'
    people[1].display_name = "@SUM(1+1)"
    db_session.commit()
    org = api(organiser)
    job = org.post(f"/api/v1/activities/{activity.id}/export").json["job"]
    if org.get(f"/api/v1/jobs/{job}").json["status"] == "queued":
        jobs.execute(job)
    rows = list(load_workbook(io.BytesIO(org.get(f"/api/v1/jobs/{job}/file").data)).active.iter_rows())
    names = {row[0].value: row[0].data_type for row in rows[1:]}
    assert names['\'=HYPERLINK("http://evil","click")'] == "s" and names["'@SUM(1+1)"] == "s"
    assert not any(cell.data_type == "f" for row in rows for cell in row)


def test_the_export_costs_the_same_queries_whatever_the_number_of_sign_ups(app, running, make_user, make_member,
                                                                            tree, db_session, count_queries):
    from union_saas.activities import tasks

    activity, organiser, _people = running
    costs = []
    for _ in range(3):  # the first warms the session's identity map
        with app.test_request_context():
            record = jobs.submit(db_session, tasks.export_signups, activity.id, owner=organiser)
        db_session.commit()
        with count_queries() as counter:
            jobs.execute(record.id)
        costs.append(counter.count)
        assert db_session.get(jobs.JobRecord, record.id).status == "finished"
        for _ in range(3):
            user = make_user()
            make_member(user, tree["comm"])
            services.sign_up(db_session, services.viewer(db_session, user), activity.id)
        db_session.commit()
    assert costs[1] == costs[2], costs
