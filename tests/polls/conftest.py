"""Fixtures of the polls tests: verified members (a person is their ID number's keyed hash) and polls."""
import hashlib
from datetime import timedelta
from itertools import count

import pytest

from union_saas.core.db import utcnow
from union_saas.polls.models import Poll, PollOption

_people = count(1)


def person_hash(n):
    return hashlib.sha256(f"person-{n}".encode()).hexdigest()


@pytest.fixture
def verified(db_session, make_user):
    """``verified(tenant, person=None)``: a user with an active, real-name membership of ``tenant``; pass the
    same ``person`` twice for two accounts of one person (the first membership is closed then)."""
    from union_saas.members.models import Membership

    def make(tenant, person=None, *, created_at=None, **user_fields):
        user = make_user(**user_fields)
        key = person or person_hash(next(_people))
        m = Membership(user_id=user.id, tenant_id=tenant.id, root_id=tenant.root_id, status="active", id_hash=key,
                       real_name="Zhang San", verified_at=utcnow())
        if created_at is not None:
            m.created_at = created_at
        db_session.add(m)
        db_session.flush()
        user.person = key
        return user

    return make


@pytest.fixture
def make_poll(db_session):
    """``make_poll(tenant, labels=("A", "B"), **fields)``: a published poll, open now unless told otherwise."""

    def make(tenant, labels=("Tea", "Coffee"), *, scope="tenant", opens=-1, closes=24, **fields):
        now = utcnow()
        fields.setdefault("reach", "approved" if scope == "platform" else None)
        poll = Poll(tenant_id=tenant.id, root_id=tenant.root_id, title=fields.pop("title", "Which drink?"),
                    description="", kind=fields.pop("kind", "single"), max_choices=fields.pop("max_choices", 1),
                    scope=scope, status="published", opens_at=now + timedelta(hours=opens),
                    closes_at=now + timedelta(hours=closes), results=fields.pop("results", "live"), **fields)
        db_session.add(poll)
        db_session.flush()
        db_session.add_all([PollOption(poll_id=poll.id, label=label, position=i) for i, label in enumerate(labels)])
        db_session.flush()
        poll.option_ids = [o.id for o in sorted(poll_options(db_session, poll), key=lambda o: o.position)]
        return poll

    return make


def poll_options(session, poll):
    import sqlalchemy as sa

    return list(session.scalars(sa.select(PollOption).where(PollOption.poll_id == poll.id)))


@pytest.fixture
def world(make_tree, make_user, grant):
    """fed/street/community and fed/other; an organiser (union_admin) at street."""
    tree = make_tree("fed/street/community", "fed/other")
    organiser = make_user("organiser")
    grant(organiser, "union_admin", tree["street"])
    tree["organiser"] = organiser
    return tree


@pytest.fixture
def login_en(login):
    def sign_in(user):
        client = login(user)
        client.set_cookie("locale", "en")
        return client

    return sign_in
