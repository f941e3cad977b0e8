"""Day-before reminders (a job, run by ``flask activities send-reminders``), .ics files and the calendar feed."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.activities.conftest import soon
from union_saas.activities import services, tasks
from union_saas.core import jobs
from union_saas.core.db import utcnow
from union_saas.core.inbox import Notification


@pytest.fixture
def tree(make_tree):
    return make_tree("fed/street/comm")


def test_reminders_go_once_to_the_confirmed_of_tomorrows_activities(tree, make_user, make_member, make_activity,
                                                                  db_session):
    tomorrow = make_activity(tree["comm"], title="tomorrow", starts_at=soon(20), capacity=1)
    next_week = make_activity(tree["comm"], title="next week", starts_at=soon(24 * 7))
    confirmed, waiting = make_user(), make_user()
    for user in (confirmed, waiting):
        make_member(user, tree["comm"])
        for activity in (tomorrow, next_week):
            services.sign_up(db_session, services.viewer(db_session, user), activity.id)
    confirmed_id, tomorrow_id = confirmed.id, tomorrow.id  # the job ends the session: keep the ids
    record = jobs.submit(db_session, tasks.send_reminders, None)
    assert jobs.execute(record.id) == {"activities": 1, "reminded": 1}
    reminders = db_session.scalars(sa.select(Notification).where(Notification.kind == "activity.reminder")).all()
    assert [(n.user_id, n.subject_id) for n in reminders] == [(confirmed_id, tomorrow_id)]
    again = jobs.submit(db_session, tasks.send_reminders, None)
    assert jobs.execute(again.id) == {"activities": 0, "reminded": 0}
    # a later run (a day on) reminds for next week's when its day comes
    later = jobs.submit(db_session, tasks.send_reminders, (utcnow() + timedelta(days=6, hours=12)).isoformat())
    assert jobs.execute(later.id)["activities"] == 1


def test_send_reminders_command(app, tree, make_user, make_member, make_activity, db_session):
    activity = make_activity(tree["comm"], starts_at=soon(5))
    member = make_user()
    make_member(member, tree["comm"])
    services.sign_up(db_session, services.viewer(db_session, member), activity.id)
    member_id = member.id
    result = app.test_cli_runner().invoke(args=["activities", "send-reminders"])
    assert result.exit_code == 0, result.output
    job_id = result.output.split()[2].rstrip(":")
    if "queued" in result.output:  # with Redis the job waits for a worker: be the worker
        jobs.execute(job_id)
    assert db_session.get(jobs.JobRecord, job_id).result == {"activities": 1, "reminded": 1}
    assert db_session.scalar(sa.select(Notification.user_id).where(Notification.kind == "activity.reminder")) == member_id


def test_ics_of_an_activity_and_the_personal_feed(tree, make_user, make_member, make_activity, login, api,
                                                  db_session, client):
    activity = make_activity(tree["comm"], title="Poetry, evening; new year", location="Palace")
    other = make_activity(tree["comm"], title="Not mine")
    member = make_user()
    make_member(member, tree["comm"])
    services.sign_up(db_session, services.viewer(db_session, member), activity.id)
    db_session.commit()
    ics = login(member).get(f"/activities/{activity.id}/calendar.ics")
    assert ics.status_code == 200 and ics.mimetype == "text/calendar"
    text = ics.get_data(as_text=True)
    assert "BEGIN:VEVENT" in text and "SUMMARY:Poetry\\, evening\\; new year" in text and "LOCATION:Palace" in text
    assert text.count("\r\n") > 10
    url = api(member).get("/api/v1/me/calendar").json["url"]
    feed = client.get(url.replace("http://localhost", ""))
    body = feed.get_data(as_text=True)
    assert feed.status_code == 200 and "Poetry" in body and other.title not in body
    assert client.get("/calendar/forged-token.ics").status_code == 404
    # a password change (token generation) retires the old feed address
    member.token_generation += 1
    db_session.commit()
    assert client.get(url.replace("http://localhost", "")).status_code == 404


def test_notifications_page_and_mark_read(tree, make_user, make_member, make_activity, login_en, api, db_session):
    activity = make_activity(tree["comm"])
    member = make_user()
    make_member(member, tree["comm"])
    services.notify(db_session, [member.id], activity, "reminder")
    db_session.commit()
    page = login_en(member).get("/me/notifications")
    assert page.status_code == 200 and "Reminder" in page.get_data(as_text=True)
    assert api(member).post("/api/v1/me/notifications/read").status_code == 204
    assert api(member).get("/api/v1/me/notifications").json["items"][0]["read_at"] is not None


def test_calendar_text_with_a_lone_carriage_return_cannot_add_properties(tree, make_user, make_member, make_activity,
                                                                         login, db_session):
    activity = make_activity(tree["comm"], title="Choir\rATTACH:http://evil/x.exe", location="Hall\rRRULE:FREQ=SECONDLY",
                             description="Bring\rORGANIZER:mailto:evil@x\nwater\r\nand songs")
    tree["comm"].name = "Union\rX-EVIL:1"
    member = make_user()
    make_member(member, tree["comm"])
    services.sign_up(db_session, services.viewer(db_session, member), activity.id)
    db_session.commit()
    text = login(member).get(f"/activities/{activity.id}/calendar.ics").get_data(as_text=True)
    lines = text.split("\r\n")
    assert "\r" not in "".join(lines) and "\n" not in "".join(lines)  # every line ends CRLF, nothing else breaks one
    unfolded = text.replace("\r\n ", "")
    for injected in ("ATTACH:", "RRULE:", "X-EVIL:", "ORGANIZER:mailto:evil"):
        assert not any(line.startswith(injected) for line in unfolded.split("\r\n")), injected
    assert "SUMMARY:Choir\\nATTACH:http://evil/x.exe" in unfolded
    assert "DESCRIPTION:Bring\\nORGANIZER:mailto:evil@x\\nwater\\nand songs" in unfolded
