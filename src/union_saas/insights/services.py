"""Rules of insights: computing the rollups of a federation, and reading them for a subtree.

The refresh counts each fact once, at its own tenant, with a fixed handful of grouped queries over the
federation (whatever its size), sums the counts up the tree (deepest tenants first, each into its parent),
and replaces the federation's rows in one transaction (delete + bulk insert), under a per-federation lock
so that two refreshes never interleave. Pages, the API and the exports read only the rollups.
"""
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from union_saas.accounts.models import User
from union_saas.activities.models import Activity, SignUp
from union_saas.core.db import utcnow
from union_saas.core.i18n import zone_of
from union_saas.insights.models import (
    FIGURES,
    MONTHLY_FIGURES,
    MONTHS,
    CategoryRollup,
    MonthlyRollup,
    RefreshState,
    Rollup,
)
from union_saas.members.models import Follow, Membership
from union_saas.office.models import Assignment, NoticeReceipt
from union_saas.tenancy.models import Tenant

SORTABLE = ("name",) + FIGURES + ("verification_rate",)
RECENT_DAYS = 30

# PostgreSQL advisory locks are keyed (namespace, federation id); the namespaces are this domain's own.
LOCK_REFRESH = 0x1A51
LOCK_QUEUE = 0x1A52


def lock_federation(session, namespace, root_id):
    """Hold a per-federation lock until this transaction ends (PostgreSQL; SQLite serialises writers anyway)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(namespace, root_id)))


# --- computing ---------------------------------------------------------------------------------------

def _month(session, column, zone):
    """``YYYY-MM`` of a UTC datetime column in ``zone``, on PostgreSQL; on SQLite at the zone's current offset."""
    if session.get_bind().dialect.name == "postgresql":
        return sa.func.to_char(sa.func.timezone(zone.key, column), "YYYY-MM")
    minutes = int(datetime.now(zone).utcoffset().total_seconds() // 60)
    return sa.func.strftime("%Y-%m", column, f"{minutes:+d} minutes")


def last_months(now, count=MONTHS):
    """The ``count`` months ending with ``now``'s, oldest first, as ``YYYY-MM``."""
    year, month = now.year, now.month
    months = []
    for _ in range(count):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def _first_instant(month, zone):
    return datetime(int(month[:4]), int(month[5:]), 1, tzinfo=zone).astimezone(UTC)


def _facts(session, root_id, now):
    """tenant_id -> {figure: count}, each fact counted at its own tenant (six grouped queries; sign-ups are
    counted with the monthly figures, in one pass)."""
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
    since = now - timedelta(days=RECENT_DAYS)
    # Who signed in, signed up or checked in since then: one set (UNION removes the repeats), joined to
    # the memberships. Not ``last_login_at >= since OR user_id IN (sign-ups)``: PostgreSQL runs that
    # IN once per membership when it expects the sign-ups not to fit in memory (minutes at 2,000,000).
    engaged = sa.union(
        sa.select(User.id.label("user_id")).where(User.last_login_at >= since),
        sa.select(SignUp.user_id).where(SignUp.created_at >= since),
        sa.select(SignUp.user_id).where(SignUp.checked_in_at >= since)).subquery()
    add(session.execute(sa.select(Membership.tenant_id, sa.func.count().label("n"))
                        .join(engaged, engaged.c.user_id == Membership.user_id)
                        .where(Membership.root_id == root_id, Membership.status == "active")
                        .group_by(Membership.tenant_id)),
        lambda r: {"members_recently_active": r.n})
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


def _monthly_facts(session, root_id, now, zone, facts):
    """tenant_id -> {(month, figure): count} for the last MONTHS months (two grouped queries). The sign-ups
    are read once, summed per activity (an integer key), then per tenant and month of the activity: that
    pass also gives ``facts`` their participations and check-ins."""
    months = last_months(now.astimezone(zone))
    start = _first_instant(months[0], zone)
    counts = defaultdict(dict)
    joined_month = _month(session, Membership.created_at, zone).label("month")
    for row in session.execute(
            sa.select(Membership.tenant_id, joined_month, sa.func.count().label("n"))
            .where(Membership.root_id == root_id, Membership.status.in_(("active", "closed")),
                   Membership.created_at >= start)
            .group_by(Membership.tenant_id, joined_month)):
        counts[row.tenant_id][(row.month, "members_joined")] = row.n
    per_activity = (sa.select(SignUp.activity_id,
                              sa.func.sum(sa.case((SignUp.status == "confirmed", 1), else_=0)).label("confirmed"),
                              sa.func.sum(sa.case((SignUp.checked_in_at.is_not(None), 1), else_=0)).label("checkins"))
                    .where(SignUp.root_id == root_id).group_by(SignUp.activity_id).subquery())
    started = Activity.starts_at <= now
    part_month = _month(session, Activity.starts_at, zone).label("month")
    for row in session.execute(
            sa.select(Activity.tenant_id, part_month,
                      sa.func.sum(per_activity.c.confirmed).label("confirmed"),
                      sa.func.sum(per_activity.c.checkins).label("checkins"),
                      sa.func.sum(sa.case((started, per_activity.c.confirmed), else_=0)).label("happened"))
            .join(per_activity, per_activity.c.activity_id == Activity.id)
            .where(Activity.root_id == root_id)
            .group_by(Activity.tenant_id, part_month)):
        own = facts[row.tenant_id]
        own["participations"] += row.confirmed or 0
        own["checkins"] += row.checkins or 0
        if row.month >= months[0] and row.happened:
            counts[row.tenant_id][(row.month, "participations")] = row.happened
    return counts


def _category_facts(session, root_id):
    """tenant_id -> {category: published activities} (one grouped query)."""
    counts = defaultdict(dict)
    for tenant_id, category, n in session.execute(
            sa.select(Activity.tenant_id, Activity.category, sa.func.count())
            .where(Activity.root_id == root_id, Activity.status == "published")
            .group_by(Activity.tenant_id, Activity.category)):
        counts[tenant_id][category] = n
    return counts


def _sum_up(tenants, own, empty=dict):
    """tenant_id -> the sums of ``own`` over the tenant's subtree: each tenant, deepest first, adds its
    total into its parent's, so every fact is added once per level above it."""
    totals = {t.id: empty() for t in tenants}
    for tenant_id, facts in own.items():
        if tenant_id in totals:
            bucket = totals[tenant_id]
            for key, value in facts.items():
                bucket[key] = bucket.get(key, 0) + value
    for t in sorted(tenants, key=lambda t: t.depth, reverse=True):
        if t.parent_id is None or t.parent_id not in totals:
            continue
        parent = totals[t.parent_id]
        for key, value in totals[t.id].items():
            if value:
                parent[key] = parent.get(key, 0) + value
    return totals


def _insert(session, model, rows):
    """Insert ``rows`` (dicts) into ``model``'s table: COPY on PostgreSQL (tens of thousands of rows at the
    scale of a district), a Core executemany elsewhere."""
    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql":
        session.execute(sa.insert(model.__table__), rows)
        return
    columns = list(rows[0])
    quoted = ", ".join(f'"{c}"' for c in columns)
    raw = session.connection().connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(f'COPY "{model.__tablename__}" ({quoted}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([row[c] for c in columns])


def federation_zone(tenant):
    """The zone months are counted in."""
    return zone_of(tenant)


def refresh(session, root, *, now=None):
    """Recompute the rollups of ``root``'s federation; returns the number of tenants written.

    Holds the federation's refresh lock until the caller's transaction ends: a second refresh of the same
    federation waits, then recomputes from what the first committed.
    """
    now = now or utcnow()
    root_id = root.root_id or root.id
    lock_federation(session, LOCK_REFRESH, root_id)
    root = session.get(Tenant, root_id)
    zone = federation_zone(root)
    tenants = session.execute(sa.select(Tenant.id, Tenant.parent_id, Tenant.path, Tenant.depth)
                              .where(Tenant.root_id == root_id)).all()
    facts = _facts(session, root_id, now)
    monthly = _sum_up(tenants, _monthly_facts(session, root_id, now, zone, facts))
    totals = _sum_up(tenants, facts, empty=lambda: dict.fromkeys(FIGURES, 0))
    categories = _sum_up(tenants, _category_facts(session, root_id))
    for model in (Rollup, MonthlyRollup, CategoryRollup):
        session.execute(sa.delete(model).where(model.root_id == root_id))
    rows = [{"tenant_id": t.id, "root_id": root_id, "tenant_path": t.path, "computed_at": now, **totals[t.id]}
            for t in tenants]
    _insert(session, Rollup, rows)
    month_rows = []
    for tenant_id, by_key in monthly.items():
        per_month = defaultdict(lambda: dict.fromkeys(MONTHLY_FIGURES, 0))
        for (month, figure), value in by_key.items():
            per_month[month][figure] = value
        month_rows.extend({"tenant_id": tenant_id, "root_id": root_id, "month": month, **values}
                          for month, values in per_month.items())
    _insert(session, MonthlyRollup, month_rows)
    category_rows = [{"tenant_id": tenant_id, "root_id": root_id, "category": category, "activities": n}
                     for tenant_id, by_category in categories.items() for category, n in by_category.items() if n]
    _insert(session, CategoryRollup, category_rows)
    state = session.get(RefreshState, root_id)
    if state is None:
        session.add(RefreshState(root_id=root_id, refreshed_at=now))
    else:
        state.refreshed_at = now
    session.flush()
    return len(rows)


def refresh_all(session, *, now=None):
    """Refresh every federation; returns the number of rows written."""
    roots = session.scalars(sa.select(Tenant).where(Tenant.parent_id.is_(None))).all()
    return sum(refresh(session, root, now=now) for root in roots)


def federations(session, slug=None):
    """The root tenants (or the one named ``slug``)."""
    stmt = sa.select(Tenant).where(Tenant.parent_id.is_(None)).order_by(Tenant.id)
    if slug:
        stmt = stmt.where(Tenant.slug == slug)
    return session.scalars(stmt).all()


# --- reading (rollups only: a fixed number of queries, whatever the size of the subtree) -------------

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
    # Rows without figures yet (a union created since the last refresh) go last, either way.
    order = column.desc() if descending else column.asc()
    stmt = stmt.order_by(column.is_(None), order, Tenant.name, Tenant.id)
    return headline, [(row.Tenant, row.Rollup) for row in session.execute(stmt)]


def trends(session, tenant, *, now=None):
    """Members joined and participations per month (the last MONTHS months), and published activities by
    category, for ``tenant``'s subtree: two reads of the rollups (months in the tenant's zone, which is its
    federation's unless someone changed it)."""
    now = now or utcnow()
    months = last_months(now.astimezone(federation_zone(tenant)))
    stored = {row.month: row for row in session.scalars(
        sa.select(MonthlyRollup).where(MonthlyRollup.tenant_id == tenant.id, MonthlyRollup.month >= months[0]))}
    categories = session.execute(
        sa.select(CategoryRollup.category, CategoryRollup.activities)
        .where(CategoryRollup.tenant_id == tenant.id, CategoryRollup.activities > 0)
        .order_by(CategoryRollup.activities.desc(), CategoryRollup.category)).all()
    return {
        "months": months,
        **{figure: [getattr(stored[m], figure) if m in stored else 0 for m in months] for figure in MONTHLY_FIGURES},
        "categories": [{"category": c, "activities": n} for c, n in categories],
    }


def headline_items(rollup):
    """The headline figures in the order the page shows them: (key, value, out_of or None)."""
    if rollup is None:
        return []
    return [
        ("members_active", rollup.members_active, None),
        ("members_recently_active", rollup.members_recently_active, None),
        ("verification_rate", rollup.verification_rate, None),
        ("members_pending", rollup.members_pending, None),
        ("closed_or_rejected", rollup.members_closed + rollup.members_rejected, None),
        ("followers", rollup.followers, None),
        ("activities_held", rollup.activities_held, None),
        ("activities_upcoming", rollup.activities_upcoming, None),
        ("participations", rollup.participations, None),
        ("checkins", rollup.checkins, None),
        ("notices_read", rollup.notices_read, rollup.notices_addressed),
        ("tasks_on_time", rollup.tasks_on_time, rollup.tasks_assigned),
    ]
