"""Giveaways, their entries and tickets, and subsidy claims for ``flask demo seed`` (see ``demo_seed``).

What a federation's two years of benefits leave: about 36 giveaways a year (the district's free tickets
for a dance festival and league football, the streets' own), first-come and lottery, with a few open now
and one coming; entries from the members each giveaway's scope reaches (one per person: members' IDs);
and subsidy claims for activities that partner organisations and unions hosted and that have ended.

The rows are what ``benefits.services`` leaves: a lottery's ``commitment`` is sha256 of its secret, and a
drawn one carries the ``seed``, the ``entries_hash`` and each entry's rank and status from ``draw.run``;
winners hold a ticket at once (no claim deadline) or claimed it, else passed it on to the reserve after the
deadline (``passed_on_at``); seats run 1..n, never past the quantity; the counters count the rows. A claim's
evidence is counted from the activity's sign-ups, its decision taken above its union.
"""
import hashlib
import random
from datetime import UTC, timedelta
from decimal import Decimal

import sqlalchemy as sa

from union_saas.activities.models import Activity, SignUp
from union_saas.benefits import draw
from union_saas.benefits.models import Entry, Giveaway, SubsidyClaim, Ticket
from union_saas.core.inbox import Notification
from union_saas.tenancy.models import path_ids

TITLES = (("全国舞蹈展演门票", "lottery"), ("中超联赛主场门票", "lottery"), ("职工电影专场票", "first_come"),
          ("音乐会门票", "lottery"), ("夏日清凉大礼包", "first_come"), ("川剧专场演出票", "lottery"),
          ("职工体检套餐", "first_come"), ("春节年货礼包", "first_come"), ("篮球联赛门票", "lottery"),
          ("话剧演出票", "lottery"), ("图书兑换券", "first_come"), ("游泳馆体验券", "first_come"))
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
GIVEAWAY_COLUMNS = ("id", "tenant_id", "root_id", "scope", "reach", "status", "title", "description",
                    "description_html", "quantity", "method", "opens_at", "closes_at", "claim_by", "entries_count",
                    "winners_count", "tickets_count", "secret", "commitment", "seed", "entries_hash", "drawn_at",
                    "passed_on_at", "created_by_id", "created_at")
ENTRY_COLUMNS = ("id", "giveaway_id", "root_id", "user_id", "person_hash", "home_tenant_id", "entry_code", "status",
                 "rank", "created_at")
TICKET_COLUMNS = ("id", "giveaway_id", "root_id", "entry_id", "seat", "code", "created_at", "redeemed_at",
                  "redeemed_by_id")
CLAIM_COLUMNS = ("id", "tenant_id", "root_id", "activity_id", "amount_requested", "amount_granted", "status", "note",
                 "reason", "evidence_confirmed", "evidence_checked_in", "activity_ended_at", "created_by_id",
                 "created_at", "decided_at", "decided_by_id")
NOTE = "场地、茶水和物料费用"
REASONS = ("签到人数不足，材料不全", "超出年度预算", "活动与职工服务无关")


def _code(rng, n=10):
    return "".join(rng.choice(ALPHABET) for _ in range(n))


def step_benefits(ctx):
    rng = random.Random(f"{ctx.scale.seed}/{ctx.slug}/benefits")
    members = ctx.connection.execute(sa.select(sa.text("user_id"), sa.text("tenant_id"), sa.text("id_hash")).select_from(
        sa.text("membership")).where(sa.text("status = 'active' AND root_id = :r AND id_hash IS NOT NULL"))
        .params(r=ctx.root.id)).all()
    if members:
        _giveaways(ctx, rng, members)
    _claims(ctx, rng)


def _publishers(ctx):
    """The federation (most giveaways, to everyone) and its streets (to their subtree), with a manager each."""
    managers = {}
    for role in ("federation_admin", "union_admin"):
        for user_id, tenant_id in ctx.admins.get(role, ()):
            managers.setdefault(tenant_id, user_id)
    streets = [t for t in ctx.tenants if t.kind == "street" and t.id in managers]
    return managers, streets


def _giveaways(ctx, rng, members):
    managers, streets = _publishers(ctx)
    per_year = ctx.scale.options.get("giveaways", 36)
    count = max(4, per_year * 2)
    now = ctx.now
    by_path = {}
    for user_id, tenant_id, id_hash in members:
        by_path.setdefault(ctx.tenant(tenant_id).path, []).append((user_id, tenant_id, id_hash))
    g_ids = iter(ctx.reserve_ids(Giveaway.__table__, count))
    giveaways, entries, tickets, told = [], [], [], []
    for n in range(count):
        if n < count - 4:  # past ones, spread over two years
            closes = ctx.start + timedelta(days=20) + (now - ctx.start - timedelta(days=30)) * rng.random()
            opens = closes - timedelta(days=rng.randint(3, 10))
        elif n < count - 1:  # open now
            opens = now - timedelta(days=rng.randint(1, 4))
            closes = now + timedelta(days=rng.randint(2, 9))
        else:  # coming
            opens = now + timedelta(days=3)
            closes = opens + timedelta(days=7)
        publisher = ctx.root if rng.random() < 0.6 or not streets else rng.choice(streets)
        scope = "platform" if publisher.id == ctx.root.id else "subtree"
        title, method = TITLES[n % len(TITLES)]
        quantity = rng.choice((10, 20, 30, 50, 100, 200))
        claim_by = closes + timedelta(days=3) if method == "lottery" and rng.random() < 0.5 else None
        gid = next(g_ids)
        secret = rng.randbytes(32)
        reached = [m for path, ms in by_path.items() if path.startswith(publisher.path) for m in ms]
        opened = min(opens, now)
        wanted = 0 if opens > now else min(len(reached), int(quantity * rng.uniform(0.6, 8.0)))
        if method == "first_come" and closes <= now:
            wanted = max(wanted, min(len(reached), quantity))  # past first-come giveaways ran out
        people = rng.sample(reached, wanted)
        span = (min(closes, now) - opened).total_seconds()
        times = sorted(opened + timedelta(seconds=span * rng.random() ** 3) for _ in people)
        codes = set()
        rows = []
        for (user_id, home_id, id_hash), at in zip(people, times):
            code = _code(rng)
            while code in codes:
                code = _code(rng)
            codes.add(code)
            rows.append([None, gid, ctx.root.id, user_id, id_hash, home_id, code, "entered", None, at])
        g = {"id": gid, "tenant_id": publisher.id, "root_id": ctx.root.id, "scope": scope,
             "reach": "approved" if scope == "platform" else None, "status": "published", "title": title,
             "description": "凭票入场，每人限领一份。", "description_html": "<p>凭票入场，每人限领一份。</p>\n",
             "quantity": quantity, "method": method, "opens_at": opens, "closes_at": closes, "claim_by": claim_by,
             "secret": secret if method == "lottery" else None,
             "commitment": draw.commitment_of(secret) if method == "lottery" else None, "seed": None,
             "entries_hash": None, "drawn_at": None, "passed_on_at": None,
             "created_by_id": managers.get(publisher.id), "created_at": min(opens - timedelta(days=2), now)}
        seats = []
        if method == "first_come":
            rows = rows[:quantity]
            for row in rows:
                row[7] = "won"
            seats = list(range(len(rows)))
        elif closes <= now:  # drawn when it closed
            result = draw.run(secret, [r[6] for r in rows], quantity)
            rank_of = {code: i for i, code in enumerate(result["ranking"], start=1)}
            for row in rows:
                row[8] = rank_of[row[6]]
                row[7] = "won" if row[8] <= quantity else "reserve"
            rows.sort(key=lambda r: r[8])
            g.update(seed=result["seed"], entries_hash=result["entries_hash"], drawn_at=closes + timedelta(minutes=1))
            winners = [i for i, r in enumerate(rows) if r[7] == "won"]
            if claim_by is None:
                seats = winners
                told += [(rows[i][3], "giveaway.won", g, g["drawn_at"]) for i in winners]
                told += [(r[3], "giveaway.lost", g, g["drawn_at"]) for r in rows[quantity:]]
            else:
                claimed = [i for i in winners if rng.random() < 0.85]
                told += [(rows[i][3], "giveaway.won_claim", g, g["drawn_at"]) for i in winners]
                told += [(r[3], "giveaway.reserve", g, g["drawn_at"]) for r in rows[quantity:]]
                unclaimed = [i for i in winners if i not in set(claimed)]
                if claim_by <= now:
                    g["passed_on_at"] = claim_by + timedelta(minutes=1)
                    for i in unclaimed:
                        rows[i][7] = "lost"
                    reserve = [i for i, r in enumerate(rows) if r[7] == "reserve"][: len(unclaimed)]
                    for i in reserve:
                        rows[i][7] = "won"
                    told += [(rows[i][3], "giveaway.passed_on", g, g["passed_on_at"]) for i in reserve]
                    seats = claimed + reserve
                else:
                    seats = claimed
        g["entries_count"] = len(rows)
        g["winners_count"] = sum(1 for r in rows if r[7] == "won")
        g["tickets_count"] = len(seats)
        giveaways.append(g)
        entries.append((g, rows, seats))
    ctx.insert(Giveaway.__table__, GIVEAWAY_COLUMNS, ([g[c] for c in GIVEAWAY_COLUMNS] for g in giveaways),
               len(giveaways), "giveaways")
    total = sum(len(rows) for _, rows, _ in entries)
    e_ids = iter(ctx.reserve_ids(Entry.__table__, total))
    for _, rows, _ in entries:
        for row in rows:
            row[0] = next(e_ids)
    ctx.insert(Entry.__table__, ENTRY_COLUMNS, (tuple(r) for _, rows, _ in entries for r in rows), total,
               "giveaway entries")
    n_tickets = sum(len(seats) for _, _, seats in entries)
    t_ids = iter(ctx.reserve_ids(Ticket.__table__, n_tickets))
    for g, rows, seats in entries:
        # Seats in the order tickets were handed out: first-come by entry time, then claims and the pass-on.
        for seat, i in enumerate(seats, start=1):
            row = rows[i]
            at = row[9] if g["method"] == "first_come" else (g["passed_on_at"] if g["passed_on_at"] and
                                                            rows[i][8] > g["quantity"] else g["drawn_at"])
            used = g["closes_at"] + timedelta(days=4) if g["closes_at"] + timedelta(days=4) < ctx.now and \
                rng.random() < 0.8 else None
            tickets.append((next(t_ids), g["id"], ctx.root.id, row[0], seat,
                            hashlib.sha256(f"{ctx.slug}/{g['id']}/{seat}/{rng.random()}".encode()).hexdigest()[:32],
                            at, used, g["created_by_id"] if used else None))
    ctx.insert(Ticket.__table__, TICKET_COLUMNS, iter(tickets), len(tickets), "tickets")
    _notify(ctx, told)


def _notify(ctx, told):
    if not told:
        return
    # The inbox's ids come from its sequence, as for every other domain's notifications (several steps add some).
    columns = ("user_id", "root_id", "kind", "params", "body", "link", "subject_type", "subject_id",
               "created_at", "read_at")
    ctx.insert(Notification.__table__, columns, ((
        user_id, ctx.root.id, kind, ctx.json(_params(kind, g)), "", f"/giveaways/{g['id']}", "giveaway",
        g["id"], at, at + timedelta(hours=5) if at + timedelta(hours=5) < ctx.now else None)
        for user_id, kind, g, at in told), len(told), "giveaway notifications")


def _params(kind, g):
    params = {"title": g["title"]}
    if kind == "giveaway.won_claim":
        params["claim_by"] = g["claim_by"].isoformat(timespec="minutes")
    return params


def _claims(ctx, rng):
    """Claims for ended activities hosted below the root (partner organisations first), decided above."""
    a, s = Activity.__table__, SignUp.__table__
    count = ctx.scale.options.get("subsidy_claims", 60)
    hosted = ctx.connection.execute(
        sa.select(a.c.id, a.c.tenant_id, a.c.ends_at, a.c.created_by_id).where(
            a.c.root_id == ctx.root.id, a.c.status == "published", a.c.ends_at < ctx.now,
            a.c.tenant_id != ctx.root.id).order_by(a.c.id)).all()
    if not hosted:
        return
    partners = [h for h in hosted if ctx.tenant(h.tenant_id).kind == "social_org"]
    others = [h for h in hosted if ctx.tenant(h.tenant_id).kind != "social_org"]
    picked = rng.sample(partners, min(len(partners), count // 2))
    picked += rng.sample(others, min(len(others), count - len(picked)))
    evidence = dict((row[0], (row[1], row[2])) for row in ctx.connection.execute(
        sa.select(s.c.activity_id, sa.func.count(), sa.func.count(s.c.checked_in_at))
        .where(s.c.activity_id.in_([h.id for h in picked] or [0]), s.c.status == "confirmed")
        .group_by(s.c.activity_id)).all())
    managers, _ = _publishers(ctx)
    ids = iter(ctx.reserve_ids(SubsidyClaim.__table__, len(picked)))
    rows = []
    for h in sorted(picked, key=lambda h: h.ends_at):
        tenant = ctx.tenant(h.tenant_id)
        above = [t for t in reversed(path_ids(tenant.path)[:-1]) if t in managers]
        decider = managers[above[0]] if above else None
        confirmed, checked_in = evidence.get(h.id, (0, 0))
        requested = Decimal(rng.choice((300, 500, 800, 1200, 2000, 3000)))
        ends = h.ends_at if h.ends_at.tzinfo else h.ends_at.replace(tzinfo=UTC)
        created = min(ends + timedelta(days=rng.randint(1, 10)), ctx.now)
        decided_at = created + timedelta(days=rng.randint(1, 14))
        status = "submitted"
        if decider is not None and decided_at < ctx.now and rng.random() < 0.85:
            status = "approved" if rng.random() < 0.85 else "rejected"
        granted = (requested * Decimal(rng.choice(("1", "1", "0.8", "0.5")))).quantize(Decimal("0.01")) \
            if status == "approved" else None
        rows.append((next(ids), h.tenant_id, ctx.root.id, h.id, requested, granted, status, NOTE,
                     rng.choice(REASONS) if status == "rejected" else None, confirmed, checked_in, ends,
                     h.created_by_id, created, decided_at if status != "submitted" else None,
                     decider if status != "submitted" else None))
    ctx.insert(SubsidyClaim.__table__, CLAIM_COLUMNS, iter(rows), len(rows), "subsidy claims")



SEED_STEPS = [(70, step_benefits)]
