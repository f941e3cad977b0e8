"""Activities, sign-ups, check-ins and their notifications for ``flask demo seed`` (see ``demo_seed``).

What a federation's two years leave behind: activities published by the federation (mostly to the whole
federation), the streets, the communities and the larger enterprises (to their own members or their
subtree), a few branded series, a couple of hundred upcoming ones; sign-ups from people who could see
each activity (its scope's members; for an open one on the whole federation, followers too), front-loaded
after publication, with heavy-tailed popularity.

Each activity's sign-ups are played through the rules of ``activities.services`` in time order: confirmed
while places remain, else waitlisted with the next ``waitlist_seq``; some cancel (before the start) or are
removed by the organiser, and a freed place goes to the first on the waitlist, who keeps their position;
the counters are what that play leaves. Past activities get their reminder and check-ins; notifications
(reminder, promoted, removed, cancelled) are then written with one INSERT ... SELECT each from the rows.
"""
import bisect
import itertools
from array import array
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from union_saas.activities.models import Activity, SignUp
from union_saas.core.inbox import Notification
from union_saas.core.markup import render_markdown
from union_saas.demo_seed import nearest_holder

DAY = 86400.0
UPCOMING_SHARE = 0.02  # of the activities: in the next 60 days
UPCOMING_DAYS = 60
OPEN_PLATFORM_SHARE = 0.35  # federation-wide activities open to followers too
FOLLOWER_INTEREST = 0.3  # a follower without membership signs up this much less often than a member
CANCEL_SHARE, REMOVE_SHARE = 0.07, 0.005
MOST_SIGNUPS = 12_000  # the district's largest events (a sports meet, an online quiz)
LOCAL = timedelta(hours=8)  # Asia/Shanghai: activities start at local office hours

NAMES = {
    "culture": ("书法培训班", "摄影沙龙", "读书分享会", "非遗剪纸体验", "合唱团排练", "国画入门课", "茶艺体验课",
                "川剧变脸欣赏会", "职工书画展"),
    "sports": ("羽毛球友谊赛", "健步走", "篮球联赛", "乒乓球比赛", "瑜伽课", "拔河比赛", "趣味运动会", "登山活动",
               "气排球邀请赛"),
    "entertainment": ("观影活动", "亲子游园会", "青年联谊会", "职工歌手大赛", "职工趣味游园会", "桌游之夜",
                      "美食制作比赛", "猜谜联欢会"),
    "learning": ("劳动法知识讲座", "职业技能培训", "心理健康讲座", "消防安全培训", "急救技能培训", "理财知识讲座",
                 "职场礼仪课", "电工技能提升班", "育婴师培训"),
    "volunteering": ("社区志愿服务", "无偿献血", "环保清洁日", "敬老院慰问", "义务植树", "关爱留守儿童",
                     "文明交通劝导", "垃圾分类宣传"),
    "online": ("线上知识竞答", "网络直播讲座", "云端健步走打卡", "线上读书打卡", "线上摄影作品征集",
               "网上劳动技能比武"),
}
# Who publishes which categories (weights in CATEGORIES order).
CATEGORY_WEIGHTS = {
    "federation": (3, 3, 2, 3, 2, 3),
    "street": (3, 3, 3, 3, 3, 1),
    "community": (3, 2, 3, 2, 4, 1),
    "enterprise": (2, 4, 3, 3, 1, 1),
}
CATEGORIES = ("culture", "sports", "entertainment", "learning", "volunteering", "online")
# Branded series: (series, category, publisher kinds, months, title pattern).
SERIES = (
    ("新春诗会", "culture", ("federation", "street"), (1, 2), "{year}年{short}新春诗会"),
    ("职工运动会", "sports", ("federation", "street"), (9, 10, 11), "{year}年{short}职工运动会·{event}"),
    ("劳模工匠大讲堂", "learning", ("federation",), tuple(range(1, 13)), "劳模工匠大讲堂·{topic}"),
    ("夏送清凉", "volunteering", ("street", "community"), (6, 7, 8), "{year}年夏送清凉·户外劳动者慰问"),
    ("金秋助学", "volunteering", ("federation", "street"), (8, 9), "{year}年{short}金秋助学活动"),
    ("职工读书月", "culture", ("federation", "street", "community", "enterprise"), (4,), "{year}年职工读书月·{name}"),
    ("工会开放日", "entertainment", ("community", "enterprise"), (5, 10), "{short}工会开放日"),
)
EVENTS = ("开幕式", "篮球赛", "羽毛球赛", "拔河比赛", "田径比赛", "乒乓球赛", "趣味接力")
TOPICS = ("数控加工的精度之道", "一线工人的创新故事", "焊接工艺与安全", "从学徒到大国工匠", "新能源汽车维修",
          "川菜烹饪技艺传承", "电力抢修三十年", "智能制造与技能转型")
ROOMS = ("职工之家多功能厅", "职工之家培训教室", "党群服务中心活动室", "职工书屋", "会议室")
VENUES = ("全民健身中心", "体育馆", "职工活动中心球场", "滨河绿道")
DESCRIPTIONS = {
    "culture": "欢迎广大职工报名参加。\n\n- 活动免费，材料由工会提供\n- 请提前 **15 分钟** 到场签到",
    "sports": "以赛促练，强身健体。\n\n- 请穿运动服装和运动鞋\n- 报名成功后请按时参加，不能参加请提前取消",
    "entertainment": "丰富职工业余生活，欢迎携家属参加。\n\n请凭报名记录入场。",
    "learning": "主讲人为相关领域专家，讲座后设答疑环节。\n\n- 请携带笔记本\n- 全程参加者可获得学习证明",
    "volunteering": "志愿服务时长计入个人志愿档案。\n\n- 请穿着志愿者马甲（现场发放）\n- 注意防暑防晒",
    "online": "线上参与，报名后请关注活动链接。\n\n活动结束后公布结果，优秀者将获得纪念品。",
}
CAPACITIES = (10, 15, 20, 30, 40, 50, 60, 80, 100, 120, 150, 200, 250, 300, 400, 500, 600, 800, 1000, 1200, 1500,
              2000, 2500, 3000, 4000, 5000, 6000, 8000, 10000)


@dataclass(slots=True)
class Plan:
    id: int
    tenant: object
    scope: str
    members_only: bool
    category: str
    series: str | None
    title: str
    starts: float  # timestamps
    ends: float
    published: float | None
    opens: float | None
    closes: float | None
    status: str
    cancelled: float | None
    capacity: int | None
    creator: int
    weight: float = 0.0  # popularity: the share of the scale's sign-ups it draws
    eligible: float = 0.0  # the most sign-ups it can draw (a share of the people who could see it)
    elapsed: float = 1.0  # the share of its final demand reached by today
    demand: int = 0


def _short(tenant):
    name = tenant.name
    for suffix in ("工会联合会", "总工会", "工会"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _nice(n):
    return CAPACITIES[min(bisect.bisect_left(CAPACITIES, max(n, 10)), len(CAPACITIES) - 1)]


def _ts(dt):
    return dt.timestamp()


def _dt(ts):
    return datetime.fromtimestamp(ts, UTC)


class Pools:
    """Members sorted by their home's path, so that a tenant's own members and its subtree's are ranges.

    Followers without membership follow on after them (they see the federation-wide activities)."""

    def __init__(self, ctx):
        by_tenant = {}
        for user_id, tenant_id in ctx.home.items():
            by_tenant.setdefault(tenant_id, []).append(user_id)
        self.user, self.home, self.since = array("i"), array("i"), array("d")
        self.own, self.subtree = {}, {}
        ordered = sorted(ctx.tenants, key=lambda t: t.path)
        starts = []
        for t in ordered:
            lo = len(self.user)
            for user_id in sorted(by_tenant.get(t.id, ())):
                self.user.append(user_id)
                self.home.append(t.id)
                self.since.append(_ts(ctx.joined_at[user_id]))
            self.own[t.id] = (lo, len(self.user))
            starts.append(lo)
        paths = [t.path for t in ordered]
        for n, t in enumerate(ordered):
            after = bisect.bisect_left(paths, t.path + "~", n + 1)
            self.subtree[t.id] = (starts[n], starts[after] if after < len(ordered) else len(self.user))
        self.members = len(self.user)
        followers = sorted(ctx.follower_since)
        self.follower = array("i", followers)
        self.follower_since = array("d", (_ts(ctx.follower_since[u]) for u in followers))
        self.joined_sorted = sorted(self.since)
        self.followed_sorted = sorted(self.follower_since)

    def reach(self, plan):
        """(lo, hi, with followers) of the people who can see ``plan``."""
        t = plan.tenant
        if plan.scope == "platform":
            return 0, self.members, not plan.members_only
        if plan.scope == "subtree":
            return *self.subtree[t.id], False
        return *self.own[t.id], False

    def eligible(self, plan, until):
        """About how many people could have signed up by ``until`` (joined their union, or followed, by then)."""
        lo, hi, followers = self.reach(plan)
        share = bisect.bisect_right(self.joined_sorted, until) / max(1, self.members)
        count = (hi - lo) * share
        if followers:
            count += bisect.bisect_right(self.followed_sorted, until) * FOLLOWER_INTEREST
        return count

    def draw(self, rng, plan, k, until):
        """Up to ``k`` distinct people who could see ``plan`` and had joined (or followed) by ``until``:
        [(user id, home tenant id or None, since when)]."""
        lo, hi, followers = self.reach(plan)
        size = hi - lo
        n = size + (len(self.follower) if followers else 0)
        out, seen = [], set()
        if not n:
            return out
        random = rng.random
        attempts, limit = 0, 30 * k + 200
        while len(out) < k and attempts < limit and len(seen) < n:
            attempts += 1
            j = int(random() * n)
            if j in seen:
                continue
            seen.add(j)
            if j < size:
                since = self.since[lo + j]
                if since <= until:
                    out.append((self.user[lo + j], self.home[lo + j], since))
            elif random() < FOLLOWER_INTEREST:
                since = self.follower_since[j - size]
                if since <= until:
                    out.append((self.follower[j - size], None, since))
        return out


def _creators(ctx):
    """tenant id -> who publishes its activities: the nearest holder of activity.manage at or above it."""
    holder = {}
    for role in ("federation_admin", "union_admin", "union_officer"):
        for user_id, tenant_id in ctx.admins.get(role, ()):
            holder.setdefault(tenant_id, user_id)
    return nearest_holder(ctx, holder)


def _publishers(ctx, pools):
    """(tenant, weight) of who publishes: the federation, streets, communities, the larger enterprises."""
    rows = []
    shares = {"federation": 0.08, "street": 0.25, "community": 0.35, "enterprise": 0.32}
    for kind, share in shares.items():
        found = [t for t in ctx.tenants if t.kind == kind and pools.subtree[t.id][1] > pools.subtree[t.id][0]]
        if kind == "enterprise":  # by size: the larger ones publish (almost) all
            sizes = {t.id: pools.subtree[t.id][1] - pools.subtree[t.id][0] for t in found}
            found = [t for t in found if sizes[t.id] >= 5]
            weights = [sizes[t.id] ** 1.1 for t in found]
        else:
            weights = [1.0] * len(found)
        total = sum(weights) or 1.0
        rows.extend((t, share * w / total) for t, w in zip(found, weights))
    return rows


def _title(rng, plan_series, tenant, category, year, month):
    short = _short(tenant)
    if plan_series:
        pattern = plan_series[4]
        return pattern.format(year=year, short=short if tenant.kind != "federation" else "青羊区",
                              event=rng.choice(EVENTS), topic=rng.choice(TOPICS), name=rng.choice(NAMES["culture"]))
    name = rng.choice(NAMES[category])
    style = rng.random()
    if style < 0.4:
        return f"{short}{name}"
    if style < 0.7:
        season = ("冬季", "春季", "春季", "春季", "夏季", "夏季", "夏季", "秋季", "秋季", "秋季", "冬季", "冬季")
        return f"{year}年{season[month - 1]}{name}"
    return name


def plan_activities(ctx, pools):
    """Every activity's plan (no sign-up yet), with its demand: the sum of the demands is the scale's sign-ups."""
    rng = ctx.rng
    count = ctx.scale.options.get("activities", 0)
    target = ctx.scale.options.get("signups", 0)
    creators = _creators(ctx)
    publishers = _publishers(ctx, pools)
    cumulative = list(itertools.accumulate(w for _t, w in publishers))
    now, start = _ts(ctx.now), _ts(ctx.start)
    upcoming = max(min(10, count), round(count * UPCOMING_SHARE))
    ids = ctx.reserve_ids(Activity.__table__, count)
    plans = []
    for n, activity_id in enumerate(ids):
        tenant = publishers[bisect.bisect_left(cumulative, rng.random() * cumulative[-1])][0]
        kind = tenant.kind
        if n < upcoming:
            day = now + rng.random() * UPCOMING_DAYS * DAY
        else:  # more activities as the platform grows
            day = start + 60 * DAY + (rng.random() ** 0.75) * (now - start - 61 * DAY)
        local = _dt(day) + LOCAL
        hour = rng.choice((9, 9.5, 10, 14, 14.5, 15, 19, 19.5))
        starts = _ts(datetime(local.year, local.month, local.day, tzinfo=UTC) - LOCAL) + hour * 3600
        series = None
        fits = [s for s in SERIES if kind in s[2] and local.month in s[3]]
        if fits and rng.random() < 0.3:
            series = rng.choice(fits)
            category = series[1]
        else:
            category = rng.choices(CATEGORIES, CATEGORY_WEIGHTS[kind])[0]
        hours = rng.choice((1.5, 2, 2, 3, 4)) if category != "volunteering" else rng.choice((3, 4, 8))
        if kind == "federation":
            scope = "platform" if rng.random() < 0.75 else "subtree"
        elif kind in ("street", "community"):
            scope = "subtree" if rng.random() < (0.75 if kind == "street" else 0.5) else "tenant"
        else:
            scope = "subtree" if tenant.children_count and rng.random() < 0.3 else "tenant"
        members_only = not (scope == "platform" and rng.random() < OPEN_PLATFORM_SHARE)
        published = starts - rng.uniform(4, 30) * DAY
        published = max(published, _ts(tenant.created_at) + DAY, start + 30 * DAY)
        if published >= now:
            published = now - rng.uniform(0.1, 3) * DAY
        opens = closes = None
        if rng.random() < 0.3:
            opens = published + rng.uniform(0, 2) * DAY
            if n < upcoming and rng.random() < 0.3:  # sign-up not open yet
                opens = min(max(opens, now + rng.uniform(0.5, 5) * DAY), starts - 0.5 * DAY)
        if rng.random() < 0.5:
            closes = starts - rng.choice((0.5, 1, 1, 2)) * DAY
        if opens is not None and closes is not None and opens >= closes:
            opens = None
        if closes is not None and closes <= published:
            closes = None
        status, cancelled = "published", None
        roll = rng.random()
        if roll < 0.01 or (n < upcoming and roll < 0.05):
            status, published = "draft", None
        elif roll < 0.045:
            status = "cancelled"
            cancelled = published + rng.uniform(0.2, 0.95) * (min(starts, now) - published)
        title = _title(rng, series, tenant, category, local.year, local.month)
        plan = Plan(activity_id, tenant, scope, members_only, category, series[0] if series else None, title[:120],
                    starts, starts + hours * 3600, published, opens, closes, status, cancelled, None,
                    creators.get(tenant.id) or creators[ctx.root.id])
        if status != "draft":
            first = opens or published
            last = min(closes or starts, now, cancelled or now)
            eligible = pools.eligible(plan, closes or starts)
            elapsed = 1.0 if last >= (closes or starts) else \
                (max(0.0, last - first) / max(1.0, (closes or starts) - first)) ** 0.6
            popularity = rng.lognormvariate(0, 1.1) * (3 if series and kind == "federation" else 1)
            plan.weight = eligible ** 0.7 * popularity
            plan.eligible = min(eligible * 0.6, MOST_SIGNUPS)
            plan.elapsed = elapsed
        plans.append(plan)
    # Scale the weights so that the (capped) demands add up to the scale's sign-ups.
    live = [p for p in plans if p.weight > 0]

    def total(scale):
        return sum(min(scale * p.weight, p.eligible) * p.elapsed for p in live)

    low, high = 0.0, 1.0
    while total(high) < target and high < 1e9:
        high *= 2
    for _ in range(60):
        middle = (low + high) / 2
        low, high = (middle, high) if total(middle) < target else (low, middle)
    for p in plans:
        if p.weight <= 0:
            p.demand = 0
            continue
        final = min(high * p.weight, p.eligible)
        if p.category == "online" or rng.random() < 0.22:
            p.capacity = None
        else:
            p.capacity = _nice(int(final * rng.uniform(0.55, 1.4)))
        p.demand = int(final * p.elapsed + rng.random())
    return plans


def activity_rows(ctx, plans):
    markdown_cache = {}
    now = _ts(ctx.now)
    for p in plans:
        t = p.tenant
        description = DESCRIPTIONS[p.category]
        if description not in markdown_cache:
            markdown_cache[description] = render_markdown(description)
        if p.category == "online":
            location, url = None, f"https://live.example.cn/qingyang/{p.id}"
        elif p.category == "sports":
            location, url = f"{_short(t)}{VENUES[p.id % len(VENUES)]}", None
        else:
            location, url = f"{_short(t)}{ROOMS[p.id % len(ROOMS)]}", None
        created = (p.published or min(now, p.starts - 3 * DAY)) - (p.id % 7) * 3600 * 5
        reminded = None
        if p.status != "draft" and p.starts - DAY <= now:
            at = min(p.starts - DAY + (p.id % 60) * 60, now)
            if p.cancelled is None or at < p.cancelled:
                reminded = _dt(at)
        yield (p.id, t.id, t.root_id, p.title, description, markdown_cache[description], None, p.category, p.series,
               _dt(p.starts), _dt(p.ends), location, url, p.capacity, p.opens and _dt(p.opens),
               p.closes and _dt(p.closes), p.members_only, p.scope, "approved" if p.scope == "platform" else None,
               p.status, 0, 0, 0, p.creator, _dt(created),
               _dt(p.cancelled or p.published or created), p.published and _dt(p.published),
               p.cancelled and _dt(p.cancelled), reminded)


ACTIVITY_COLUMNS = ("id", "tenant_id", "root_id", "title", "description", "description_html", "cover_id", "category",
                    "series", "starts_at", "ends_at", "location", "online_url", "capacity", "signup_opens_at",
                    "signup_closes_at", "members_only", "scope", "reach", "status", "confirmed_count", "waitlist_count",
                    "waitlist_seq", "created_by_id", "created_at", "updated_at", "published_at", "cancelled_at",
                    "reminded_at")
SIGNUP_COLUMNS = ("id", "activity_id", "user_id", "root_id", "home_tenant_id", "status", "position", "created_at",
                  "confirmed_at", "cancelled_at", "checked_in_at", "checked_in_by_id")


def play(rng, p, people, now):
    """Sign-ups of one activity, played in time order through the rules of ``activities.services``.

    Returns ([(user, home, status, position, created, confirmed, cancelled)], confirmed, waitlisted, seq)."""
    first = p.opens or p.published
    last = min(p.closes or p.starts, now, p.cancelled or now)
    random = rng.random
    rows, events = [], []
    for n, (user_id, home, since) in enumerate(people):
        low = max(first, since)
        at = low + (last - low) * random() ** 1.8  # most sign up soon after publication
        rows.append([user_id, home, "new", None, at, None, None])
        events.append((at, 0, n))
        roll = random()
        if roll < CANCEL_SHARE + REMOVE_SHARE:
            end = min(p.starts, now, p.cancelled or now)
            if end > at:
                events.append((at + (end - at) * random(), 1 if roll < CANCEL_SHARE else 2, n))
    events.sort()
    confirmed = waitlisted = seq = 0
    queue = deque()
    capacity = p.capacity
    for at, kind, n in events:
        row = rows[n]
        if kind == 0:
            if capacity is None or confirmed < capacity:
                confirmed += 1
                row[2], row[5] = "confirmed", at
            else:
                seq += 1
                waitlisted += 1
                row[2], row[3] = "waitlisted", seq
                queue.append(n)
            continue
        was = row[2]
        row[2], row[6] = "cancelled" if kind == 1 else "removed", at
        if was == "waitlisted":
            waitlisted -= 1
            continue
        confirmed -= 1
        if p.cancelled is None or at < p.cancelled:  # promote(): the first still waiting gets the place
            while queue and (capacity is None or confirmed < capacity):
                m = queue.popleft()
                if rows[m][2] != "waitlisted":
                    continue
                rows[m][2], rows[m][5] = "confirmed", at
                confirmed += 1
                waitlisted -= 1
    return rows, confirmed, waitlisted, seq


def step_activities(ctx):
    """Activities and their sign-ups (see the module's docstring)."""
    if not ctx.scale.options.get("activities"):
        return
    rng = ctx.rng
    pools = Pools(ctx)
    plans = plan_activities(ctx, pools)
    ctx.insert(Activity.__table__, ACTIVITY_COLUMNS, activity_rows(ctx, plans), len(plans), "activities")
    planned = sum(p.demand for p in plans)
    ids = iter(ctx.reserve_ids(SignUp.__table__, planned))
    now = _ts(ctx.now)
    counters = []

    def rows():
        for p in plans:
            if not p.demand:
                continue
            people = pools.draw(rng, p, p.demand, min(p.closes or p.starts, now, p.cancelled or now))
            played, confirmed, waitlisted, seq = play(rng, p, people, now)
            counters.append({"b_id": p.id, "confirmed": confirmed, "waitlisted": waitlisted, "seq": seq})
            held = p.status == "published" and p.ends <= now
            turnout = rng.uniform(0.5, 0.8) if p.category == "online" else rng.uniform(0.72, 0.95)
            for user_id, home, status, position, at, confirmed_at, cancelled_at in played:
                checked = checked_by = None
                if held and status == "confirmed" and rng.random() < turnout:
                    checked = _dt(min(max(p.starts - 1800 + rng.random() * 3600, confirmed_at + 60), p.ends))
                    checked_by = user_id if rng.random() < 0.7 else p.creator  # their own scan, or their ticket
                yield (next(ids), p.id, user_id, p.tenant.root_id, home, status, position, _dt(at),
                       confirmed_at and _dt(confirmed_at), cancelled_at and _dt(cancelled_at), checked, checked_by)

    ctx.insert(SignUp.__table__, SIGNUP_COLUMNS, rows(), planned, "sign-ups")
    table = Activity.__table__
    for start in range(0, len(counters), 5000):
        ctx.connection.execute(
            table.update().where(table.c.id == sa.bindparam("b_id")).values(
                confirmed_count=sa.bindparam("confirmed"), waitlist_count=sa.bindparam("waitlisted"),
                waitlist_seq=sa.bindparam("seq")), counters[start:start + 5000])
    write_notifications(ctx)


def write_notifications(ctx):
    """What ``activities.services`` told people: reminders (to those confirmed when it went out), promotions
    from the waitlist, removals, cancellations. Read by the start of the activity, mostly."""
    a, s = Activity.__table__, SignUp.__table__
    now = ctx.now
    read = sa.case((sa.and_(a.c.starts_at < now, s.c.id % 10 < 8), a.c.starts_at), else_=None)
    kinds = (
        ("reminder", a.c.reminded_at, sa.and_(a.c.reminded_at.is_not(None), s.c.confirmed_at <= a.c.reminded_at,
                                              sa.or_(s.c.cancelled_at.is_(None), s.c.cancelled_at > a.c.reminded_at))),
        ("promoted", s.c.confirmed_at, sa.and_(s.c.position.is_not(None), s.c.confirmed_at.is_not(None))),
        ("removed", s.c.cancelled_at, s.c.status == "removed"),
        ("cancelled", a.c.cancelled_at, sa.and_(a.c.status == "cancelled", s.c.status.in_(("confirmed", "waitlisted")))),
    )
    table = Notification.__table__
    json_object = sa.func.json_build_object if ctx.connection.dialect.name == "postgresql" else sa.func.json_object
    link = sa.literal("/activities/") + sa.cast(a.c.id, sa.String)
    for kind, created, where in kinds:
        select = (sa.select(s.c.user_id, sa.literal(f"activity.{kind}"), json_object("title", a.c.title),
                            sa.literal(""), link, sa.literal("activity"), a.c.id, a.c.root_id, created, read)
                  .select_from(s.join(a, a.c.id == s.c.activity_id))
                  .where(a.c.root_id == ctx.root.id, where).order_by(created, s.c.id))
        ctx.connection.execute(table.insert().from_select(
            ["user_id", "kind", "params", "body", "link", "subject_type", "subject_id", "root_id", "created_at",
             "read_at"], select))
    total = ctx.connection.execute(sa.select(sa.func.count()).select_from(table).where(
        table.c.root_id == ctx.root.id, table.c.kind.like("activity.%"))).scalar()
    ctx.counts[table.name] = ctx.counts.get(table.name, 0) + total
    ctx.reserve_ids(table, 0)  # so that seeding ends by moving its sequence on and analysing it


SEED_STEPS = [(60, step_activities)]
