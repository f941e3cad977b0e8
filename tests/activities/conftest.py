"""Fixtures of the activities tests: an activity factory, and a committing world for concurrency tests."""
from datetime import timedelta

import pytest

from union_saas.activities import services
from union_saas.activities.models import Activity
from union_saas.core.db import utcnow


def soon(hours=48):
    return utcnow().replace(microsecond=0) + timedelta(hours=hours)


@pytest.fixture
def make_activity(db_session):
    """``make_activity(tenant, scope="tenant", capacity=None, **fields)``: a published activity, straight in."""

    def make(tenant, *, title="Poetry evening", scope="tenant", status="published", starts_at=None, hours=2,
             **fields):
        starts_at = starts_at or soon()
        fields.setdefault("reach", "approved" if scope == "platform" else None)
        activity = Activity(tenant_id=tenant.id, root_id=tenant.root_id, title=title, scope=scope, status=status,
                            starts_at=starts_at, ends_at=starts_at + timedelta(hours=hours),
                            description=fields.pop("description", ""), description_html="",
                            members_only=fields.pop("members_only", False), **fields)
        db_session.add(activity)
        db_session.flush()
        return activity

    return make


def body(**fields):
    """A valid creation body for the API, with ``fields`` changed."""
    starts = soon()
    data = {"title": "New-year poetry concert", "description": "Come **early**.", "category": "culture",
            "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=2)).isoformat(),
            "location": "Workers' cultural palace", "capacity": 20, "scope": "tenant", "members_only": True}
    data.update(fields)
    return {k: v for k, v in data.items() if v is not ...}


__all__ = ["body", "services", "soon"]


@pytest.fixture
def login_en(login):
    """A signed-in page client that reads English (the default language is Chinese)."""

    def sign_in(user):
        client = login(user)
        client.set_cookie("locale", "en")
        return client

    return sign_in
