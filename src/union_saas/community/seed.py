"""Posts, comments, likes, reports, the moderation queue and a watched-word list, for ``flask demo seed``.

Rows are what ``community.services`` and its periodic job leave:

- a post lives in its author's home union (the author a member there), mostly shared with the subtree;
  likes, comments and reports come from members of that union (they see it), one per person and item;
  ``likes_count``, ``comments_count`` (visible comments) and ``reports_count`` equal their rows;
- no text holds a block word; a post holding a review word is ``pending`` with an open ``word`` item; a post
  reported by 3 people (the default threshold) is ``hidden`` with an open ``reports`` item until decided;
  a kept one is visible again (``reports_kept`` = its reports), a removed one ``removed``; each decision
  told to the author (``community.kept``/``community.removed``) and audited; some removals appealed once,
  to the parent union (an ``appeal`` item there);
- an open item older than 24 hours has moved to the parent union's queue (``escalated_at``).
"""
import uuid
from collections import defaultdict
from datetime import timedelta

from union_saas.community import words
from union_saas.community.models import (
    Appeal,
    Comment,
    CommunitySettings,
    ModerationItem,
    Post,
    PostLike,
    Report,
    WatchedWord,
)
from union_saas.core.audit import AuditEntry
from union_saas.core.inbox import Notification
from union_saas.core.markup import render_markdown

HOUR, DAY = timedelta(hours=1), timedelta(days=1)
SIZES = {"small": {"posts": 1500, "comments": 3.0, "likes": 4.0}, "large": {"posts": 100_000, "comments": 3.0,
                                                                              "likes": 4.0}}
BLOCK = ("赌博", "博彩", "六合彩", "代开发票", "刷单返利", "裸聊", "私彩", "网络赌场", "洗钱", "假证")
REVIEW = ("贷款", "加微信", "投资理财", "高薪兼职", "内部消息", "集资", "返现", "代购", "转账", "股票推荐")
STREET_WORDS = ("传销", "非法集会")
TOPICS = (
    "**职工食堂**下周起早餐提前到 *7:00* 开放，欢迎大家。", "周末羽毛球活动有人一起吗？场地已经订好了。",
    "今天参加了工会组织的技能培训，收获很大。", "感谢工会送来的清凉慰问品，高温天里很暖心！",
    "职工书屋新到了一批书：\n\n- 《平凡的世界》\n- 《活着》\n- 《人世间》", "请问今年的疗休养什么时候报名？",
    "我们车间的安全生产月活动办得很好，分享几点体会。", "推荐一个适合带孩子去的周末好去处：社区文化站。",
    "工会帮我们协调解决了加班费的问题，点赞！", "有没有一起参加下个月职工运动会拔河比赛的？",
    "女职工关爱室装修好了，环境很不错。", "新入职的同事们，有问题可以在这里提问，大家互相帮助。",
)
COMMENTS = ("赞！", "同意", "谢谢分享", "我也想参加", "什么时候开始？", "支持工会的工作", "已报名", "说得好",
            "请问在哪里报名？", "太好了")
REASONS = ("spam", "abuse", "off_topic", "other")


def _settings_rows(ctx, tenant_ids):
    table = CommunitySettings.__table__
    rows = [(tid, uuid.uuid4().hex, None) for tid in tenant_ids]
    ctx.insert(table, ("tenant_id", "words_version", "report_threshold"), rows, len(rows), "community settings")


def _words(ctx, rng):
    """The federation's list (it binds every union below), and two streets' own words."""
    table = WatchedWord.__table__
    root = ctx.root
    streets = [t for t in ctx.tenants if t.parent_id == root.id][:2]
    entries = [(root.id, w, "block") for w in BLOCK] + [(root.id, w, "review") for w in REVIEW]
    for street in streets:
        entries += [(street.id, w, "block") for w in STREET_WORDS]
    ids = ctx.reserve_ids(table, len(entries))
    at = ctx.start + DAY
    rows = [(i, tid, root.id, w, words.normalise(w), level, at) for i, (tid, w, level) in zip(ids, entries)]
    ctx.insert(table, ("id", "tenant_id", "root_id", "word", "normalised", "level", "created_at"), rows, len(rows),
               "watched words")
    _settings_rows(ctx, [root.id] + [s.id for s in streets])


def step_community(ctx):
    rng = ctx.rng
    size = SIZES.get(ctx.scale.name, SIZES["small"])
    count = ctx.scale.options.get("posts", size["posts"])
    _words(ctx, rng)
    if not count or not ctx.home:
        return
    members = defaultdict(list)
    for user_id, tenant_id in ctx.home.items():
        members[tenant_id].append(user_id)
    authors = list(ctx.home)
    moderators = defaultdict(list)
    for role in ("union_admin", "union_officer"):
        for user_id, tenant_id in ctx.admins.get(role, ()):
            moderators[tenant_id].append(user_id)
    fed_mods = [u for u, _t in ctx.admins.get("federation_admin", ())]
    now = ctx.now

    def moderator_of(tenant_id):
        return (moderators.get(tenant_id) or fed_mods or authors)[0]

    post_t, like_t, comment_t = Post.__table__, PostLike.__table__, Comment.__table__
    report_t, item_t, appeal_t = Report.__table__, ModerationItem.__table__, Appeal.__table__
    note_t, audit_t = Notification.__table__, AuditEntry.__table__
    times = sorted(ctx.date_between(ctx.start, now) for _ in range(count))
    post_ids = ctx.reserve_ids(post_t, count)
    posts, likes, comments, reports, items, appeals, notes, audits = [], [], [], [], [], [], [], []
    like_ids = iter(range(ctx.next_id(like_t), 1 << 62))
    comment_ids = iter(range(ctx.next_id(comment_t), 1 << 62))
    report_ids = iter(range(ctx.next_id(report_t), 1 << 62))
    item_ids = iter(range(ctx.next_id(item_t), 1 << 62))
    appeal_ids = iter(range(ctx.next_id(appeal_t), 1 << 62))
    for post_id, created in zip(post_ids, times):
        author = rng.choice(authors)
        tenant = ctx.tenant(ctx.home[author])
        created = max(created, ctx.joined_at.get(author, ctx.start))
        created = min(created, now)
        crowd = [u for u in members[tenant.id] if u != author]
        roll = rng.random()
        status = "visible"
        body = rng.choice(TOPICS)
        fate = None
        if roll < 0.02:
            status, body = "pending", body + f"（{rng.choice(REVIEW)}）"
        elif roll < 0.06 and len(crowd) >= 3:
            fate = rng.choice(("hidden", "kept", "removed", "removed"))
        scope = "tenant" if rng.random() < 0.2 else "subtree"
        age = max((now - created).total_seconds(), 60)

        def later(seconds_max=None, created=created, age=age):
            return created + timedelta(seconds=rng.random() * min(age, seconds_max or age))

        n_likes = min(len(crowd), int(rng.expovariate(1 / size["likes"]))) if status == "visible" else 0
        for user_id in rng.sample(crowd, n_likes):
            likes.append((next(like_ids), post_id, user_id, later()))
        n_comments = min(len(crowd), int(rng.expovariate(1 / size["comments"]))) if status == "visible" else 0
        tops = []
        for user_id in rng.sample(crowd, n_comments):
            cid = next(comment_ids)
            parent = rng.choice(tops) if tops and rng.random() < 0.25 else None
            text = rng.choice(COMMENTS)
            comments.append((cid, post_id, parent, tenant.id, tenant.root_id, user_id, text, render_markdown(text),
                             "visible", 0, 0, later()))
            if parent is None:
                tops.append(cid)
        reports_count = reports_kept = 0
        if fate:
            reporters = rng.sample(crowd, 3)
            first = later(3 * DAY.total_seconds())
            for n, user_id in enumerate(reporters):
                at = min(first + n * HOUR, now)
                reports.append((next(report_ids), "post", post_id, user_id, tenant.root_id, rng.choice(REASONS), "",
                                at))
            reports_count = 3
            item_id = next(item_ids)
            opened = first
            queue, escalated = tenant.id, None
            if fate == "hidden":
                status, item_status, decided, by, reason = "hidden", "open", None, None, ""
                if now - opened > DAY and tenant.parent_id:
                    queue, escalated = tenant.parent_id, opened + DAY + timedelta(minutes=rng.randrange(15))
            else:
                decided = min(opened + timedelta(hours=rng.uniform(2, 20)), now)
                by = moderator_of(tenant.id)
                item_status = "kept" if fate == "kept" else "removed"
                status = "visible" if fate == "kept" else "removed"
                reason = "" if fate == "kept" else "违反社区规范"
                if fate == "kept":
                    reports_kept = 3
            excerpt = " ".join(body.split())[:119]
            items.append((item_id, queue, tenant.root_id, tenant.id, "post", post_id, author, excerpt, "reports",
                          item_status, None, opened, escalated, decided, by, reason))
            if decided is not None:
                kind = "community.kept" if fate == "kept" else "community.removed"
                notes.append((author, tenant.root_id, kind, ctx.json({"item": "帖子", "excerpt": excerpt}), reason,
                              f"/moderation/{item_id}", "community_moderation", item_id, decided,
                              decided + DAY if rng.random() < 0.7 and decided + DAY < now else None))
                audits.append((decided, tenant.root_id, tenant.id, tenant.path, by, "community.decide", str(item_id),
                               ctx.json({"action": "keep" if fate == "kept" else "remove",
                                         "item": f"post:{post_id}", "reason": reason, "appeal": False})))
                if fate == "removed" and tenant.parent_id and rng.random() < 0.3:
                    parent = ctx.tenant(tenant.parent_id)
                    review_id = next(item_ids)
                    asked = min(decided + timedelta(hours=rng.uniform(1, 30)), now)
                    r_queue, r_escalated = parent.id, None
                    if now - asked > DAY and parent.parent_id:
                        r_queue, r_escalated = parent.parent_id, asked + DAY + timedelta(minutes=rng.randrange(15))
                    items.append((review_id, r_queue, tenant.root_id, tenant.id, "post", post_id, author, excerpt,
                                  "appeal", "open", item_id, asked, r_escalated, None, None, ""))
                    appeals.append((next(appeal_ids), item_id, review_id, author, "我认为这条帖子没有违规，请复核。",
                                    asked))
                    audits.append((asked, tenant.root_id, parent.id, parent.path, author, "community.appeal",
                                   str(review_id), ctx.json({"appeal_of": item_id})))
        elif status == "pending":
            item_id = next(item_ids)
            queue, escalated = tenant.id, None
            if now - created > DAY and tenant.parent_id:
                queue, escalated = tenant.parent_id, created + DAY + timedelta(minutes=rng.randrange(15))
            items.append((item_id, queue, tenant.root_id, tenant.id, "post", post_id, author,
                          " ".join(body.split())[:119], "word", "open", None, created, escalated, None, None, ""))
        pinned = status == "visible" and rng.random() < 0.01
        posts.append((post_id, tenant.id, tenant.root_id, None, author, body, render_markdown(body), None,
                       ctx.json([]), n_likes, n_comments, reports_count, reports_kept, pinned, False, scope, status,
                       created, created))
    ctx.insert(post_t, ("id", "tenant_id", "root_id", "group_id", "author_id", "body", "body_html", "link",
                        "image_ids", "likes_count", "comments_count", "reports_count", "reports_kept", "pinned",
                        "comments_closed", "scope", "status", "created_at", "updated_at"), posts, len(posts), "posts")
    _reserve(ctx, like_t, likes)
    ctx.insert(like_t, ("id", "post_id", "user_id", "created_at"), likes, len(likes), "likes")
    _reserve(ctx, comment_t, comments)
    ctx.insert(comment_t, ("id", "post_id", "parent_id", "tenant_id", "root_id", "author_id", "body", "body_html",
                           "status", "reports_count", "reports_kept", "created_at"),
               comments, len(comments), "comments")
    _reserve(ctx, report_t, reports)
    ctx.insert(report_t, ("id", "item_type", "item_id", "user_id", "root_id", "reason", "detail", "created_at"),
               reports, len(reports), "reports")
    _reserve(ctx, item_t, items)
    ctx.insert(item_t, ("id", "tenant_id", "root_id", "content_tenant_id", "item_type", "item_id", "author_id",
                        "excerpt", "reason", "status", "appeal_of_id", "created_at", "escalated_at", "decided_at",
                        "decided_by_id", "decision_reason"), items, len(items), "moderation queue")
    _reserve(ctx, appeal_t, appeals)
    ctx.insert(appeal_t, ("id", "moderation_id", "review_id", "author_id", "statement", "created_at"), appeals,
               len(appeals), "appeals")
    ctx.insert(note_t, ("user_id", "root_id", "kind", "params", "body", "link", "subject_type", "subject_id",
                        "created_at", "read_at"), notes, len(notes), "community notifications")
    ctx.reserve_ids(note_t, 0)
    ctx.insert(audit_t, ("at", "root_id", "tenant_id", "tenant_path", "actor_id", "action", "target", "detail"),
               audits, len(audits), "community audit")
    ctx.reserve_ids(audit_t, 0)


def _reserve(ctx, table, rows):
    """The ids handed out above: move the table's counter past them (rows carry their id first)."""
    if rows:
        ctx.reserve_ids(table, max(r[0] for r in rows) - ctx.next_id(table) + 1)
    else:
        ctx.reserve_ids(table, 0)


SEED_STEPS = [(80, step_community)]
