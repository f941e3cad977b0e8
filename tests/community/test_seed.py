"""The generated community (``flask demo seed``, small scale): the rows are what the services would leave."""
from collections import Counter
from datetime import timedelta

import sqlalchemy as sa

from tests.conftest import module_seed
from union_saas.community import services
from union_saas.community.models import Appeal, Comment, ModerationItem, Post, PostLike, Report, WatchedWord
from union_saas.core.inbox import Notification
from union_saas.demo_seed import SCALES
from union_saas.members.models import Membership
from union_saas.tenancy.models import Tenant

SMALL = SCALES["small"]


# one federation seeded for the module (seeding took longer than any of its tests); each test in a savepoint
seeded, built, db_session = module_seed("cmseed", ("community",))


def test_counters_uniqueness_and_who_did_what(db_session, built):
    s = db_session
    root = built.root.id
    posts = {p.id: p for p in s.scalars(sa.select(Post).where(Post.root_id == root))}
    assert len(posts) == 1500
    home = dict(s.execute(sa.select(Membership.user_id, Membership.tenant_id).where(
        Membership.root_id == root, Membership.status == "active")).all())
    likes = s.execute(sa.select(PostLike.post_id, PostLike.user_id).where(PostLike.post_id.in_(posts))).all()
    assert len(likes) == len(set(likes)) > 1000
    comments = s.scalars(sa.select(Comment).where(Comment.root_id == root)).all()
    reports = s.scalars(sa.select(Report).where(Report.root_id == root)).all()
    by_post = Counter(p for p, _u in likes)
    visible_comments = Counter(c.post_id for c in comments if c.status == "visible")
    reported = Counter(r.item_id for r in reports)
    for post in posts.values():
        assert home[post.author_id] == post.tenant_id
        assert post.likes_count == by_post[post.id]
        assert post.comments_count == visible_comments[post.id]
        assert post.reports_count == reported[post.id]
    assert all(home.get(u) == posts[p].tenant_id for p, u in likes)
    assert all(home.get(c.author_id) == posts[c.post_id].tenant_id for c in comments)
    parents = {c.id: c for c in comments}
    assert all(parents[c.parent_id].parent_id is None and parents[c.parent_id].post_id == c.post_id
               for c in comments if c.parent_id)
    assert len({(r.item_id, r.user_id) for r in reports}) == len(reports)


def test_words_statuses_and_the_queue_follow_the_rules(db_session, built):
    s = db_session
    root = built.root.id
    assert s.scalar(sa.select(sa.func.count()).select_from(WatchedWord).where(WatchedWord.tenant_id == root)) >= 20
    posts = {p.id: p for p in s.scalars(sa.select(Post).where(Post.root_id == root))}
    items = s.scalars(sa.select(ModerationItem).where(ModerationItem.root_id == root)).all()
    tenants = {t.id: t for t in s.scalars(sa.select(Tenant).where(Tenant.root_id == root))}
    statuses = Counter(p.status for p in posts.values())
    assert all(statuses[k] for k in ("visible", "pending", "hidden", "removed")), statuses
    # what the services' screening says of every text
    for post in posts.values():
        verdict = services.screen(s, tenants[post.tenant_id], post.body)
        assert verdict == ("pending" if post.status == "pending" else "visible"), post.body
    open_items = Counter((i.item_type, i.item_id) for i in items if i.status == "open")
    assert max(open_items.values()) == 1
    for item in items:
        post = posts[item.item_id]
        if item.reason == "word":
            assert post.status == "pending" and item.status == "open"
        elif item.reason == "reports":
            assert post.reports_count - post.reports_kept >= 3 or item.status == "kept"
            assert post.status == {"open": "hidden", "kept": "visible", "removed": "removed"}[item.status]
        if item.status == "open":
            home = tenants[item.content_tenant_id]
            if built.now - item.created_at > timedelta(hours=24) and home.parent_id and item.reason != "appeal":
                assert item.tenant_id == home.parent_id and item.escalated_at is not None
            elif item.reason != "appeal":
                assert item.tenant_id == home.id and item.escalated_at is None
    decided = [i for i in items if i.status != "open"]
    told = s.scalars(sa.select(Notification).where(Notification.kind.in_(("community.kept", "community.removed")),
                                                  Notification.root_id == root)).all()
    assert sorted(n.subject_id for n in told) == sorted(i.id for i in decided)
    for appeal in s.scalars(sa.select(Appeal)).all():
        review = s.get(ModerationItem, appeal.review_id)
        removal = s.get(ModerationItem, appeal.moderation_id)
        assert removal.status == "removed" and review.reason == "appeal" and review.appeal_of_id == removal.id


def test_the_api_reads_the_generated_feed(db_session, built, api):
    from union_saas.accounts.models import User

    post = db_session.scalar(sa.select(Post).where(Post.root_id == built.root.id, Post.status == "visible",
                                                   Post.likes_count > 0).order_by(Post.id.desc()))
    author = db_session.get(User, post.author_id)
    tenant = db_session.get(Tenant, post.tenant_id)
    feed = api(author).get(f"/api/v1/tenants/{tenant.slug}/posts?per_page=50").json
    assert post.id in [p["id"] for p in feed["items"]]
