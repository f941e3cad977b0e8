"""The rollups against a direct count per subtree, on a generated tree built through the domains' models."""
import random
from collections import Counter
from datetime import timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from tests.office import helpers as office
from union_saas.accounts.models import User
from union_saas.activities.models import CATEGORIES, Activity, SignUp
from union_saas.core.db import utcnow
from union_saas.insights import services
from union_saas.insights.models import FIGURES, Rollup
from union_saas.members.models import Follow, Membership
from union_saas.office.models import Assignment, NoticeReceipt
from union_saas.tenancy.models import Tenant, subtree_clause

ZONE = ZoneInfo("Asia/Shanghai")
TREE = ("f/f-s1/f-s1-c1/f-s1-c1-e1", "f/f-s1/f-s1-c2", "f/f-s2/f-s2-c3", "f/f-s2/f-s2-c4/f-s2-c4-e2", "g/g-s1")


def build(session, make_tree, make_user, rng, now):
    """Members who joined over the last two years, some signed in lately; activities of every category over
    the past year and the coming weeks, with sign-ups by members and others, some checked in; notices, tasks."""
    tenants = make_tree(*TREE)
    units = list(tenants.values())
    people = []
    for t in units:
        for _ in range(rng.randint(0, 5)):
            status = rng.choice(("pending", "active", "active", "closed", "rejected"))
            login = rng.choice((None, 2, 29, 31, 200))
            user = make_user(last_login_at=now - timedelta(days=login, hours=1) if login else None)
            joined = now - timedelta(days=rng.choice((1, 20, 45, 100, 300, 340, 400, 800)), hours=rng.randint(0, 23))
            session.add(Membership(user_id=user.id, tenant_id=t.id, root_id=t.root_id, status=status,
                                   verified_at=now if rng.random() < 0.5 else None, created_at=joined))
            people.append(user)
        for _ in range(rng.randint(0, 3)):
            session.add(Follow(user_id=make_user().id, tenant_id=t.id, root_id=t.root_id))
    for t in units:
        for _ in range(rng.randint(0, 3)):
            start = now + timedelta(days=rng.choice((-400, -200, -40, -3, 5, 20)), hours=rng.randint(-12, 12))
            activity = Activity(tenant_id=t.id, root_id=t.root_id, title="A", starts_at=start,
                                ends_at=start + timedelta(hours=2), category=rng.choice(CATEGORIES),
                                status=rng.choice(("published", "published", "draft", "cancelled")))
            session.add(activity)
            session.flush()
            who = rng.sample(people, min(len(people), rng.randint(0, 3))) + [make_user() for _ in range(rng.randint(0, 2))]
            for user in who:
                status = rng.choice(("confirmed", "confirmed", "waitlisted", "cancelled"))
                signed = min(start, now) - timedelta(days=rng.choice((0.5, 10, 60)))
                checked = start + timedelta(minutes=10) if status == "confirmed" and start < now and rng.random() < .5 \
                    else None
                session.add(SignUp(activity_id=activity.id, user_id=user.id, root_id=t.root_id, status=status,
                                   created_at=signed, checked_in_at=checked))
    # One member whose only sign of life is a check-in last week, to an activity signed up for long ago.
    union = tenants["f-s1-c1"]
    quiet = make_user(last_login_at=now - timedelta(days=90))
    session.add(Membership(user_id=quiet.id, tenant_id=union.id, root_id=union.root_id, status="active"))
    talk = Activity(tenant_id=union.id, root_id=union.root_id, title="Talk", starts_at=now - timedelta(days=7),
                    ends_at=now - timedelta(days=7, hours=-2), category="learning")
    session.add(talk)
    session.flush()
    session.add(SignUp(activity_id=talk.id, user_id=quiet.id, root_id=union.root_id, status="confirmed",
                       created_at=now - timedelta(days=50), checked_in_at=now - timedelta(days=7)))
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
    figures["members_recently_active"] = recently_active(session, sub, now)
    return figures


def recently_active(session, sub, now):
    """Counted in Python from the rows: active members who signed in, signed up or checked in lately."""
    since = now - timedelta(days=30)
    engaged = {s.user_id for s in session.scalars(sa.select(SignUp))
               if s.created_at >= since or (s.checked_in_at and s.checked_in_at >= since)}
    members = session.execute(sa.select(Membership.user_id, User.last_login_at).join(User, User.id == Membership.user_id)
                              .where(Membership.tenant_id.in_(sub), Membership.status == "active")).all()
    return sum(1 for user_id, login in members if (login and login >= since) or user_id in engaged)


def direct_trends(session, tenant, now):
    """Members joined and participations per local month, and published activities by category, in Python."""
    sub = sa.select(Tenant.id).where(subtree_clause(Tenant.path, tenant.path)).scalar_subquery()
    months = services.last_months(now.astimezone(ZONE))
    month_of = lambda when: when.astimezone(ZONE).strftime("%Y-%m")
    joined = Counter(month_of(m.created_at) for m in session.scalars(
        sa.select(Membership).where(Membership.tenant_id.in_(sub), Membership.status.in_(("active", "closed")))))
    activities = session.scalars(sa.select(Activity).where(Activity.tenant_id.in_(sub))).all()
    starts = {a.id: a.starts_at for a in activities}
    confirmed = Counter(month_of(starts[s.activity_id]) for s in session.scalars(
        sa.select(SignUp).where(SignUp.activity_id.in_(list(starts)), SignUp.status == "confirmed"))
        if starts[s.activity_id] <= now)
    categories = Counter(a.category for a in activities if a.status == "published")
    return {"months": months, "members_joined": [joined[m] for m in months],
            "participations": [confirmed[m] for m in months],
            "categories": [{"category": c, "activities": n}
                           for c, n in sorted(categories.items(), key=lambda pair: (-pair[1], pair[0]))]}


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
        assert services.trends(db_session, tenant, now=now) == direct_trends(db_session, tenant, now), tenant.slug
        checked += 1
    assert checked == 11  # two federations, every level of the tree
    top = rows[tenants["f"].id]
    assert top.tasks_assigned > 0 and top.notices_addressed > 0 and top.members_active > 0
    # The generated tree exercises every figure: none is trivially zero at the top.
    assert 0 < top.members_recently_active < top.members_active
    trend = services.trends(db_session, tenants["f"], now=now)
    assert sum(trend["members_joined"]) > 0 and sum(trend["participations"]) > 0 and len(trend["categories"]) > 1
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
