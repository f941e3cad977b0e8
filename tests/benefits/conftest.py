"""Fixtures of the benefits tests: giveaways straight in, verified members (a person = a verified ID's hash)."""
import hashlib
from datetime import timedelta

import pytest

from union_saas.benefits import draw as drawing
from union_saas.benefits.models import Giveaway
from union_saas.core.db import utcnow
from union_saas.members.models import Membership


def now():
    return utcnow().replace(microsecond=0)


def person(n) -> str:
    """The keyed hash of person ``n``'s ID number, as members keep it (stand-in: any 64 hex)."""
    return hashlib.sha256(f"person-{n}".encode()).hexdigest()


def new_giveaway(session, tenant, *, method="lottery", quantity=2, scope="tenant", opens=-1, closes=24,
                 claim_by=None, title="Football tickets", **fields):
    """A published giveaway of ``tenant`` (hours from now for its window)."""
    t = now()
    g = Giveaway(tenant_id=tenant.id, root_id=tenant.root_id, title=title, description="", description_html="",
                 scope=scope, reach="approved" if scope == "platform" else None, status="published", method=method,
                 quantity=quantity, opens_at=t + timedelta(hours=opens), closes_at=t + timedelta(hours=closes),
                 claim_by=None if claim_by is None else t + timedelta(hours=claim_by), entries_count=0,
                 winners_count=0, tickets_count=0, **fields)
    if method == "lottery":
        g.secret = drawing.new_secret()
        g.commitment = drawing.commitment_of(g.secret)
    session.add(g)
    session.flush()
    return g


@pytest.fixture
def make_giveaway(db_session):
    def make(tenant, **kw):
        return new_giveaway(db_session, tenant, **kw)

    return make


def add_member(session, user, tenant, n=None, status="active"):
    row = Membership(user_id=user.id, tenant_id=tenant.id, root_id=tenant.root_id, status=status,
                     id_hash=person(user.id if n is None else n), verified_at=utcnow())
    session.add(row)
    session.flush()
    return row


@pytest.fixture
def verified(db_session):
    """``verified(user, tenant, n=None)``: an active membership whose verified ID is person ``n``'s."""

    def make(user, tenant, n=None):
        return add_member(db_session, user, tenant, n)

    return make


@pytest.fixture
def union(make_tree, make_user, grant):
    """A federation ``fed`` with street ``fed-s`` and community ``fed-s-c``, and a benefit manager at the street."""
    tenants = make_tree("fed/fed-s/fed-s-c")
    admin = make_user("street-admin")
    grant(admin, "union_admin", tenants["fed-s"])
    return tenants, admin


@pytest.fixture
def login_en(login):
    def sign_in(user):
        client = login(user)
        client.set_cookie("locale", "en")
        return client

    return sign_in
