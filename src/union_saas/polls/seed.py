"""Polls and contests for ``flask demo seed`` (see ``demo_seed``): what ``polls.services`` would have left.

Closed polls of the past two years, a few open now (one with a burst of votes from new memberships, for the
organisers' flags), one scheduled, one annulled (its voters told), and two contests: a closed one with a jury
(scores set, 30% of the score) and an open one with entries still waiting for approval.

Each vote is what ``services.vote`` writes: a roll row (the person: their membership's ``id_hash``, once per
poll; the minute of the vote, after the membership began; whether the membership was new) and a ballot under a
random receipt with its choices. The ballots are written in another order than the roll (shuffled), so that not
even the order of the rows ties a ballot to a voter.
"""
from datetime import timedelta

import sqlalchemy as sa

from union_saas.core.inbox import Notification
from union_saas.demo_seed import nearest_holder
from union_saas.members.models import Membership
from union_saas.polls.models import Poll, PollBallot, PollBallotChoice, PollEntry, PollOption, PollVoter
from union_saas.polls.services import BURST_VOTES, NEW_MEMBER_DAYS, RECEIPT_ALPHABET

QUESTIONS = (
    ("下一期职工活动选什么？", ("户外徒步", "电影专场", "亲子手工", "篮球友谊赛")),
    ("职工食堂新菜品投票", ("回锅肉", "麻婆豆腐", "宫保鸡丁", "酸菜鱼", "夫妻肺片")),
    ("年度职工运动会时间", ("十月第二个周六", "十月第三个周六", "十一月第一个周六")),
    ("职工书屋新书推荐（可多选）", ("《平凡的世界》", "《活着》", "《三体》", "《人世间》", "《长安的荔枝》")),
    ("夏送清凉慰问品选择", ("绿豆汤礼包", "防暑药品包", "冰袖和遮阳帽")),
    ("工会服务满意度调查", ("非常满意", "满意", "一般", "不满意")),
    ("春节联欢会节目形式", ("职工自编节目", "专业团队演出", "线上云联欢")),
    ("职工疗休养目的地", ("青城山", "峨眉山", "都江堰", "九寨沟")),
)
CONTEST_ENTRIES = ("老成都担担面", "钟水饺", "龙抄手", "三大炮", "伤心凉粉", "甜水面", "叶儿粑", "蛋烘糕")
MEMBERS_COLUMNS = ("id", "tenant_id", "root_id", "scope", "status", "reach", "title", "description", "kind",
                   "max_choices", "opens_at", "closes_at", "results", "jury_weight", "created_by_id", "created_at",
                   "annulled_at", "annulled_by_id", "annul_reason")
DAY = timedelta(days=1)


def _receipt(rng):
    raw = "".join(rng.choice(RECEIPT_ALPHABET) for _ in range(16))
    return "-".join(raw[i:i + 4] for i in range(0, 16, 4))


def _creators(ctx):
    holder = {}
    for role in ("federation_admin", "union_admin"):
        for user_id, tenant_id in ctx.admins.get(role, ()):
            holder.setdefault(tenant_id, user_id)
    return nearest_holder(ctx, holder)


class People:
    """The verified members (active, with an identity) of the federation, by union: who may vote where."""

    def __init__(self, ctx):
        m = Membership.__table__
        self.by_tenant = {}
        for user_id, tenant_id, person, created in ctx.connection.execute(
                sa.select(m.c.user_id, m.c.tenant_id, m.c.id_hash, m.c.created_at)
                .where(m.c.root_id == ctx.root.id, m.c.status == "active", m.c.id_hash.is_not(None))
                .order_by(m.c.id)):
            self.by_tenant.setdefault(tenant_id, []).append((user_id, tenant_id, person, created))
        self.paths = {t.id: t.path for t in ctx.tenants}

    def eligible(self, tenant, scope):
        if scope == "tenant":
            return list(self.by_tenant.get(tenant.id, ()))
        ids = [t for t, p in self.paths.items() if scope == "platform" or p.startswith(tenant.path)]
        return [row for t in ids for row in self.by_tenant.get(t, ())]


def plan(ctx):
    """[(tenant, scope, title, labels, kind, max_choices, opens, closes, results, jury, extra)]."""
    rng, now = ctx.rng, ctx.now
    count = ctx.scale.options.get("polls", 14 if ctx.scale.name == "small" else 160)
    streets = [t for t in ctx.tenants if t.kind == "street"] or [ctx.root]
    communities = [t for t in ctx.tenants if t.kind == "community"] or streets
    out = []
    for n in range(count):
        question, labels = QUESTIONS[n % len(QUESTIONS)]
        where = n % 3
        tenant, scope = ((ctx.root, "platform"), (rng.choice(streets), "subtree"), (rng.choice(communities), "tenant"))[where]
        multiple = "多选" in question
        if n in (0, 1, 3):  # open now (one of them multiple choice)
            opens, closes = now - rng.randint(1, 6) * DAY, now + rng.randint(2, 12) * DAY
        elif n == 2:  # scheduled
            opens, closes = now + 2 * DAY, now + 9 * DAY
        else:
            opens = ctx.date_between(ctx.start, now - 20 * DAY)
            closes = opens + rng.randint(3, 14) * DAY
        out.append(dict(tenant=tenant, scope=scope, title=question if n < len(QUESTIONS) else f"{question}（{n // len(QUESTIONS) + 1}）",
                        labels=labels, kind="multiple" if multiple else "single", max_choices=2 if multiple else 1,
                        opens=opens, closes=closes, results="after_close" if n % 4 == 1 else "live", jury=0,
                        burst=n == 0, annulled=n == 6))
    out.append(dict(tenant=ctx.root, scope="platform", title="“最受欢迎的街头小吃”评选", labels=(), kind="contest",
                    max_choices=1, opens=now - 60 * DAY, closes=now - 30 * DAY, results="after_close", jury=30,
                    entries=CONTEST_ENTRIES[:6], pending=0, burst=False, annulled=False))
    out.append(dict(tenant=streets[0], scope="subtree", title="“我身边的好厨师”短视频评选", labels=(), kind="contest",
                    max_choices=2, opens=now - 5 * DAY, closes=now + 10 * DAY, results="live", jury=0,
                    entries=CONTEST_ENTRIES[4:], pending=1, burst=False, annulled=False))
    return out


def step_polls(ctx):
    if ctx.scale.options.get("polls") == 0:
        return
    rng, now = ctx.rng, ctx.now
    people = People(ctx)
    creators = _creators(ctx)
    plans = plan(ctx)
    poll_ids = iter(ctx.reserve_ids(Poll.__table__, len(plans)))
    polls, options, entries, roll, ballots, choices, told = [], [], [], [], [], [], []
    for p in plans:
        tenant = p["tenant"]
        pid = next(poll_ids)
        creator = creators.get(tenant.id)
        created = p["opens"] - DAY
        p["id"] = pid
        eligible = people.eligible(tenant, p["scope"])
        # options: the labels, or a contest's approved entries (and its pending or rejected ones)
        labels = list(p["labels"])
        entry_rows = []
        if p["kind"] == "contest":
            authors = rng.sample(eligible, min(len(eligible), len(p["entries"]) + 1))
            for n, label in enumerate(p["entries"]):
                if n >= len(authors):
                    break
                status = "pending" if n >= len(p["entries"]) - p["pending"] else "approved"
                submitted = p["opens"] + timedelta(hours=rng.randint(1, 72))
                entry_rows.append([label, authors[n][0], status, submitted, None if status == "pending" else
                                   submitted + timedelta(hours=rng.randint(2, 30))])
            if len(authors) > len(entry_rows):  # one turned down (a duplicate)
                submitted = p["opens"] + timedelta(hours=rng.randint(1, 72))
                entry_rows.append([entry_rows[0][0] if entry_rows else "重复作品", authors[-1][0], "rejected",
                                   submitted, submitted + 5 * timedelta(hours=1)])
        option_ids = []
        entry_ids = ctx.reserve_ids(PollEntry.__table__, len(entry_rows))
        approved = [(eid, row) for eid, row in zip(entry_ids, entry_rows, strict=True) if row[2] == "approved"]
        first_option = ctx.reserve_ids(PollOption.__table__, len(labels) + len(approved)).start
        for n, label in enumerate(labels):
            options.append((first_option + n, pid, label, n, None, None))
            option_ids.append(first_option + n)
        for n, (eid, row) in enumerate(approved):
            score = rng.randint(55, 98) if p["jury"] else None
            options.append((first_option + len(labels) + n, pid, row[0], len(labels) + n, eid, score))
            option_ids.append(first_option + len(labels) + n)
        for eid, row in zip(entry_ids, entry_rows, strict=True):
            label, author, status, submitted, decided = row
            entries.append((eid, pid, tenant.id, author, label, "成都本地风味，欢迎品尝。", None, status,
                            "已有同名作品" if status == "rejected" else None, submitted, decided,
                            creator if decided else None))
            if decided:
                told.append((author, f"poll.entry_{status}", {"title": p["title"], "label": label}, "", pid,
                             decided))
        # votes: a share of the eligible people, each once, after their membership began
        end = min(p["closes"], now)
        if end > p["opens"] and option_ids:
            turnout = rng.uniform(0.05, 0.35)
            k = min(len(eligible), int(len(eligible) * turnout) + 1)
            weights = [rng.random() + 0.2 for _ in option_ids]
            voters = rng.sample(eligible, k)
            burst_minute = (now - timedelta(hours=rng.randint(2, 20))).replace(second=0, microsecond=0)
            recent = [v for v in eligible if v[3] > burst_minute - timedelta(days=NEW_MEMBER_DAYS)
                      and v[3] < burst_minute] if p["burst"] else []
            burst = set(v[0] for v in recent[:BURST_VOTES + 5]) if len(recent) >= BURST_VOTES else set()
            voters = [v for v in voters if v[0] not in burst] + [v for v in recent if v[0] in burst]
            for user_id, home, person, joined in voters:
                start = max(p["opens"], joined)
                if start >= end:
                    continue
                at = burst_minute if user_id in burst else ctx.date_between(start, end)
                minute = at.replace(second=0, microsecond=0)
                roll.append([pid, person, user_id, home, joined > at - timedelta(days=NEW_MEMBER_DAYS), minute])
                receipt = _receipt(rng)
                picked = rng.choices(option_ids, weights, k=p["max_choices"])
                ballots.append((receipt, pid))
                choices.extend((receipt, o, pid) for o in dict.fromkeys(picked))
                if p["annulled"]:
                    told.append((user_id, "poll.annulled", {"title": p["title"]}, "发现重复刷票，本次投票作废。",
                                 pid, p["closes"] + DAY))
        annulled = p["closes"] + DAY if p["annulled"] else None
        polls.append((pid, tenant.id, tenant.root_id, p["scope"], "annulled" if annulled else "published",
                      "approved" if p["scope"] == "platform" else None, p["title"],
                      "请每位会员认真投票，每人一票。", p["kind"], p["max_choices"], p["opens"], p["closes"],
                      p["results"], p["jury"], creator, created, annulled, creator if annulled else None,
                      "发现重复刷票，本次投票作废。" if annulled else None))
    ctx.insert(Poll.__table__, MEMBERS_COLUMNS, polls, len(polls), "polls")
    ctx.insert(PollEntry.__table__, ("id", "poll_id", "tenant_id", "submitted_by_id", "label", "detail", "link",
                                     "status", "reason", "created_at", "decided_at", "decided_by_id"),
               entries, len(entries), "contest entries")
    ctx.insert(PollOption.__table__, ("id", "poll_id", "label", "position", "entry_id", "jury_score"), options,
               len(options), "poll options")
    roll.sort(key=lambda r: r[5])  # the roll in the order of the votes, as the service writes it
    ids = ctx.reserve_ids(PollVoter.__table__, len(roll))
    ctx.insert(PollVoter.__table__, ("id", "poll_id", "person", "user_id", "tenant_id", "new_member", "voted_minute"),
               ((i, *r) for i, r in zip(ids, roll, strict=True)), len(roll), "voter roll")
    rng.shuffle(ballots)  # another order than the roll's
    ctx.insert(PollBallot.__table__, ("receipt", "poll_id"), ballots, len(ballots), "ballots")
    rng.shuffle(choices)
    ctx.insert(PollBallotChoice.__table__, ("receipt", "option_id", "poll_id"), choices, len(choices), "choices")
    ctx.insert(Notification.__table__, ("user_id", "kind", "params", "body", "link", "subject_type", "subject_id",
                                        "root_id", "created_at"),
               ((u, kind, ctx.json(params), body, f"/polls/{pid}", "poll", pid, ctx.root.id, at)
                for u, kind, params, body, pid, at in told), len(told), "poll notifications")
    ctx.reserve_ids(Notification.__table__, 0)


SEED_STEPS = [(65, step_polls)]
