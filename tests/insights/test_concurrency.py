"""Two refreshes of one federation at the same time, on PostgreSQL with real commits: the second waits for
the first's lock and then recomputes; two refresh requests at once queue one job."""
import threading
import time

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from tests.conftest import is_postgres
from union_saas.accounts.models import User
from union_saas.core.audit import AuditEntry
from union_saas.core.jobs import JobRecord
from union_saas.extensions import db
from union_saas.insights import services, tasks
from union_saas.insights.models import (
    CategoryRollup,
    MonthlyRollup,
    RefreshState,
    Rollup,
)
from union_saas.members.models import Membership
from union_saas.tenancy import services as tenancy
from union_saas.tenancy.models import Tenant

pytestmark = [pytest.mark.postgres, pytest.mark.skipif(not is_postgres(), reason="needs PostgreSQL")]


@pytest.fixture
def federation(app, db_session):
    """A federation of five unions with members, committed for real; everything made is deleted afterwards."""
    engine = db.engine
    with Session(engine) as s:
        fed = tenancy.create_federation(s, None, slug="ic-fed", name="IC")
        unions = [tenancy.create_child(s, None, fed, slug=f"ic-u{i}", name=f"IC U{i}", kind="community")
                  for i in range(5)]
        users = [User(username=f"ic-user{i}", display_name="IC", password_hash="x") for i in range(10)]
        s.add_all(users)
        s.flush()
        s.add_all([Membership(user_id=u.id, tenant_id=unions[i % 5].id, root_id=fed.id, status="active")
                   for i, u in enumerate(users)])
        s.commit()
        made = {"root": fed.id, "tenants": [fed.id] + [u.id for u in unions], "users": [u.id for u in users]}
    yield made
    with engine.begin() as c:
        for model in (RefreshState, Rollup, MonthlyRollup, CategoryRollup):
            c.execute(sa.delete(model).where(model.root_id == made["root"]))
        c.execute(sa.delete(JobRecord).where(JobRecord.tenant_id.in_(made["tenants"])))
        c.execute(sa.delete(AuditEntry).where(AuditEntry.root_id == made["root"]))
        c.execute(sa.delete(Membership).where(Membership.root_id == made["root"]))
        c.execute(sa.delete(User).where(User.id.in_(made["users"])))
        c.execute(sa.update(Tenant).where(Tenant.id.in_(made["tenants"])).values(parent_id=None, root_id=None))
        c.execute(sa.delete(Tenant).where(Tenant.id.in_(made["tenants"])))


def waiting_for_refresh_lock(root_id):
    """How many sessions wait for the federation's refresh lock."""
    with db.engine.connect() as c:
        # pg_locks lists every database's locks: count this one's only (other runs, other xdist workers)
        return c.scalar(sa.text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                                "AND classid = :ns AND objid = :root AND database = "
                                "(SELECT oid FROM pg_database WHERE datname = current_database())"),
                        {"ns": services.LOCK_REFRESH, "root": root_id})


def test_a_second_refresh_waits_for_the_first_then_recomputes(app, federation):
    engine = db.engine
    root_id = federation["root"]
    first = Session(engine)
    try:
        assert services.refresh(first, first.get(Tenant, root_id)) == 6  # holds the lock, not yet committed
        outcome = {}

        def second():
            with Session(engine) as s:
                try:
                    outcome["rows"] = services.refresh(s, s.get(Tenant, root_id))
                    s.commit()
                except Exception as error:  # noqa: BLE001 - reported below
                    outcome["error"] = repr(error)

        thread = threading.Thread(target=second)
        thread.start()
        for _ in range(200):  # until the second refresh is seen waiting on the lock (a wait, not a timing)
            if waiting_for_refresh_lock(root_id):
                break
            time.sleep(0.05)
        assert waiting_for_refresh_lock(root_id) == 1, outcome
        assert "rows" not in outcome and thread.is_alive()
        # Meanwhile a member joins: the second refresh, once it runs, counts them.
        with Session(engine) as s:
            user = User(username="ic-late", display_name="Late", password_hash="x")
            s.add(user)
            s.flush()
            federation["users"].append(user.id)
            s.add(Membership(user_id=user.id, tenant_id=federation["tenants"][1], root_id=root_id, status="active"))
            s.commit()
        first.commit()
    finally:
        first.close()
    thread.join(timeout=60)
    assert outcome == {"rows": 6}
    with Session(engine) as s:
        rows = s.scalars(sa.select(Rollup).where(Rollup.root_id == root_id)).all()
        assert len(rows) == 6  # one per union, none doubled
        assert {r.tenant_id: r.members_active for r in rows}[root_id] == 11


def test_two_refresh_requests_at_once_queue_one_job(app, federation):
    root_id = federation["root"]
    barrier = threading.Barrier(2)
    outcomes, errors = [], []

    def ask(slug):
        with app.app_context(), Session(db.engine) as s:
            try:
                tenant = s.scalar(sa.select(Tenant).where(Tenant.slug == slug))
                barrier.wait(timeout=10)
                record, queued = tasks.queue_refresh(s, tenant)
                s.commit()
                outcomes.append((record.id, queued))
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(repr(error))

    threads = [threading.Thread(target=ask, args=(slug,)) for slug in ("ic-u1", "ic-u2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(queued for _id, queued in outcomes) == [False, True]
    assert len({job_id for job_id, _queued in outcomes}) == 1
    with Session(db.engine) as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(JobRecord)
                        .where(JobRecord.kind == tasks.refresh.job_name,
                               JobRecord.tenant_id.in_(federation["tenants"]))) == 1
        assert s.get(RefreshState, root_id).job_id == outcomes[0][0]
