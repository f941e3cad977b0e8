"""Capacity and the waitlist under real concurrency: threads, each with its own session, real commits.

On PostgreSQL (row lock) and on SQLite (the file database's write lock; a transaction that read an older
state is run again, as the views do); the rows made are deleted afterwards.
"""
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from tests.conftest import is_postgres
from union_saas.access.models import Grant
from union_saas.accounts.models import User
from union_saas.activities import services
from union_saas.activities.models import Activity, SignUp
from union_saas.core.audit import AuditEntry
from union_saas.core.db import utcnow
from union_saas.core.inbox import Notification
from union_saas.members.models import Membership
from union_saas.tenancy import services as tenancy
from union_saas.tenancy.models import Tenant

WORKERS = 50 if is_postgres() else 12  # SQLite: the pool holds 15 connections


@pytest.fixture
def committed(app):
    """A federation, a union, N verified members and an activity, committed for real; removed afterwards."""
    from union_saas.extensions import db

    engine = db.engine
    made = {}

    def build(n_members, capacity):
        with Session(engine) as s:
            fed = tenancy.create_federation(s, None, slug="conc-fed", name="Conc")
            union = tenancy.create_child(s, None, fed, slug="conc-union", name="Conc union", kind="enterprise")
            users = [User(username=f"conc{i}", display_name=f"C{i}", password_hash="x") for i in range(n_members)]
            s.add_all(users)
            s.flush()
            s.add_all([Membership(user_id=u.id, tenant_id=union.id, root_id=fed.id, status="active") for u in users])
            starts = utcnow() + timedelta(days=2)
            activity = Activity(tenant_id=union.id, root_id=fed.id, title="Conc", scope="tenant",
                                starts_at=starts, ends_at=starts + timedelta(hours=2), capacity=capacity,
                                members_only=True, description="", description_html="")
            s.add(activity)
            s.commit()
            made.update(fed=fed.id, union=union.id, users=[u.id for u in users], activity=activity.id)
        return made

    yield build
    with engine.begin() as c:
        if made:
            c.execute(sa.delete(Notification).where(Notification.subject_id == made["activity"]))
            c.execute(sa.delete(SignUp).where(SignUp.activity_id == made["activity"]))
            c.execute(sa.delete(Activity).where(Activity.id == made["activity"]))
            c.execute(sa.delete(Membership).where(Membership.user_id.in_(made["users"])))
            c.execute(sa.delete(User).where(User.id.in_(made["users"])))
            c.execute(sa.delete(AuditEntry).where(AuditEntry.tenant_id.in_([made["union"], made["fed"]])))
            c.execute(sa.delete(Tenant).where(Tenant.id == made["union"]))
            c.execute(sa.delete(Tenant).where(Tenant.id == made["fed"]))


def _run_in_threads(app, fn, items, workers=40):
    """Call ``fn(session, item)`` in ``workers`` threads, each with its own session and app context."""
    from union_saas.extensions import db

    start = threading.Barrier(min(workers, len(items)))
    results, errors = [], []

    def one(item):
        from flask_babel import force_locale

        # No request in a thread: pick the language the refusals are written in.
        with app.app_context(), force_locale("en"):
            try:
                start.wait(timeout=10)
            except threading.BrokenBarrierError:
                pass
            with Session(db.engine) as s:
                try:
                    results.append(fn(s, item))
                    s.commit()
                except Exception as error:  # noqa: BLE001 - collected and asserted on below
                    s.rollback()
                    errors.append(error)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(one, items))
    return results, errors


def _sign_up(session, user_id, activity_id):
    def work():
        user = session.get(User, user_id)
        return services.sign_up(session, services.viewer(session, user), activity_id).status

    return services.retrying(session, work, attempts=200)


def test_200_concurrent_sign_ups_for_20_places_give_20_confirmed_and_180_in_order(app, committed):
    from union_saas.extensions import db

    world = committed(200, 20)
    aid = world["activity"]
    results, errors = _run_in_threads(app, lambda s, uid: _sign_up(s, uid, aid), world["users"], workers=WORKERS)
    assert not errors, errors[:3]
    assert sorted(results) == ["confirmed"] * 20 + ["waitlisted"] * 180
    with Session(db.engine) as s:
        rows = s.scalars(sa.select(SignUp).where(SignUp.activity_id == aid)).all()
        activity = s.get(Activity, aid)
        confirmed = [r for r in rows if r.status == "confirmed"]
        waitlisted = sorted((r for r in rows if r.status == "waitlisted"), key=lambda r: r.position)
        assert len(confirmed) == 20 and activity.confirmed_count == 20
        assert len(waitlisted) == 180 and activity.waitlist_count == 180
        assert [r.position for r in waitlisted] == list(range(1, 181))
        # positions follow the order in which the sign-ups were made
        assert [r.created_at for r in waitlisted] == sorted(r.created_at for r in waitlisted)
        assert max(r.created_at for r in confirmed) <= waitlisted[0].created_at


def test_concurrent_double_sign_ups_of_one_person_make_one(app, committed):
    from union_saas.extensions import db

    world = committed(1, 5)
    aid, uid = world["activity"], world["users"][0]
    results, errors = _run_in_threads(app, lambda s, _: _sign_up(s, uid, aid), list(range(20)), workers=min(20, WORKERS))
    assert results == ["confirmed"] and len(errors) == 19
    with Session(db.engine) as s:
        assert s.scalar(sa.select(sa.func.count()).where(SignUp.activity_id == aid)) == 1
        assert s.get(Activity, aid).confirmed_count == 1


def test_concurrent_cancellations_promote_the_waitlist_in_order(app, committed):
    from union_saas.extensions import db

    world = committed(60, 20)
    aid, users = world["activity"], world["users"]
    _run_in_threads(app, lambda s, uid: _sign_up(s, uid, aid), users[:20], workers=1)
    _run_in_threads(app, lambda s, uid: _sign_up(s, uid, aid), users[20:], workers=1)
    leaving = users[:15]

    def cancel(session, uid):
        return services.retrying(session, lambda: services.cancel_signup(session, session.get(User, uid), aid).status,
                                 attempts=200)

    results, errors = _run_in_threads(app, cancel, leaving, workers=min(15, WORKERS))
    assert not errors and results == ["cancelled"] * 15
    with Session(db.engine) as s:
        activity = s.get(Activity, aid)
        assert (activity.confirmed_count, activity.waitlist_count) == (20, 25)
        confirmed = set(s.scalars(sa.select(SignUp.user_id).where(SignUp.activity_id == aid,
                                                                  SignUp.status == "confirmed")))
        # the first 15 of the waitlist got the places, nobody else
        assert confirmed == set(users[15:20]) | set(users[20:35])
        promoted = s.scalar(sa.select(sa.func.count()).where(Notification.subject_id == aid,
                                                             Notification.kind == "activity.promoted"))
        assert promoted == 15


def test_a_sign_up_checks_capacity_and_window_on_the_row_it_changes_not_on_what_it_read(app, committed):
    """The checks before the claim read a row that may be stale by the time the UPDATE runs."""
    from union_saas.core.errors import Conflict
    from union_saas.extensions import db

    world = committed(3, 1)
    aid, (first, second, third) = world["activity"], world["users"]
    with app.app_context(), Session(db.engine) as s:
        stale = s.get(Activity, aid)  # read while one place is free
        assert stale.confirmed_count == 0
        with Session(db.engine) as other:
            assert _sign_up(other, first, aid) == "confirmed"
            other.commit()
        # the place went meanwhile: the second person is waitlisted, not over capacity
        # (SQLite: the stale read makes the claim Busy, and the request runs again, as the views do)
        signup = services.retrying(s, lambda: services.sign_up(s, services.viewer(s, s.get(User, second)), aid))
        assert (signup.status, signup.position, signup.rank) == ("waitlisted", 1, 1)
        assert (s.get(Activity, aid).confirmed_count, s.get(Activity, aid).waitlist_count) == (1, 1)
        s.commit()
        s.get(Activity, aid)
        with Session(db.engine) as other:
            other.execute(sa.update(Activity).where(Activity.id == aid).values(status="cancelled"))
            other.commit()
        # cancelled meanwhile: refused, and nothing taken
        with pytest.raises(Conflict):
            services.retrying(s, lambda: services.sign_up(s, services.viewer(s, s.get(User, third)), aid))
        s.rollback()
    with Session(db.engine) as s:
        activity = s.get(Activity, aid)
        assert (activity.confirmed_count, activity.waitlist_count, activity.waitlist_seq) == (1, 1, 1)


@pytest.mark.skipif(not is_postgres(), reason="PostgreSQL closes a streaming cursor at a commit; SQLite does not")
def test_an_export_longer_than_a_batch_moves_its_bar_and_finishes_with_real_commits(committed, app, monkeypatch):
    """The sign-up export streams its rows (yield_per) and reports progress every batch: the progress must not
    commit the transaction the rows stream from."""
    from union_saas.access import engine as access_engine
    from union_saas.activities import tasks
    from union_saas.core import jobs
    from union_saas.core.files import StoredFile
    from union_saas.extensions import db

    made = committed(25, None)
    monkeypatch.setattr(tasks, "BATCH", 10)
    with Session(db.engine) as s:
        organiser = User(username="conc-organiser", display_name="Organiser", password_hash="x")
        s.add(organiser)
        s.flush()
        made["users"].append(organiser.id)
        s.add(Grant(user_id=organiser.id, role="activity_organizer", tenant_id=made["union"], root_id=made["fed"]))
        s.add_all([SignUp(activity_id=made["activity"], user_id=u, root_id=made["fed"], home_tenant_id=made["union"],
                          status="confirmed") for u in made["users"][:25]])
        s.execute(sa.update(Activity).where(Activity.id == made["activity"]).values(confirmed_count=25))
        record = jobs.JobRecord(kind=tasks.export_signups.job_name, args=[made["activity"]], owner_id=organiser.id)
        s.add(record)
        s.commit()
        job_id = record.id
    monkeypatch.setattr(db, "session", db._make_scoped_session({}))  # the worker's own session: real commits
    access_engine.forget()
    try:
        jobs.execute(job_id)
        with Session(db.engine) as s:
            done = s.get(jobs.JobRecord, job_id)
            assert (done.status, done.error, done.result) == ("finished", None, {"rows": 25})
    finally:
        db.session.remove()
        with db.engine.begin() as c:
            file_id = c.scalar(sa.select(jobs.JobRecord.file_id).where(jobs.JobRecord.id == job_id))
            c.execute(sa.delete(jobs.JobRecord).where(jobs.JobRecord.id == job_id))
            c.execute(sa.delete(StoredFile).where(StoredFile.id == file_id))
            c.execute(sa.delete(Grant).where(Grant.user_id == made["users"][-1]))
