"""A job recorded is a job done: the record is the outbox. A job runs once however often it is handed on;
what Redis lost, or a dead worker left, the sweeper hands on again; in development, jobs run inline while no
Redis answers or no worker is registered."""
import logging
import os
from datetime import timedelta

import pytest
import sqlalchemy as sa
from redis import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from union_saas.core import jobs
from union_saas.core.db import utcnow
from union_saas.core.jobs import JobRecord
from union_saas.office.models import NoticeReceipt

needs_redis = pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="needs TEST_REDIS_URL")
runs = []


def away():
    """A Redis that does not answer (nothing listens on port 1)."""
    return Redis(host="127.0.0.1", port=1, socket_connect_timeout=1, retry=Retry(NoBackoff(), 0))


@jobs.job("default")
def counted(record, label):
    """A job that says each time it runs."""
    runs.append(label)
    return {"runs": len(runs)}


@jobs.job("default")
def loses_the_database(record):
    raise sa.exc.OperationalError("INSERT", {}, Exception("terminating connection due to administrator command"),
                                  connection_invalidated=True)


@pytest.fixture
def redis_away(app, monkeypatch):
    """Jobs go to Redis, and Redis does not answer (nothing listens on port 1)."""
    monkeypatch.setitem(app.config, "JOBS_INLINE", False)
    monkeypatch.setitem(app.extensions.setdefault("union_saas.jobs", {}), "redis",
                        away())


@pytest.fixture
def sweep_now(app, monkeypatch):
    """The sweeper treats every record as a minute old."""
    monkeypatch.setitem(app.config, "JOBS_SWEEP_AFTER", 0)
    return lambda: jobs.run_periodic(jobs.sweep_outbox.periodic_name)


def record_of(session, job_id):
    session.expire_all()
    return session.get(JobRecord, job_id)


def test_a_job_handed_on_twice_runs_once(db_session):
    runs.clear()
    record = jobs.submit(db_session, counted, "once")
    db_session.commit()
    assert jobs.execute(record.id) == {"runs": 1}
    assert jobs.execute(record.id) is None  # handed on again (the sweeper, a retry): already done
    assert runs == ["once"]
    done = record_of(db_session, record.id)
    assert (done.status, done.attempts) == ("finished", 1) and done.started_at is not None


def test_a_job_that_lost_the_database_stays_started_for_the_sweeper(db_session):
    record = jobs.submit(db_session, loses_the_database)
    db_session.commit()
    with pytest.raises(sa.exc.OperationalError):
        jobs.execute(record.id)
    assert record_of(db_session, record.id).status == "started"  # not failed: it is run again


def test_a_notice_sent_while_redis_is_away_is_accepted_and_waits_in_the_outbox(make_tree, make_user, grant, api,
                                                                               db_session, redis_away, caplog):
    t = make_tree("fed/a", "fed/b")
    admin = make_user()
    grant(admin, "federation_admin", t["fed"])
    with caplog.at_level(logging.WARNING, logger="union_saas.core.jobs"):
        response = api(admin).post("/api/v1/tenants/fed/notices", json={"title": "While away", "to": "children"})
    assert response.status_code == 202, response.get_json()
    record = record_of(db_session, response.get_json()["job"])
    assert record.status == "queued" and record.attempts == 0
    assert "stays queued" in caplog.text
    assert db_session.scalar(sa.select(sa.func.count()).select_from(NoticeReceipt)) == 0


@needs_redis
def test_the_sweeper_hands_on_what_redis_lost_once_it_answers(make_tree, make_user, grant, api, db_session, app,
                                                              monkeypatch, sweep_now, run_jobs):
    t = make_tree("fed/a", "fed/b")
    admin = make_user()
    grant(admin, "federation_admin", t["fed"])
    state = app.extensions["union_saas.jobs"]
    real = jobs.redis_connection()
    monkeypatch.setitem(state, "redis", away())
    response = api(admin).post("/api/v1/tenants/fed/notices", json={"title": "While away", "to": "children"})
    assert response.status_code == 202
    job_id = response.get_json()["job"]
    state["redis"] = real  # Redis is back
    assert sweep_now() == {"handed_on": 1, "queued_again": 0, "given_up": 0}
    assert sweep_now() == {"handed_on": 0, "queued_again": 0, "given_up": 0}  # RQ holds it now
    run_jobs()
    assert record_of(db_session, job_id).status == "finished"
    assert db_session.scalar(sa.select(sa.func.count()).select_from(NoticeReceipt)) == 2


@needs_redis
def test_the_sweeper_queues_again_a_job_whose_worker_died_and_gives_up_after_three_runs(db_session, sweep_now,
                                                                                         run_jobs):
    runs.clear()
    long_ago = utcnow() - timedelta(minutes=5)
    died = JobRecord(kind=counted.job_name, queue="default", args=["again"], status="started",
                     started_at=long_ago, attempts=1)
    worn = JobRecord(kind=counted.job_name, queue="default", args=["never"], status="started",
                     started_at=long_ago, attempts=jobs.MAX_ATTEMPTS)
    db_session.add_all([died, worn])
    db_session.commit()  # RQ holds neither: their workers are gone
    assert sweep_now() == {"handed_on": 0, "queued_again": 1, "given_up": 1}
    run_jobs()
    assert (record_of(db_session, died.id).status, record_of(db_session, died.id).attempts) == ("finished", 2)
    gave_up = record_of(db_session, worn.id)
    assert gave_up.status == "failed" and "3 times" in gave_up.error
    assert runs == ["again"]


@needs_redis
def test_the_sweeper_leaves_alone_a_job_rq_holds(db_session, sweep_now):
    record = jobs.submit(db_session, counted, "waiting")
    db_session.commit()
    jobs.dispatch_pending()  # on its queue, no worker yet
    record.status, record.started_at = "started", utcnow() - timedelta(minutes=5)  # or even running, long
    db_session.commit()
    assert sweep_now() == {"handed_on": 0, "queued_again": 0, "given_up": 0}
    jobs.get_queue("default").empty()


@pytest.mark.parametrize("redis", ["away", "without workers"])
def test_in_development_jobs_run_inline_while_no_redis_or_no_worker_answers_and_the_log_says_which(
        redis, app, db_session, monkeypatch, caplog):
    if redis == "without workers" and not os.environ.get("TEST_REDIS_URL"):
        pytest.skip("needs TEST_REDIS_URL")
    runs.clear()
    monkeypatch.setitem(app.config, "JOBS_INLINE", False)
    monkeypatch.setitem(app.config, "JOBS_INLINE_FALLBACK", True)
    if redis == "away":
        monkeypatch.setitem(app.extensions.setdefault("union_saas.jobs", {}), "redis",
                            away())
    record = jobs.submit(db_session, counted, redis)
    db_session.commit()
    with caplog.at_level(logging.INFO, logger="union_saas.core.jobs"):
        jobs.dispatch_pending()
    assert runs == [redis] and record_of(db_session, record.id).status == "finished"
    expected = "no Redis answers" if redis == "away" else "no RQ worker is registered"
    assert f"runs inline: {expected}" in caplog.text


def test_a_fan_out_run_again_after_its_worker_died_creates_nothing_twice(make_tree, make_user, grant, api,
                                                                        db_session):
    from union_saas.office.models import Notice

    t = make_tree("fed/a", "fed/b", "fed/a/a1")
    admin = make_user()
    grant(admin, "federation_admin", t["fed"])
    response = api(admin).post("/api/v1/tenants/fed/notices", json={"title": "Twice", "to": "subtree"})
    job_id = response.get_json()["job"]
    jobs.execute(job_id)  # with Redis the job waits for a worker: be the worker (inline it ran already)
    notice = db_session.get(Notice, response.get_json()["notice"]["id"])
    assert db_session.scalar(sa.select(sa.func.count()).where(NoticeReceipt.notice_id == notice.id)) == 3
    # Its worker died before the end was recorded: the sweeper queues it again, and it runs again.
    db_session.execute(sa.update(JobRecord).where(JobRecord.id == job_id).values(status="queued"))
    db_session.commit()
    assert jobs.execute(job_id) == {"addressed": 3, "created": 0}
    assert db_session.scalar(sa.select(sa.func.count()).where(NoticeReceipt.notice_id == notice.id)) == 3
    assert record_of(db_session, job_id).attempts == 2
