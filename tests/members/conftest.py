"""Fixtures of the members domain: valid ID numbers, roster rows, applicants."""
import itertools

import pytest

from union_saas.members import crypto, identity
from union_saas.members.models import Membership, RosterEntry

_serial = itertools.count(100)


def new_id(born="19900101", region="110105"):
    """A fresh valid 18-digit ID number (GB 11643 check digit)."""
    return identity.make_id(f"{region}{born}{next(_serial) % 1000:03d}")


def person(name="张三", born="19900101"):
    return {"real_name": name, "id_number": new_id(born), "phone": f"139{next(_serial):08d}"}


@pytest.fixture
def make_roster(db_session):
    def make(tenant, real_name, id_number, phone=None, **fields):
        row = RosterEntry(tenant_id=tenant.id, root_id=tenant.root_id, name=real_name, phone=phone,
                          id_hash=crypto.id_hash(id_number), id_cipher=crypto.encrypt_id(id_number),
                          id_masked=identity.mask_id(id_number), **fields)
        db_session.add(row)
        db_session.flush()
        return row

    return make


@pytest.fixture
def make_applicant(db_session, make_user):
    """``make_applicant(tenant, status="pending")``: a new user with a membership carrying real-name data."""

    def make(tenant, status="pending", user=None, **who):
        user = user or make_user()
        data = {**person(), **who}
        number = identity.normalise_id(data["id_number"])
        row = Membership(user_id=user.id, tenant_id=tenant.id, root_id=tenant.root_id, status=status,
                         real_name=data["real_name"], phone=data["phone"], id_hash=crypto.id_hash(number),
                         id_cipher=crypto.encrypt_id(number), id_masked=identity.mask_id(number))
        db_session.add(row)
        db_session.flush()
        row.id_number = number  # for the test's eyes only
        return row

    return make


@pytest.fixture
def real_commits(app, db_session):
    """Requests and setup commit for real, so that threads see each other's work; afterwards the rows this
    test made (under tenants and users whose names start with ``rc-``) are deleted.

    The default ``db_session`` wraps a test in one rolled-back transaction, which threads cannot share.
    """
    import sqlalchemy as sa

    from union_saas.extensions import db

    bound = db.session
    db.session = db._make_scoped_session({})
    try:
        yield db.session
    finally:
        db.session.remove()
        db.session = bound
        _delete_rc_rows(db.engine, sa)


def _delete_rc_rows(engine, sa):
    from union_saas.access.models import Grant
    from union_saas.accounts.models import User
    from union_saas.core.audit import AuditEntry
    from union_saas.core.files import StoredFile
    from union_saas.core.inbox import Notification
    from union_saas.core.jobs import JobRecord
    from union_saas.members.models import Follow, MemberFile, Membership, RosterEntry
    from union_saas.tenancy.models import Tenant

    with engine.begin() as conn:
        users = sa.select(User.id).where(User.username.like("rc-%")).scalar_subquery()
        tenants = sa.select(Tenant.id).where(Tenant.slug.like("rc-%")).scalar_subquery()
        conn.execute(sa.delete(AuditEntry).where(sa.or_(AuditEntry.actor_id.in_(users),
                                                        AuditEntry.tenant_id.in_(tenants))))
        conn.execute(sa.update(Membership).where(Membership.user_id.in_(users)).values(from_membership_id=None))
        conn.execute(sa.delete(Membership).where(Membership.user_id.in_(users)))
        conn.execute(sa.delete(Follow).where(Follow.user_id.in_(users)))
        conn.execute(sa.delete(RosterEntry).where(RosterEntry.tenant_id.in_(tenants)))
        kept = sa.union(sa.select(MemberFile.file_id).where(MemberFile.tenant_id.in_(tenants)),
                        sa.select(JobRecord.file_id).where(JobRecord.owner_id.in_(users)))
        conn.execute(sa.delete(StoredFile).where(StoredFile.id.in_(kept)))  # their member files go with them
        conn.execute(sa.delete(JobRecord).where(JobRecord.owner_id.in_(users)))
        conn.execute(sa.delete(Grant).where(Grant.user_id.in_(users)))
        conn.execute(sa.delete(Notification).where(Notification.user_id.in_(users)))
        conn.execute(sa.delete(User).where(User.username.like("rc-%")))
        for (tenant_id,) in conn.execute(sa.select(Tenant.id).where(Tenant.slug.like("rc-%"))
                                         .order_by(Tenant.depth.desc())).all():
            conn.execute(sa.delete(Tenant).where(Tenant.id == tenant_id))
