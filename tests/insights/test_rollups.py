"""The rollups against a direct count per subtree, on a generated tree built through the domains' models."""
import random
from datetime import timedelta

import sqlalchemy as sa

from tests.office import helpers as office
from union_saas.activities.models import Activity, SignUp
from union_saas.core.db import utcnow
from union_saas.insights import services
from union_saas.insights.models import FIGURES, Rollup
from union_saas.members.models import Follow, Membership
from union_saas.office.models import Assignment, NoticeReceipt
from union_saas.tenancy.models import Tenant, subtree_clause

TREE = ("f/f-s1/f-s1-c1/f-s1-c1-e1", "f/f-s1/f-s1-c2", "f/f-s2/f-s2-c3", "f/f-s2/f-s2-c4/f-s2-c4-e2", "g/g-s1")


def build(session, make_tree, make_user, rng, now):
    tenants = make_tree(*TREE)
    units = list(tenants.values())
    for t in units:
        for _ in range(rng.randint(0, 4)):
            status = rng.choice(("pending", "active", "active", "closed", "rejected"))
            user = make_user()
            session.add(Membership(user_id=user.id, tenant_id=t.id, root_id=t.root_id, status=status,
                                   verified_at=now if rng.random() < 0.5 else None))
        for _ in range(rng.randint(0, 3)):
            session.add(Follow(user_id=make_user().id, tenant_id=t.id, root_id=t.root_id))
        for _ in range(rng.randint(0, 2)):
            start = now + timedelta(days=rng.choice((-40, -3, 5, 20)))
            activity = Activity(tenant_id=t.id, root_id=t.root_id, title="A", starts_at=start,
                                ends_at=start + timedelta(hours=2),
                                status=rng.choice(("published", "published", "draft", "cancelled")))
            session.add(activity)
            session.flush()
            for _ in range(rng.randint(0, 3)):
                status = rng.choice(("confirmed", "confirmed", "waitlisted", "cancelled"))
                session.add(SignUp(activity_id=activity.id, user_id=make_user().id, root_id=t.root_id,
                                   status=status, checked_in_at=now if status == "confirmed" and rng.random() < .5
                                   else None))
    session.flush()
    office.send(session, tenants["f"], "subtree")
    office.send(session, tenants["f-s2"], "subtree")
    office.assign(session, tenants["f"], "subtree")
    for receipt in session.scalars(sa.select(NoticeReceipt)):
        if rng.random() < 0.5:
            receipt.read_at = now
    for a in session.scalars(sa.select(Assignment)):
        if rng.random() < 0.6:
            a.status = "submitted"
            a.report = {}
            a.submitted_at = a.due_at + timedelta(days=rng.choice((-1, 1)))
    session.flush()
    return tenants


def direct(session, tenant, now):
    """The figures of ``tenant``'s subtree, counted straight from the domains' tables."""
    def count(stmt):
        return session.scalar(stmt) or 0

    sub = sa.select(Tenant.id).where(subtree_clause(Tenant.path, tenant.path)).scalar_subquery()
    m = sa.select(sa.func.count()).select_from(Membership).where(Membership.tenant_id.in_(sub))
    acts = sa.select(sa.func.count()).select_from(Activity).where(Activity.tenant_id.in_(sub),
                                                                  Activity.status == "published")
    signups = (sa.select(sa.func.count()).select_from(SignUp).join(Activity, Activity.id == SignUp.activity_id)
               .where(Activity.tenant_id.in_(sub)))
    receipts = sa.select(sa.func.count()).select_from(NoticeReceipt).where(NoticeReceipt.tenant_id.in_(sub))
    assigned = sa.select(sa.func.count()).select_from(Assignment).where(Assignment.tenant_id.in_(sub))
    figures = {f"members_{s}": count(m.where(Membership.status == s))
               for s in ("pending", "active", "closed", "rejected")}
    figures["members_verified"] = count(m.where(Membership.status == "active", Membership.verified_at.is_not(None)))
    figures["followers"] = count(sa.select(sa.func.count()).select_from(Follow).where(Follow.tenant_id.in_(sub)))
    figures["activities_held"] = count(acts.where(Activity.ends_at < now))
    figures["activities_upcoming"] = count(acts.where(Activity.starts_at >= now))
    figures["participations"] = count(signups.where(SignUp.status == "confirmed"))
    figures["checkins"] = count(signups.where(SignUp.checked_in_at.is_not(None)))
    figures["notices_addressed"] = count(receipts)
    figures["notices_read"] = count(receipts.where(NoticeReceipt.read_at.is_not(None)))
    figures["tasks_assigned"] = count(assigned)
    figures["tasks_on_time"] = count(assigned.where(Assignment.submitted_at <= Assignment.due_at))
    return figures


def test_rollups_match_direct_counts(db_session, make_tree, make_user):
    rng = random.Random(7)
    now = utcnow()
    tenants = build(db_session, make_tree, make_user, rng, now)
    assert services.refresh_all(db_session, now=now) >= len(tenants)
    rows = {r.tenant_id: r for r in db_session.scalars(sa.select(Rollup))}
    checked = 0
    for tenant in tenants.values():
        expected = direct(db_session, tenant, now)
        assert {f: getattr(rows[tenant.id], f) for f in FIGURES} == expected, tenant.slug
        checked += 1
    assert checked == 11  # two federations, every level of the tree
    top = rows[tenants["f"].id]
    assert top.tasks_assigned > 0 and top.notices_addressed > 0 and top.members_active > 0
    assert rows[tenants["g"].id].notices_addressed == 0


def test_refresh_replaces_one_federation(db_session, make_tree, make_user, make_member):
    tenants = make_tree("f/f-s1", "g/g-s1")
    services.refresh_all(db_session)
    make_member(make_user(), tenants["f-s1"])
    services.refresh(db_session, tenants["f"])
    assert db_session.get(Rollup, tenants["f"].id).members_active == 1
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Rollup).where(
        Rollup.root_id == tenants["g"].id)) == 2
    # Running it again changes nothing (delete + insert of the same rows).
    services.refresh(db_session, tenants["f-s1"])
    db_session.expire_all()
    assert db_session.get(Rollup, tenants["f"].id).members_active == 1
