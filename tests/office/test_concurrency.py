"""Real commits from real threads on PostgreSQL: invariants hold whatever the interleaving."""
import threading

import pytest
import sqlalchemy as sa

from tests.conftest import is_postgres
from tests.office import helpers
from union_saas.access.models import Grant
from union_saas.accounts.models import User
from union_saas.core.audit import AuditEntry
from union_saas.core.jobs import JobRecord
from union_saas.extensions import db
from union_saas.office import services
from union_saas.office.models import (
    Assignment,
    Notice,
    NoticeRead,
    NoticeReceipt,
    OfficeNotification,
    Task,
)
from union_saas.tenancy import services as tenancy
from union_saas.tenancy.models import Tenant

pytestmark = [pytest.mark.postgres, pytest.mark.skipif(not is_postgres(), reason="needs PostgreSQL")]


@pytest.fixture
def committed(app, db_session):
    """A session that commits for real (not the per-test rolled-back one); deletes what it made afterwards."""
    test_session = db.session
    db.session = db._make_scoped_session({})
    made = {"roots": [], "users": []}
    try:
        yield db.session, made
    finally:
        session = db.session
        session.rollback()
        roots = made["roots"]
        tenant_ids = list(session.scalars(sa.select(Tenant.id).where(Tenant.root_id.in_(roots))))
        for model in (OfficeNotification, NoticeRead):
            session.execute(sa.delete(model).where(model.tenant_id.in_(tenant_ids)))
        session.execute(sa.delete(NoticeReceipt).where(NoticeReceipt.root_id.in_(roots)))
        session.execute(sa.update(Assignment).where(Assignment.root_id.in_(roots)).values(parent_assignment_id=None))
        for model in (Assignment, Task, Notice):
            session.execute(sa.delete(model).where(model.root_id.in_(roots)))
        session.execute(sa.delete(JobRecord).where(JobRecord.tenant_id.in_(tenant_ids)))
        session.execute(sa.delete(AuditEntry).where(AuditEntry.root_id.in_(roots)))
        session.execute(sa.delete(Grant).where(Grant.root_id.in_(roots)))
        session.execute(sa.update(Tenant).where(Tenant.id.in_(tenant_ids)).values(parent_id=None, root_id=None))
        session.execute(sa.delete(Tenant).where(Tenant.id.in_(tenant_ids)))
        session.execute(sa.delete(User).where(User.id.in_(made["users"])))
        session.commit()
        assert not session.scalar(sa.select(sa.func.count()).select_from(Tenant).where(Tenant.id.in_(tenant_ids)))
        session.remove()
        db.session = test_session


def world(session, made):
    fed = tenancy.create_federation(session, None, slug="cc-fed", name="CC")
    made["roots"].append(fed.id)
    street = tenancy.create_child(session, None, fed, slug="cc-s1", name="CC S1", kind="street")
    kids = [tenancy.create_child(session, None, street, slug=f"cc-c{i}", name=f"CC C{i}", kind="community")
            for i in range(5)]
    admin = User(username="cc-admin", display_name="CC", password_hash="x")
    session.add(admin)
    session.flush()
    made["users"].append(admin.id)
    session.add(Grant(user_id=admin.id, role="federation_admin", tenant_id=fed.id, root_id=fed.id))
    session.commit()
    made["users"].append(helpers.author(session, fed).id)
    return fed, street, kids, admin


def in_threads(n, fn):
    results, errors = [], []
    barrier = threading.Barrier(n)

    def run(i):
        try:
            barrier.wait()
            results.append(fn(i))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return results


def test_two_fan_outs_of_one_notice_at_once_make_each_receipt_once(app, committed):
    session, made = committed
    fed, _street, _kids, _admin = world(session, made)
    notice = helpers.send(session, fed)  # the first run, in this session
    session.execute(sa.delete(NoticeReceipt).where(NoticeReceipt.notice_id == notice.id))
    session.commit()
    notice_id = notice.id

    def fan_out(_i):
        with app.app_context():
            try:
                return services.fan_out_notice(db.session, db.session.get(Notice, notice_id))["created"]
            finally:
                db.session.commit()
                db.session.remove()

    in_threads(4, fan_out)
    assert session.scalar(sa.select(sa.func.count()).where(NoticeReceipt.notice_id == notice_id)) == 6


def test_accepting_one_report_twice_at_once_accepts_it_once(app, api, committed):
    session, made = committed
    fed, street, _kids, admin = world(session, made)
    task = helpers.assign(session, fed, "children")
    row = helpers.assignment_of(session, task, street)
    row.status, row.report = "submitted", {}
    session.commit()
    clients, path = [api(admin) for _ in range(4)], f"/api/v1/assignments/{row.id}/accept"
    statuses = in_threads(4, lambda i: clients[i].post(path).status_code)
    assert sorted(statuses) == [200, 409, 409, 409]
    session.refresh(row)
    assert row.status == "accepted"


def test_reading_at_once_records_each_person_once(app, api, committed):
    session, made = committed
    fed, street, _kids, _admin = world(session, made)
    officer = User(username="cc-officer", display_name="Officer", password_hash="x")
    session.add(officer)
    session.flush()
    made["users"].append(officer.id)
    session.add(Grant(user_id=officer.id, role="union_officer", tenant_id=street.id, root_id=fed.id))
    notice = helpers.send(session, fed, "children")
    session.commit()
    clients, path = [api(officer) for _ in range(4)], f"/api/v1/tenants/cc-s1/inbox/{notice.id}/read"
    statuses = in_threads(4, lambda i: clients[i].post(path).status_code)
    assert all(s in (204, 409) for s in statuses) and 204 in statuses
    assert session.scalar(sa.select(sa.func.count()).where(NoticeRead.notice_id == notice.id)) == 1
    receipt = session.scalar(sa.select(NoticeReceipt).where(NoticeReceipt.notice_id == notice.id,
                                                            NoticeReceipt.tenant_id == street.id))
    assert receipt.read_by_id == officer.id
