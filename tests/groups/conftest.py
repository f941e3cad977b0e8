"""Fixtures of the groups tests: a small federation with organisers and members, and a group factory."""
from datetime import timedelta
from types import SimpleNamespace

import pytest

from union_saas.core.db import utcnow
from union_saas.groups.models import Group, GroupMember


@pytest.fixture
def place(make_tree, make_user, make_member, grant):
    """fed/street/community and fed/other: an admin of each level, members of each union."""
    t = make_tree("fed/street/community", "fed/other")
    users = {}
    for name in ("fed_admin", "street_admin", "other_admin", "worker", "worker2", "neighbour", "outsider",
                 "community_worker", "juror"):
        users[name] = make_user(name.replace("_", "-"))
    grant(users["fed_admin"], "federation_admin", t["fed"])
    grant(users["street_admin"], "union_admin", t["street"])
    grant(users["other_admin"], "union_admin", t["other"])
    for name, slug in (("worker", "street"), ("worker2", "street"), ("community_worker", "community"),
                       ("neighbour", "other"), ("juror", "street")):
        make_member(users[name], t[slug])
    return SimpleNamespace(t=t, u=users)


@pytest.fixture
def make_group(db_session):
    """``make_group(tenant, founder, name=..., **fields)``: an active group with its founder as organiser."""

    def make(tenant, founder, *, name="Hiking club", kind="individual", scope="subtree", join_policy="open",
             status="active", created_at=None, **fields):
        group = Group(tenant_id=tenant.id, root_id=tenant.root_id, name=name, name_key=name.casefold(),
                      kind=kind, scope=scope, join_policy=join_policy, status=status, founder_id=founder.id,
                      members_count=1, description=fields.pop("description", ""), **fields)
        if created_at is not None:
            group.created_at = created_at
        db_session.add(group)
        db_session.flush()
        db_session.add(GroupMember(group_id=group.id, user_id=founder.id, root_id=group.root_id, status="active",
                                   role="organiser", joined_at=utcnow()))
        db_session.flush()
        return group

    return make


def soon(hours=48):
    return utcnow().replace(microsecond=0) + timedelta(hours=hours)


def activity_body(**fields):
    starts = soon()
    data = {"title": "Saturday hike", "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=3)).isoformat(), "capacity": 10, "members_only": False}
    data.update(fields)
    return data
