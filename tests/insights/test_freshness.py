"""The figures stay fresh: one refresh queued at a time per federation, one after each roster import, one
every ten minutes from the scheduler (with the other periodic jobs), and one after ``demo seed``."""
import os

import pytest
import sqlalchemy as sa

from tests.conftest import _password_hash
from tests.members.conftest import make_applicant  # noqa: F401 - a fixture
from union_saas.core import jobs
from union_saas.core.jobs import JobRecord
from union_saas.insights import services, tasks
from union_saas.insights.models import RefreshState, Rollup

needs_redis = pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="needs TEST_REDIS_URL")


def refresh_jobs(session):
    return session.scalars(sa.select(JobRecord).where(JobRecord.kind == tasks.refresh.job_name)
                           .order_by(JobRecord.created_at)).all()


def test_a_second_refresh_is_not_queued_while_one_waits(db_session, make_tree, make_user, make_member, run_jobs):
    t = make_tree("fed/s1/c1", "other/o1")
    first, queued = tasks.queue_refresh(db_session, t["c1"])
    again, queued_again = tasks.queue_refresh(db_session, t["fed"])
    other, queued_other = tasks.queue_refresh(db_session, t["o1"])
    assert queued and not queued_again and again.id == first.id
    assert queued_other and other.id != first.id  # another federation has its own
    make_member(make_user(), t["c1"])  # what the waiting refresh will count
    db_session.commit()
    jobs.dispatch_pending()
    run_jobs()
    db_session.expire_all()
    assert db_session.get(JobRecord, first.id).status == "finished"
    assert db_session.get(Rollup, t["fed"].id).members_active == 1
    # Once it has started, a new change needs a new refresh.
    later, queued_later = tasks.queue_refresh(db_session, t["s1"])
    assert queued_later and later.id != first.id
    assert db_session.get(RefreshState, t["fed"].id).job_id == later.id


def test_the_button_says_so_when_a_refresh_is_waiting(db_session, make_tree, make_user, grant, login):
    t = make_tree("fed/s1")
    admin = make_user("fed-admin", locale="en")
    grant(admin, "federation_admin", t["fed"])
    waiting, _queued = tasks.queue_refresh(db_session, t["fed"])  # queued, not run
    client = login(admin)
    client.set_cookie("locale", "en")
    response = client.post("/manage/s1/insights/refresh")
    assert response.status_code == 302 and response.headers["Location"].endswith("/manage/s1/insights")
    assert "already waiting" in client.get("/manage/s1/insights").get_data(as_text=True)
    assert [r.id for r in refresh_jobs(db_session)] == [waiting.id]


def test_a_roster_import_queues_the_federations_refresh(db_session, make_tree, make_user, grant, api,
                                                       make_applicant, run_jobs):  # noqa: F811
    from tests.members.test_roster import csv_bytes, finish, upload

    t = make_tree("fed/street")
    admin = make_user(locale="en")
    grant(admin, "union_admin", t["street"])
    applicant = make_applicant(t["street"])  # pending until the roster shows them
    services.refresh_all(db_session)
    db_session.commit()
    assert db_session.get(Rollup, t["fed"].id).members_pending == 1
    row = {"real_name": applicant.real_name, "id_number": applicant.id_number, "phone": applicant.phone}
    client = api(admin)
    job = finish(client, upload(client, csv_bytes([row]), "roster.csv"))
    assert job["status"] == "finished" and job["result"]["imported"] == 1
    run_jobs()
    db_session.expire_all()
    refreshes = refresh_jobs(db_session)
    assert len(refreshes) == 1 and refreshes[0].status == "finished"
    rollup = db_session.get(Rollup, t["fed"].id)
    assert (rollup.members_pending, rollup.members_active, rollup.members_verified) == (0, 1, 1)


def test_the_scheduler_registers_every_periodic_job():
    from redis import Redis

    schedule = {p.name: (p.every, p.cron) for p in jobs.periodic_jobs()}
    assert schedule["union_saas.insights.tasks:refresh_federations"] == (600, None)
    assert schedule["union_saas.activities.tasks:hourly_reminders"] == (None, "0 * * * *")
    assert schedule["union_saas.office.tasks:daily_due_reminders"] == (None, "0 8 * * *")
    scheduler = jobs.scheduler_for(Redis())  # registering talks to no Redis yet
    registered = {job.name: (job.interval, job.cron, job.args) for job in scheduler.get_jobs()}
    assert registered["union_saas.insights.tasks:refresh_federations"] == (
        600, None, ("union_saas.insights.tasks:refresh_federations",))
    assert set(registered) == set(schedule)


def test_the_periodic_refresh_queues_one_refresh_per_federation(app, db_session, make_tree, run_jobs):
    t = make_tree("fed/s1", "other/o1")
    result = jobs.run_periodic(tasks.refresh_federations.periodic_name)
    assert result == {"queued": 2, "already_queued": 0}
    run_jobs()
    db_session.expire_all()
    assert db_session.get(Rollup, t["s1"].id) is not None and db_session.get(Rollup, t["o1"].id) is not None


def test_the_periodic_reminders_run(app, db_session):
    assert jobs.run_periodic("union_saas.office.tasks:daily_due_reminders") == {"task.due_soon": 0,
                                                                                 "task.due_today": 0}
    jobs.run_periodic("union_saas.activities.tasks:hourly_reminders")
    kinds = db_session.scalars(sa.select(JobRecord.kind)).all()
    assert "union_saas.activities.tasks:send_reminders" in kinds


@needs_redis
def test_the_scheduler_enqueues_on_redis_and_a_worker_runs_it(db_session, make_tree, run_jobs):
    from union_saas.core.jobs import redis_connection

    t = make_tree("fed/s1")
    db_session.commit()
    scheduler = jobs.scheduler_for(redis_connection())
    due = sorted(job.name for job in scheduler.enqueue_jobs())
    # interval jobs run at once (the outbox sweep, the figures, each module's own); cron ones wait for their time
    assert due == sorted(entry.name for entry in jobs.periodic_jobs() if entry.every)
    assert {"union_saas.core.jobs:sweep_outbox", "union_saas.insights.tasks:refresh_federations"} <= set(due)
    assert "union_saas.activities.tasks:hourly_reminders" not in due
    run_jobs()
    db_session.expire_all()
    assert db_session.get(Rollup, t["s1"].id) is not None


@needs_redis
def test_a_second_scheduler_waits_for_the_one_registered_alive(db_session):
    from union_saas.core.jobs import redis_connection

    connection = redis_connection()
    running = jobs.scheduler_for(connection)
    running.pid += 1  # another process
    running.register_birth()  # as RQ's scheduler does when it starts
    try:
        starting = jobs.scheduler_for(connection)
        assert [other.name for other in jobs.other_schedulers(connection, starting)] == [running.name]
    finally:
        running.register_death()  # as it does when it stops (SIGTERM)
    assert jobs.other_schedulers(connection, starting) == []


def test_demo_seed_ends_with_the_federations_figures(db_session):
    from union_saas.demo_seed import SCALES, Scale, seed

    small = SCALES["small"]
    scale = Scale(**{**small.__dict__, "users": 400, "followers": 300, "members": 200})
    ctx = seed(db_session, scale, slug="seedins", password_hash=_password_hash(), domains=("insights",))
    rollup = db_session.get(Rollup, ctx.root.id)
    assert rollup is not None and rollup.members_active == scale.members
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Rollup)
                             .where(Rollup.root_id == ctx.root.id)) == len(ctx.tenants)

