"""Anyone with insights.view may ask for fresh figures, but not make the federation's figures recompute as
often as they click: asks are coalesced per federation (not while one waits or runs, nor soon after the
last one) and limited per person; the schedule is not held back."""
import sqlalchemy as sa

from union_saas.core import jobs
from union_saas.core.jobs import JobRecord
from union_saas.insights import tasks


def refreshes(session):
    session.expire_all()
    return session.scalars(sa.select(JobRecord).where(JobRecord.kind == tasks.refresh.job_name)
                           .order_by(JobRecord.created_at)).all()


def officer_page(make_tree, make_user, grant, login):
    t = make_tree("fed/s1")
    officer = make_user("figures-officer", locale="en")
    grant(officer, "union_officer", t["s1"])
    client = login(officer)
    client.set_cookie("locale", "en")
    return t, officer, client


def test_no_second_refresh_while_one_runs(db_session, make_tree, make_user, grant, login):
    t, _officer, client = officer_page(make_tree, make_user, grant, login)
    running, _queued = tasks.queue_refresh(db_session, t["s1"])
    running.status = "started"
    db_session.commit()
    assert client.post("/manage/s1/insights/refresh").status_code == 302
    assert [r.id for r in refreshes(db_session)] == [running.id]


def test_no_refresh_asked_soon_after_the_last_one(db_session, make_tree, make_user, grant, login):
    t, _officer, client = officer_page(make_tree, make_user, grant, login)
    done, _queued = tasks.queue_refresh(db_session, t["s1"])
    db_session.commit()
    jobs.execute(done.id)  # runs now: the figures are fresh
    assert refreshes(db_session)[0].status == "finished"
    for _ in range(5):
        assert client.post("/manage/s1/insights/refresh").status_code == 302
    assert len(refreshes(db_session)) == 1
    assert "up to date" in client.get("/manage/s1/insights").get_data(as_text=True)


def test_a_person_asking_again_and_again_is_limited(app, db_session, make_tree, make_user, grant, login,
                                                   monkeypatch):
    monkeypatch.setitem(app.config, "INSIGHTS_REFRESH_INTERVAL", 0)
    monkeypatch.setitem(app.config, "INSIGHTS_REFRESH_LIMITS", "2 per hour")
    _t, _officer, client = officer_page(make_tree, make_user, grant, login)
    answers = [client.post("/manage/s1/insights/refresh").status_code for _ in range(3)]
    assert answers == [302, 302, 429]


def test_the_schedule_is_not_held_back_by_a_recent_refresh(db_session, make_tree):
    t = make_tree("fed/s1")
    done, _queued = tasks.queue_refresh(db_session, t["s1"])
    db_session.commit()
    jobs.execute(done.id)
    again, queued = tasks.queue_refresh(db_session, t["fed"])  # the periodic run, an import
    assert queued and again.id != done.id
