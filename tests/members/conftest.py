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
