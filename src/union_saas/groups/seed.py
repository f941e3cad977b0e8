"""Interest groups, their members, group activities and one published award round for ``flask demo seed``.

About 70 groups per 5,000 unions (34 started by unions and partner organisations, 36 by members, as the
district's first year had): institutional groups started by an administrator at their union, active at once;
members' groups proposed by a verified member at their union, most approved, a few rejected or still waiting,
a few archived by the union after months without activity. Members are drawn from the people the group's scope
reaches; the founder is the first organiser, larger groups name a co-organiser; ``members_count`` is the
active rows. Group activities are the seeded activities of the host union (published with their scope, so
``group_only`` stays false), published by one of the group's organisers. Last year's award round at the
federation is published: every active group that existed then is nominated in its kind's category, the
federation's administrators score (abstaining from their own groups), and ranks, means and winners are what
``groups.services.results`` makes of the scores and the dossiers. The inbox gets every decision.
"""
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from union_saas.activities.models import Activity, SignUp
from union_saas.core.inbox import Notification
from union_saas.groups.models import (
    AwardCategory,
    AwardJuror,
    AwardRound,
    Group,
    GroupMember,
    Nomination,
    Score,
)

PER_UNIONS = 70 / 5000
INSTITUTIONAL_SHARE = 34 / 70
NAMES = {
    "sports": ("徒步队", "羽毛球俱乐部", "篮球队", "乒乓球社", "跑团", "骑行队", "瑜伽社", "游泳队", "登山队"),
    "culture": ("合唱团", "读书会", "书法社", "摄影协会", "诗社", "川剧票友会"),
    "arts": ("剪纸工作坊", "手工编织社", "国画班", "陶艺社"),
    "learning": ("技能提升学习小组", "英语角", "编程学习社", "理财学习小组"),
    "volunteering": ("志愿服务队", "爱心助学队", "环保志愿队"),
    "family": ("亲子成长营", "宝妈互助群", "家庭教育沙龙"),
    "other": ("美食分享会", "宠物爱好者联盟", "园艺小组"),
}
CATEGORIES = tuple(NAMES)
GROUP_COLUMNS = ("id", "tenant_id", "root_id", "name", "name_key", "description", "kind", "category", "join_policy",
                 "cover_id", "founder_id", "members_count", "scope", "status", "reach", "reach_reason",
                 "reach_decided_at", "reach_decided_by_id", "created_at", "updated_at", "decided_at",
                 "decided_by_id", "decision_reason", "archived_at", "archive_reason")
MEMBER_COLUMNS = ("id", "group_id", "user_id", "root_id", "status", "role", "invited_by_id", "created_at", "joined_at")
NOTE_COLUMNS = ("user_id", "kind", "params", "body", "link", "subject_type", "subject_id", "root_id", "created_at",
                "read_at")


def _short(tenant):
    for suffix in ("工会联合会", "总工会", "工会"):
        if tenant.name.endswith(suffix):
            return tenant.name[: -len(suffix)]
    return tenant.name


def _under(ctx, tenant):
    """The ids of ``tenant`` and every union below it (paths are ranges)."""
    return [t.id for t in ctx.tenants if t.path.startswith(tenant.path)]


def _holders(ctx):
    """tenant id -> [user ids] holding group.manage right there (federation and union administrators)."""
    out = defaultdict(list)
    for role in ("federation_admin", "union_admin"):
        for user_id, tenant_id in ctx.admins.get(role, ()):
            out[tenant_id].append(user_id)
    return out


def _managers_above(ctx, holders, tenant):
    """Whoever holds group.manage at ``tenant`` (grants there or above)."""
    found = []
    for t in ctx.tenants:
        if tenant.path.startswith(t.path):
            found.extend(holders.get(t.id, ()))
    return found


def plan_groups(ctx):
    rng = ctx.rng
    count = max(8, round(len(ctx.tenants) * PER_UNIONS))
    holders = _holders(ctx)
    homes = defaultdict(list)  # tenant id -> members living there
    for user_id, tenant_id in ctx.home.items():
        homes[tenant_id].append(user_id)
    institutional_hosts = [t for t in ctx.tenants if holders.get(t.id)]
    member_hosts = [t for t in ctx.tenants if homes.get(t.id) and t.kind in ("street", "community", "enterprise")]
    start, now = ctx.start, ctx.now
    taken = set()
    plans = []
    for i in range(count):
        institutional = i < round(count * INSTITUTIONAL_SHARE) or not member_hosts
        tenant = rng.choice(institutional_hosts if institutional else member_hosts)
        founder = rng.choice(holders[tenant.id] if institutional else homes[tenant.id])
        category = rng.choice(CATEGORIES)
        base = rng.choice(NAMES[category])
        name = f"{_short(tenant)}{base}"
        n = 2
        while (tenant.id, name) in taken:
            name, n = f"{_short(tenant)}{base}（{n}）", n + 1
        taken.add((tenant.id, name))
        created = ctx.date_between(start, now - timedelta(days=20))
        scope = rng.choices(("tenant", "subtree", "platform"), (2, 5, 3))[0]
        if tenant.depth == 0:
            scope = rng.choice(("subtree", "platform"))
        status, decided_by, decided_at, reason, archived_at, archive_reason = "active", None, None, None, None, None
        reach = reach_by = reach_at = None
        if not institutional:
            reviewers = _managers_above(ctx, holders, tenant)
            roll = rng.random()
            decided_by = reviewers[0] if reviewers else None
            if roll < 0.06 or decided_by is None:
                status = "pending"
                decided_by = None
                created = ctx.date_between(now - timedelta(days=14), now - timedelta(days=1))
            else:
                decided_at = min(created + timedelta(hours=rng.uniform(2, 96)), now)
                if roll < 0.12:
                    status, reason = "rejected", "与已有小组重复，建议加入现有小组。"
        if scope == "platform":
            root_admins = holders.get(ctx.root.id, [])
            if institutional and tenant.depth == 0:
                reach = "approved"
            elif status == "pending":
                reach = "pending"
            else:
                reach = "approved" if rng.random() < 0.8 else "rejected"
                if root_admins:
                    reach_by = root_admins[0]
                    reach_at = min((decided_at or created) + timedelta(hours=rng.uniform(4, 120)), now)
                else:
                    reach = "pending"
        plans.append({"tenant": tenant, "founder": founder, "institutional": institutional, "category": category,
                      "name": name, "created": created, "scope": scope, "status": status, "decided_by": decided_by,
                      "decided_at": decided_at, "reason": reason, "reach": reach, "reach_by": reach_by,
                      "reach_at": reach_at, "archived_at": archived_at, "archive_reason": archive_reason,
                      "policy": rng.choices(("open", "approval", "invite"), (6, 3, 1))[0]})
    return plans, holders


def _audience(ctx, plan, by_root_members):
    """Members the group's scope reaches (its union; its subtree; the whole federation)."""
    tenant = plan["tenant"]
    if plan["scope"] == "tenant":
        ids = [tenant.id]
    elif plan["scope"] == "platform" and plan["reach"] == "approved":
        return by_root_members
    else:
        ids = _under(ctx, tenant)
    wanted = set(ids)
    return [u for u in by_root_members if ctx.home[u] in wanted]


def step_groups(ctx):
    """Groups, members, group activities, the inbox, and last year's published award round."""
    rng = ctx.rng
    plans, holders = plan_groups(ctx)
    members_all = sorted(ctx.home)
    group_ids = ctx.reserve_ids(Group.__table__, len(plans))
    rows, notes = [], []
    member_rows = []
    next_member = ctx.next_id(GroupMember.__table__)  # ids handed out in order, reserved once counted
    members_of = {}  # group id -> {user id: (status, role)}
    for gid, p in zip(group_ids, plans):
        p["id"] = gid
        chosen = {p["founder"]: ("active", "organiser", p["created"])}
        if p["status"] in ("active", "archived"):
            pool = _audience(ctx, p, members_all)
            size = min(len(pool), int(rng.paretovariate(1.3) * 6))
            for user_id in rng.sample(pool, size):
                if user_id in chosen:
                    continue
                at = ctx.date_between(p["decided_at"] or p["created"], ctx.now)
                status = "active"
                if p["policy"] == "approval" and rng.random() < 0.08:
                    status = "pending"
                elif p["policy"] == "invite" and rng.random() < 0.1:
                    status = "invited"
                chosen[user_id] = (status, "member", at)
            actives = [u for u, (s, _r, _a) in chosen.items() if s == "active" and u != p["founder"]]
            if len(actives) >= 8:
                co = rng.choice(actives)
                chosen[co] = ("active", "organiser", chosen[co][2])
        members_of[gid] = chosen
        for user_id, (status, role, at) in chosen.items():
            member_rows.append((next_member, gid, user_id, ctx.root.id, status, role,
                                p["founder"] if status == "invited" else None, at,
                                at if status == "active" else None))
            next_member += 1
        p["members_count"] = sum(1 for s, _r, _a in chosen.values() if s == "active")
    ctx.reserve_ids(GroupMember.__table__, len(member_rows))

    # Group activities: seeded activities of the host union, published by one of the group's organisers.
    a = Activity.__table__
    taken = set()
    by_tenant = defaultdict(list)
    for activity_id, tenant_id, starts in ctx.connection.execute(
            sa.select(a.c.id, a.c.tenant_id, a.c.starts_at).where(a.c.root_id == ctx.root.id, a.c.status == "published")
            .order_by(a.c.id)):
        by_tenant[tenant_id].append((activity_id, starts))
    links = []
    last_at = {}
    for p in plans:
        if p["status"] not in ("active", "archived"):
            continue
        created = p["created"]
        pool = [(aid, s) for aid, s in by_tenant.get(p["tenant"].id, ()) if _aware(s) >= created and aid not in taken]
        organisers = [u for u, (s, r, _a) in members_of[p["id"]].items() if s == "active" and r == "organiser"]
        for aid, starts in rng.sample(pool, min(len(pool), rng.randint(1, 6))):
            taken.add(aid)
            links.append({"b_id": aid, "b_group": p["id"], "b_by": rng.choice(organisers)})
            last_at[p["id"]] = max(last_at.get(p["id"], _aware(starts)), _aware(starts))

    # Archived: active groups of members with nothing for 90 days and older than 200 days, now and then.
    for p in plans:
        quiet = last_at.get(p["id"]) is None or last_at[p["id"]] < ctx.now - timedelta(days=90)
        if p["status"] == "active" and not p["institutional"] and quiet and p["created"] < ctx.now - timedelta(
                days=200) and rng.random() < 0.4:
            reviewers = _managers_above(ctx, holders, p["tenant"])
            if reviewers:
                p["status"], p["archived_at"] = "archived", ctx.now - timedelta(days=rng.randint(1, 60))
                p["archive_reason"] = "超过 90 天没有开展活动。"

    for p in plans:
        rows.append((p["id"], p["tenant"].id, ctx.root.id, p["name"], p["name"].casefold(),
                     f"{p['name']}欢迎志同道合的职工加入。", "institutional" if p["institutional"] else "individual",
                     p["category"], p["policy"], None, p["founder"], p["members_count"], p["scope"], p["status"],
                     p["reach"], None, p["reach_at"], p["reach_by"], p["created"], p["archived_at"] or p["created"],
                     p["decided_at"], p["decided_by"], p["reason"], p["archived_at"], p["archive_reason"]))
    ctx.insert(Group.__table__, GROUP_COLUMNS, rows, len(rows), "groups")
    ctx.insert(GroupMember.__table__, MEMBER_COLUMNS, member_rows, len(member_rows), "group members")
    for i in range(0, len(links), 5000):
        ctx.connection.execute(a.update().where(a.c.id == sa.bindparam("b_id")).values(
            group_id=sa.bindparam("b_group"), group_only=False, created_by_id=sa.bindparam("b_by"),
            updated_at=a.c.updated_at), links[i:i + 5000])

    def note(user_id, kind, params, body, link, subject, at):
        notes.append((user_id, kind, ctx.json(params), body or "", link, subject[0], subject[1], ctx.root.id, at,
                      at if rng.random() < 0.8 else None))

    for p in plans:
        link, subject, params = f"/groups/{p['id']}", ("group", p["id"]), {"name": p["name"]}
        if p["decided_at"] and p["status"] in ("active", "archived", "rejected"):
            note(p["founder"], "group.approved" if p["status"] != "rejected" else "group.rejected", params,
                 p["reason"], link, subject, p["decided_at"])
        organisers = [u for u, (s, r, _a) in members_of[p["id"]].items() if s == "active" and r == "organiser"]
        if p["reach_at"]:
            for u in organisers:
                note(u, f"group.reach_{p['reach']}", params, "", link, subject, p["reach_at"])
        if p["archived_at"]:
            for u in organisers:
                note(u, "group.archived", params, p["archive_reason"], link, subject, p["archived_at"])
        for u, (s, r, at) in members_of[p["id"]].items():
            if s == "active" and p["policy"] == "approval" and u != p["founder"]:
                note(u, "group.join_approved", params, "", link, subject, at)
            elif s == "invited":
                note(u, "group.invited", params, "", link, subject, at)
            if r == "organiser" and u != p["founder"]:
                note(u, "group.organiser", params, "", link, subject, at)
    award_round(ctx, plans, members_of, holders, note)
    ctx.insert(Notification.__table__, NOTE_COLUMNS, notes, len(notes), "group notifications")
    ctx.counts["interest_group"] = len(rows)


def _aware(value):
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def award_round(ctx, plans, members_of, holders, note):
    """Last year's round at the federation, published."""
    rng = ctx.rng
    year = ctx.now.year - 1
    closes = min(datetime(ctx.now.year, 1, 15, 2, tzinfo=UTC), ctx.now - timedelta(days=20))
    judging = closes + timedelta(days=10)
    published = judging + timedelta(days=3)
    round_id = ctx.reserve_ids(AwardRound.__table__, 1)[0]
    admins = holders.get(ctx.root.id, [])
    ctx.insert(AwardRound.__table__, ("id", "tenant_id", "root_id", "title", "year", "nominations_close",
                                      "judging_close", "published_at", "created_by_id", "created_at", "scope",
                                      "status"),
               [(round_id, ctx.root.id, ctx.root.id, f"{year} 年度优秀兴趣小组评选", year, closes, judging, published,
                 admins[0] if admins else None, closes - timedelta(days=30), "subtree", "published")], 1, "award round")
    eligible = [p for p in plans if p["status"] in ("active", "archived") and p["created"] < closes - timedelta(days=1)
                and (p["archived_at"] is None or p["archived_at"] > published)]
    places = {"individual": 20, "institutional": 20}
    if len(eligible) < 40:
        places = {k: max(1, len([p for p in eligible if (p["institutional"]) == (k == "institutional")]) // 3)
                  for k in places}
    cat_ids = ctx.reserve_ids(AwardCategory.__table__, 2)
    cats = {"individual": cat_ids[0], "institutional": cat_ids[1]}
    ctx.insert(AwardCategory.__table__, ("id", "round_id", "name", "kind", "places"),
               [(cats["individual"], round_id, "优秀会员兴趣小组", "individual", places["individual"]),
                (cats["institutional"], round_id, "优秀机构兴趣小组", "institutional", places["institutional"])],
               2, "award categories")
    jurors = admins[:5]
    ctx.insert(AwardJuror.__table__, ("id", "round_id", "user_id", "created_at"),
               [(jid, round_id, u, closes - timedelta(days=20))
                for jid, u in zip(ctx.reserve_ids(AwardJuror.__table__, len(jurors)), jurors)], len(jurors), "jurors")
    # The dossiers, as the platform counts them: held, participants (confirmed), check-ins, in the year.
    a, s = Activity.__table__, SignUp.__table__
    since, until = datetime(year, 1, 1, tzinfo=UTC) - timedelta(hours=8), datetime(year + 1, 1, 1, tzinfo=UTC) - timedelta(hours=8)
    dossier = {gid: (held, people, checks) for gid, held, people, checks in ctx.connection.execute(
        sa.select(a.c.group_id, sa.func.count(sa.distinct(a.c.id)), sa.func.count(s.c.id), sa.func.count(s.c.checked_in_at))
        .select_from(a.outerjoin(s, sa.and_(s.c.activity_id == a.c.id, s.c.status == "confirmed")))
        .where(a.c.group_id.is_not(None), a.c.root_id == ctx.root.id, a.c.status == "published",
               a.c.ends_at <= published, a.c.starts_at >= since, a.c.starts_at < until)
        .group_by(a.c.group_id))}
    nominations, scores = [], []
    nom_ids = ctx.reserve_ids(Nomination.__table__, len(eligible))
    ranked = defaultdict(list)
    for nid, p in zip(nom_ids, eligible):
        kind = "institutional" if p["institutional"] else "individual"
        organisers = [u for u, (st, r, _a) in members_of[p["id"]].items() if st == "active" and r == "organiser"]
        given = []
        for juror in jurors:
            if juror in members_of[p["id"]] and members_of[p["id"]][juror][0] == "active":
                continue  # a juror who belongs to the group abstains
            given.append((juror, rng.randint(60, 98)))
        scores.extend((juror, nid, value) for juror, value in given)
        mean = round(sum(v for _j, v in given) / len(given), 2) if given else None
        _held, people, checks = dossier.get(p["id"], (0, 0, 0))
        ranked[kind].append([nid, p, mean, checks, people, organisers])
        nominations.append([nid, round_id, cats[kind], p["id"], f"{p['name']}全年坚持开展活动，带动职工广泛参与。",
                            organisers[0], ctx.date_between(closes - timedelta(days=25), closes - timedelta(hours=1))])
    extra = {}
    for kind, rows in ranked.items():
        rows.sort(key=lambda r: (r[2] is None, -(r[2] or 0), -r[3], -r[4], r[0]))
        for rank, (nid, p, mean, _c, _pp, organisers) in enumerate(rows, 1):
            awarded = mean is not None and rank <= places[kind]
            extra[nid] = (rank, mean, awarded)
            if awarded:
                for u in organisers:
                    note(u, "award.awarded", {"name": p["name"], "round": f"{year} 年度优秀兴趣小组评选"}, "",
                         f"/award-rounds/{round_id}/results", ("award_round", round_id), published)
    ctx.insert(Nomination.__table__, ("id", "round_id", "category_id", "group_id", "statement", "nominated_by_id",
                                      "created_at", "rank", "mean", "awarded"),
               [(*n, *extra[n[0]]) for n in nominations], len(nominations), "nominations")
    score_ids = ctx.reserve_ids(Score.__table__, len(scores))
    ctx.insert(Score.__table__, ("id", "nomination_id", "juror_id", "score", "comment", "created_at", "updated_at"),
               [(sid, nid, juror, value, "", closes + timedelta(days=2), closes + timedelta(days=2))
                for sid, (juror, nid, value) in zip(score_ids, scores)], len(scores), "scores")


SEED_STEPS = [(70, step_groups)]
