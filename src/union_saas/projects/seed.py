"""Calls for community projects for ``flask demo seed`` (see ``demo_seed``): a decided call with its funded
projects and their ledger, and an open call taking proposals.

The federation (the district) called for projects a year and a half ago: communities and partner
organisations with someone holding ``project.propose`` there proposed (then streets and enterprise unions
with an office, so that the large data set has enough; a few withdrew); three reviewers
without any grant (no conflict of interest) scored every proposal on every criterion; the funding is
``services.suggest`` applied to the ranking (the best first at their requested tier while the budget lasts),
with the budget set so that exactly ``project_funded`` projects fit (93 in the large data set, as in 2019).
Every funded project has two milestones that plan its whole grant; most first milestones are approved and
paid, some second ones are reported and wait for a check. Counters are what the services leave:
``proposal_count`` (not withdrawn), ``granted_total``, ``planned``, ``disbursed``, ``disbursed_total``; the
inbox holds the decision (funded or declined) for each proposer and the reviewers' nominations.
"""
from datetime import timedelta

from union_saas.core.inbox import Notification
from union_saas.projects.models import (
    CallCriterion,
    CallReviewer,
    CallTier,
    Milestone,
    ProjectCall,
    Proposal,
    Review,
    ReviewScore,
)

TIERS = (("一档", 50000_00), ("二档", 20000_00), ("三档", 5000_00))
CRITERIA = (("服务职工的需求", 40), ("方案可行性", 25), ("覆盖人数", 20), ("可持续性", 15))
TITLES = ("职工书屋提升", "新就业形态劳动者暖心驿站", "户外劳动者爱心驿站", "职工子女暑期托管班", "困难职工帮扶小站",
          "职工心理健康服务", "社区职工健身角", "职工技能夜校", "法律援助服务点", "外卖骑手关爱行动",
          "职工文艺队培育", "母婴关爱室建设", "退休职工互助", "楼宇职工服务站", "快递小哥之家")
SUMMARY = "面向辖区职工，特别是新就业形态劳动者，提供就近、便捷的服务。"
PLAN = "1. 场地改造与设备采购；\n2. 每周开放并组织活动；\n3. 按季度统计服务人次并公示。"
DAY = timedelta(days=1)


def _proposers(ctx):
    """tenant id -> a user holding project.propose there (union admins and officers, partners' staff)."""
    holders = {}
    for role in ("union_officer", "partner_staff", "union_admin"):
        for user_id, tenant_id in ctx.admins.get(role, ()):
            holders.setdefault(tenant_id, user_id)
    return holders


def _reviewers(ctx, n=3):
    granted = {uid for pairs in ctx.admins.values() for uid, _t in pairs}
    return [uid for uid in ctx.user_ids if uid not in granted][:n]


def step_projects(ctx):
    rng, root = ctx.rng, ctx.root
    organiser = next((uid for uid, tid in ctx.admins.get("federation_admin", ()) if tid == root.id), None)
    holders = _proposers(ctx)
    # communities and partner organisations first; streets and enterprise unions with an office fill the rest
    first = [t for t in ctx.tenants if t.kind in ("community", "social_org") and t.id in holders]
    others = [t for t in ctx.tenants if t.kind in ("street", "enterprise") and t.id in holders]
    rng.shuffle(first)
    rng.shuffle(others)
    candidates = first + others
    funded_wanted = ctx.scale.options.get("project_funded", 93 if ctx.scale.name == "large" else 12)
    proposing = candidates[:min(len(candidates), int(funded_wanted * 1.9) + 2)]
    reviewers = _reviewers(ctx)
    tables = {m: m.__table__ for m in (ProjectCall, CallTier, CallCriterion, CallReviewer, Proposal, Review,
                                       ReviewScore, Milestone, Notification)}
    call_ids = ctx.reserve_ids(tables[ProjectCall], 2)
    past, current = call_ids
    opens = ctx.start + 120 * DAY
    windows = {past: (opens, opens + 30 * DAY, opens + 50 * DAY),
               current: (ctx.now - 10 * DAY, ctx.now + 20 * DAY, ctx.now + 35 * DAY)}
    tier_ids = {c: list(ctx.reserve_ids(tables[CallTier], len(TIERS))) for c in call_ids}
    criterion_ids = {c: list(ctx.reserve_ids(tables[CallCriterion], len(CRITERIA))) for c in call_ids}

    # --- proposals, reviews, the ranking and the decision of the past call ---------------------------
    proposals, reviews, scores, notes = [], [], [], []
    past_rows = []
    current_rows = []
    n_current = max(3, len(proposing) // 4)
    ids = iter(ctx.reserve_ids(tables[Proposal], len(proposing) + n_current))
    for n, tenant in enumerate(proposing):
        tier = rng.choices(range(3), weights=(2, 5, 5))[0]
        amount = TIERS[tier][1] * rng.choice((100, 100, 100, 96, 90, 80)) // 100
        created = ctx.date_between(windows[past][0], windows[past][1] - DAY)
        withdrawn = rng.random() < 0.04
        past_rows.append({"id": next(ids), "tenant": tenant, "tier": tier, "amount": amount, "created": created,
                          "withdrawn": withdrawn, "title": f"{tenant.name}{TITLES[n % len(TITLES)]}项目"})
    for n, tenant in enumerate(proposing[:n_current]):
        tier = rng.choices(range(3), weights=(2, 5, 5))[0]
        current_rows.append({"id": next(ids), "tenant": tenant, "tier": tier, "amount": TIERS[tier][1],
                             "created": ctx.date_between(windows[current][0], ctx.now - 3600 * DAY / 86400),
                             "withdrawn": False, "title": f"{tenant.name}{TITLES[(n + 5) % len(TITLES)]}（2期）"})
    review_ids = iter(ctx.reserve_ids(tables[Review], len(reviewers) * len(past_rows)))
    for row in past_rows:
        if row["withdrawn"]:
            continue
        quality = rng.random()
        totals = []
        for uid in reviewers:
            rid = next(review_ids)
            at = ctx.date_between(windows[past][1], windows[past][2] - DAY)
            marks = [max(0, min(10, round(quality * 10 + rng.gauss(0, 1.3)))) for _c in CRITERIA]
            reviews.append((rid, row["id"], past, uid, "", at, at))
            scores.extend((rid, criterion_ids[past][k], m) for k, m in enumerate(marks))
            totals.append(sum(w * m for (_n, w), m in zip(CRITERIA, marks)) / 10)
        row["score"] = sum(totals) / len(totals)
    ranked = sorted((r for r in past_rows if not r["withdrawn"]), key=lambda r: (-r["score"], r["created"], r["id"]))
    funded = ranked[:min(funded_wanted, max(1, len(ranked) * 2 // 3))]  # a small federation funds two in three
    budget = sum(TIERS[r["tier"]][1] for r in funded)  # exactly what the best ``funded_wanted`` ask for
    for r in funded:
        r["funded"] = True
    decided_at = windows[past][2] + 3 * DAY
    milestones = []
    milestone_ids = iter(ctx.reserve_ids(tables[Milestone], 2 * len(funded)))
    disbursed_total = 0
    for r in past_rows:
        status = "withdrawn" if r["withdrawn"] else "funded" if r.get("funded") else "declined"
        granted = TIERS[r["tier"]][1] if status == "funded" else 0
        disbursed = planned = 0
        if status == "funded":
            first = granted * 6 // 10
            parts = (("建设完成", first), ("运行满半年", granted - first))
            for k, (title, amount) in enumerate(parts):
                due = (decided_at + (60 + 150 * k) * DAY).date()
                reported_at = approved_at = None
                state = "planned"
                roll = rng.random()
                if k == 0 and roll < 0.85 or k == 1 and roll < 0.3:
                    state = "approved"
                elif roll < (0.95 if k == 0 else 0.5):
                    state = "reported"
                if state != "planned":
                    reported_at = min(ctx.now - DAY, decided_at + (50 + 150 * k) * DAY + rng.random() * 20 * DAY)
                if state == "approved":
                    approved_at = min(ctx.now - 3600 * DAY / 86400, reported_at + (1 + rng.random() * 6) * DAY)
                    disbursed += amount
                milestones.append((next(milestone_ids), r["id"], past, title, amount, due, state,
                                   "场地已投入使用，累计服务职工一百余人次。" if reported_at else "",
                                   ctx.json([]), None, decided_at + DAY, reported_at,
                                   holders[r["tenant"].id] if reported_at else None, approved_at,
                                   organiser if approved_at else None))
                planned += amount
        disbursed_total += disbursed
        r.update(status=status, granted=granted, planned=planned, disbursed=disbursed)
        proposals.append(_proposal_row(ctx, r, past, tier_ids[past], holders, decided_at if status != "withdrawn" else None))
        if status in ("funded", "declined"):
            params = {"title": r["title"]}
            if status == "funded":
                params.update(amount=_yuan(granted), tier=TIERS[r["tier"]][0])
            notes.append((holders[r["tenant"].id], root.id, f"project.{status}", ctx.json(params), "",
                          f"/projects/proposals/{r['id']}", "proposal", r["id"], decided_at, decided_at + DAY))
    for r in current_rows:
        r.update(status="submitted", granted=0, planned=0, disbursed=0)
        proposals.append(_proposal_row(ctx, r, current, tier_ids[current], holders, None))
    for call_id in call_ids:
        for uid in reviewers[:3 if call_id == past else 2]:
            at = windows[call_id][1] - 5 * DAY if call_id == past else ctx.now - 5 * DAY
            notes.append((uid, root.id, "project.reviewer_named", ctx.json({"title": _title(call_id == past)}), "",
                          f"/projects/calls/{call_id}", "project_call", call_id, at, None))

    # --- write ----------------------------------------------------------------------------------------
    calls = []
    for call_id in call_ids:
        o, c, r = windows[call_id]
        is_past = call_id == past
        count = sum(1 for x in (past_rows if is_past else current_rows) if not x["withdrawn"])
        calls.append((call_id, root.id, root.id, "subtree", "decided" if is_past else "published", None, None, None,
                      None, _title(is_past), "面向全区社区工会和合作社会组织，征集服务职工的社区项目，按评审结果分档资助。",
                      budget if is_past else 2_000_000_00, budget if is_past else 0,
                      disbursed_total if is_past else 0, o, c, r, count, organiser, o - 7 * DAY,
                      decided_at if is_past else None, organiser if is_past else None))
    ctx.insert(tables[ProjectCall], ["id", "tenant_id", "root_id", "scope", "status", "reach", "reach_reason",
                                     "reach_decided_at", "reach_decided_by_id", "title", "description",
                                     "budget_total", "granted_total", "disbursed_total", "opens_at", "closes_at",
                                     "review_closes_at", "proposal_count", "created_by_id", "created_at",
                                     "decided_at", "decided_by_id"], calls, len(calls), "project calls")
    ctx.insert(tables[CallTier], ["id", "call_id", "name", "amount", "position"],
               [(tier_ids[c][k], c, name, amount, k) for c in call_ids for k, (name, amount) in enumerate(TIERS)],
               2 * len(TIERS), "project tiers")
    ctx.insert(tables[CallCriterion], ["id", "call_id", "name", "weight", "position"],
               [(criterion_ids[c][k], c, name, w, k) for c in call_ids for k, (name, w) in enumerate(CRITERIA)],
               2 * len(CRITERIA), "project criteria")
    reviewer_rows = [(c, uid, organiser, windows[c][1] - 5 * DAY if c == past else ctx.now - 5 * DAY)
                     for c in call_ids for uid in reviewers[:3 if c == past else 2]]
    ids = ctx.reserve_ids(tables[CallReviewer], len(reviewer_rows))
    ctx.insert(tables[CallReviewer], ["id", "call_id", "user_id", "added_by_id", "created_at"],
               [(i, *row) for i, row in zip(ids, reviewer_rows)], len(reviewer_rows), "project reviewers")
    ctx.insert(tables[Proposal], ["id", "tenant_id", "root_id", "call_id", "title", "summary", "plan",
                                  "budget_requested", "tier_id", "status", "awarded_tier_id", "granted", "planned",
                                  "disbursed", "created_by_id", "created_at", "updated_at", "withdrawn_at"],
               proposals, len(proposals), "project proposals")
    ctx.insert(tables[Review], ["id", "proposal_id", "call_id", "reviewer_id", "comment", "created_at", "updated_at"],
               reviews, len(reviews), "project reviews")
    ctx.insert(tables[ReviewScore], ["review_id", "criterion_id", "score"], scores, len(scores), "project scores")
    ctx.insert(tables[Milestone], ["id", "proposal_id", "call_id", "title", "amount", "due_on", "status",
                                   "report_text", "activity_ids", "reason", "created_at", "reported_at",
                                   "reported_by_id", "approved_at", "approved_by_id"], milestones, len(milestones),
               "project milestones")
    ctx.insert(tables[Notification], ["user_id", "root_id", "kind", "params", "body", "link", "subject_type",
                                      "subject_id", "created_at", "read_at"], notes, len(notes),
               "project notifications")


def _title(past):
    return "社区服务职工项目征集（首批）" if past else "社区服务职工项目征集（第二批）"


def _yuan(fen):
    whole, cents = divmod(fen, 100)
    return f"{whole:,}" if not cents else f"{whole:,}.{cents:02d}"


def _proposal_row(ctx, r, call_id, tiers, holders, decided_at):
    tier_id = tiers[r["tier"]]
    withdrawn_at = r["created"] + 2 * DAY if r["withdrawn"] else None
    updated = withdrawn_at or decided_at or r["created"]
    return (r["id"], r["tenant"].id, r["tenant"].root_id, call_id, r["title"], SUMMARY, PLAN, r["amount"], tier_id,
            r["status"], tier_id if r["status"] == "funded" else None, r["granted"], r["planned"], r["disbursed"],
            holders[r["tenant"].id], r["created"], updated, withdrawn_at)


SEED_STEPS = [(80, step_projects)]
