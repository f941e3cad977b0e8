"""Rules of insights: computing the rollups of a federation, and reading them for a subtree.

The refresh counts each fact once, at its own tenant, with a handful of grouped queries over the
federation, then sums the counts up the tree by path (every tenant's path lists its ancestors), and
replaces the federation's rows in one transaction (delete + bulk insert). Pages read only the rollups.
"""
from collections import defaultdict
from datetime import UTC, datetime

import sqlalchemy as sa

from union_saas.activities.models import Activity, SignUp
from union_saas.core.db import utcnow
from union_saas.insights.models import FIGURES, Rollup
from union_saas.members.models import Follow, Membership
from union_saas.office.models import Assignment, NoticeReceipt
from union_saas.tenancy.models import Tenant, subtree_clause

SORTABLE = ("name",) + FIGURES + ("verification_rate",)


def _facts(session, root_id, now):
    """tenant_id -> {figure: count}, each fact counted at its own tenant."""
    counts = defaultdict(lambda: dict.fromkeys(FIGURES, 0))

    def add(rows, figure_of):
        for row in rows:
            for figure, value in figure_of(row).items():
                counts[row.tenant_id][figure] += value or 0

    verified = sa.func.sum(sa.case((sa.and_(Membership.status == "active", Membership.verified_at.is_not(None)), 1),
                                   else_=0))
    add(session.execute(sa.select(Membership.tenant_id, Membership.status, sa.func.count().label("n"),
                                  verified.label("verified"))
                        .where(Membership.root_id == root_id).group_by(Membership.tenant_id, Membership.status)),
        lambda r: {f"members_{r.status}": r.n, "members_verified": r.verified})
    add(session.execute(sa.select(Follow.tenant_id, sa.func.count().label("n"))
                        .where(Follow.root_id == root_id).group_by(Follow.tenant_id)),
        lambda r: {"followers": r.n})
    published = Activity.status == "published"
    add(session.execute(sa.select(
        Activity.tenant_id,
        sa.func.sum(sa.case((sa.and_(published, Activity.ends_at < now), 1), else_=0)).label("held"),
        sa.func.sum(sa.case((sa.and_(published, Activity.starts_at >= now), 1), else_=0)).label("upcoming"))
        .where(Activity.root_id == root_id).group_by(Activity.tenant_id)),
        lambda r: {"activities_held": r.held, "activities_upcoming": r.upcoming})
    add(session.execute(sa.select(
        Activity.tenant_id,
        sa.func.sum(sa.case((SignUp.status == "confirmed", 1), else_=0)).label("confirmed"),
        sa.func.sum(sa.case((SignUp.checked_in_at.is_not(None), 1), else_=0)).label("checkins"))
        .join(SignUp, SignUp.activity_id == Activity.id)
        .where(Activity.root_id == root_id).group_by(Activity.tenant_id)),
        lambda r: {"participations": r.confirmed, "checkins": r.checkins})
    add(session.execute(sa.select(
        NoticeReceipt.tenant_id, sa.func.count().label("n"),
        sa.func.sum(sa.case((NoticeReceipt.read_at.is_not(None), 1), else_=0)).label("read"))
        .where(NoticeReceipt.root_id == root_id).group_by(NoticeReceipt.tenant_id)),
        lambda r: {"notices_addressed": r.n, "notices_read": r.read})
    on_time = sa.and_(Assignment.submitted_at.is_not(None), Assignment.submitted_at <= Assignment.due_at)
    add(session.execute(sa.select(
        Assignment.tenant_id, sa.func.count().label("n"),
        sa.func.sum(sa.case((on_time, 1), else_=0)).label("on_time"))
        .where(Assignment.root_id == root_id).group_by(Assignment.tenant_id)),
        lambda r: {"tasks_assigned": r.n, "tasks_on_time": r.on_time})
    return counts


def refresh(session, root, *, now=None):
    """Recompute the rollups of ``root``'s federation; returns the number of rows written."""
    now = now or utcnow()
    root_id = root.root_id or root.id
    tenants = session.execute(sa.select(Tenant.id, Tenant.path).where(Tenant.root_id == root_id)).all()
    by_path = {t.path: t.id for t in tenants}
    facts = _facts(session, root_id, now)
    totals = {t.id: dict.fromkeys(FIGURES, 0) for t in tenants}
    for t in tenants:
        own = facts.get(t.id)
        if not own:
            continue
        # Every prefix of the path that ends at a "/" is an ancestor (or the tenant itself).
        for i, char in enumerate(t.path):
            if char == "/" and i > 0:
                ancestor = by_path.get(t.path[:i + 1])
                if ancestor is not None:
                    bucket = totals[ancestor]
                    for figure, value in own.items():
                        bucket[figure] += value
    session.execute(sa.delete(Rollup).where(Rollup.root_id == root_id))
    rows = [{"tenant_id": t.id, "root_id": root_id, "tenant_path": t.path, "computed_at": now, **totals[t.id]}
            for t in tenants]
    if rows:
        session.execute(sa.insert(Rollup), rows)
    session.flush()
    return len(rows)


def refresh_all(session, *, now=None):
    """Refresh every federation; returns the number of rows written."""
    roots = session.scalars(sa.select(Tenant).where(Tenant.parent_id.is_(None))).all()
    return sum(refresh(session, root, now=now) for root in roots)


def overview(session, tenant, sort="name", descending=False):
    """The subtree's headline rollup and its children's rows, in two queries: (headline, [(tenant, rollup)])."""
    headline = session.get(Rollup, tenant.id)
    stmt = (sa.select(Tenant, Rollup).outerjoin(Rollup, Rollup.tenant_id == Tenant.id)
            .where(Tenant.parent_id == tenant.id))
    if sort == "name":
        column = Tenant.name
    elif sort == "verification_rate":
        column = sa.case((Rollup.members_active > 0,
                          sa.cast(Rollup.members_verified, sa.Float) / Rollup.members_active), else_=None)
    else:
        column = getattr(Rollup, sort)
    order = column.desc() if descending else column.asc()
    stmt = stmt.order_by(order, Tenant.name, Tenant.id)
    return headline, [(row.Tenant, row.Rollup) for row in session.execute(stmt)]


def _month(session, column):
    """``YYYY-MM`` of a UTC datetime column, on SQLite and on PostgreSQL."""
    if session.get_bind().dialect.name == "postgresql":
        return sa.func.to_char(sa.func.timezone("UTC", column), "YYYY-MM")
    return sa.func.strftime("%Y-%m", column)


def last_months(now, count=12):
    """The ``count`` months ending with ``now``'s, oldest first, as ``YYYY-MM``."""
    year, month = now.year, now.month
    months = []
    for _ in range(count):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def trends(session, tenant, *, now=None):
    """Members joined and participations per month (last 12 months), and published activities by category.

    Three grouped queries over the subtree (one indexed path range on tenant, joined by tenant id).
    """
    now = now or utcnow()
    months = last_months(now)
    start = datetime(int(months[0][:4]), int(months[0][5:]), 1, tzinfo=UTC)
    root_id = tenant.root_id or tenant.id
    in_subtree = sa.select(Tenant.id).where(Tenant.root_id == root_id, subtree_clause(Tenant.path, tenant.path))
    joined_month = _month(session, Membership.created_at)
    joined = dict(session.execute(
        sa.select(joined_month, sa.func.count())
        .where(Membership.root_id == root_id, Membership.tenant_id.in_(in_subtree),
               Membership.status.in_(("active", "closed")), Membership.created_at >= start)
        .group_by(joined_month)).all())
    part_month = _month(session, Activity.starts_at)
    participations = dict(session.execute(
        sa.select(part_month, sa.func.count())
        .join(SignUp, SignUp.activity_id == Activity.id)
        .where(Activity.root_id == root_id, Activity.tenant_id.in_(in_subtree), SignUp.status == "confirmed",
               Activity.starts_at >= start, Activity.starts_at <= now)
        .group_by(part_month)).all())
    categories = session.execute(
        sa.select(Activity.category, sa.func.count())
        .where(Activity.root_id == root_id, Activity.tenant_id.in_(in_subtree), Activity.status == "published")
        .group_by(Activity.category).order_by(sa.func.count().desc(), Activity.category)).all()
    return {
        "months": months,
        "members_joined": [joined.get(m, 0) for m in months],
        "participations": [participations.get(m, 0) for m in months],
        "categories": [{"category": c, "activities": n} for c, n in categories],
    }
