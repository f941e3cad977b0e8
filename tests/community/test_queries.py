"""Bounded queries: a feed page is one query whatever its length; the other lists a few, however many rows."""
import pytest
import sqlalchemy as sa

from union_saas.access import engine
from union_saas.community import services
from union_saas.community.models import ModerationItem
from union_saas.members.audience import load_viewer


@pytest.fixture
def crowd(tree, make_post, make_comment, db_session):
    def fill(n):
        for i in range(n):
            post = make_post(tree.st, [tree.member, tree.member2, tree.child_member][i % 3], f"post {i}")
            make_comment(post, tree.member3, "c")
            db_session.add(ModerationItem(tenant_id=tree.st.id, root_id=tree.fed.id, content_tenant_id=tree.st.id,
                                          item_type="post", item_id=post.id, author_id=post.author_id, excerpt="x",
                                          reason="reports", status="open", decision_reason=""))
        db_session.flush()

    return fill


def test_a_feed_page_is_one_query(tree, crowd, db_session, count_queries):
    crowd(30)
    v = load_viewer(db_session, tree.member)
    engine.subject(tree.member)  # the request's grants, loaded once by its guards
    for per_page in (5, 25):
        with count_queries() as counter:
            page = services.feed(db_session, v, tenant=tree.st, per_page=per_page)
            [(p.author.display_name, p.tenant.slug) for p in page.items]
        assert counter.count == 1 and len(page.items) == per_page and page.total == 30
    with count_queries() as counter:
        services.feed(db_session, v, tenant=tree.st, per_page=5, before=services.parse_cursor(page.next))
    assert counter.count == 1


def test_lists_do_a_bounded_number_of_queries(api, login, tree, crowd, queries_of):
    crowd(3)
    member, mod = api(tree.member), api(tree.mod)
    pages, mod_pages = login(tree.member), login(tree.mod)
    post_id = mod.get(f"/api/v1/tenants/{tree.st.slug}/posts").json["items"][0]["id"]
    calls = lambda: (
        lambda: member.get(f"/api/v1/tenants/{tree.st.slug}/posts"),
        lambda: member.get("/api/v1/me/posts"),
        lambda: member.get(f"/api/v1/posts/{post_id}/comments"),
        lambda: mod.get(f"/api/v1/tenants/{tree.st.slug}/moderation"),
        lambda: pages.get(f"/t/{tree.st.slug}/posts"),
        lambda: pages.get("/me/posts"),
        lambda: pages.get(f"/posts/{post_id}"),
        lambda: mod_pages.get(f"/manage/{tree.st.slug}/moderation"),
        lambda: pages.get(f"/t/{tree.st.slug}"),
    )
    queries_of(*calls())  # warm: the sign-in's own first writes
    few = queries_of(*calls())
    crowd(40)
    many = queries_of(*calls())
    # the same or fewer (a token's last-use mark is written at most once a minute), never more with more rows
    assert all(m <= f for f, m in zip(few, many)), (few, many)
    # the home page of the union counts every domain's sections (one or two each: groups, giveaways, polls, posts...)
    assert max(many) <= 20, many


def test_the_home_section_is_one_query(tree, crowd, db_session, count_queries, app):
    from union_saas.community.views import home_section

    crowd(10)
    with app.test_request_context():
        services.viewer(db_session, tree.member)  # the viewer and grants are the request's, loaded once
        engine.subject(tree.member)
        with count_queries() as counter:
            ctx = home_section(tree.st, tree.member)
    assert counter.count == 1 and len(ctx["page"].items) == 5


def test_the_moderation_badge_is_one_query(tree, crowd, db_session, count_queries):
    crowd(4)
    with count_queries() as counter:
        assert services.queue_count(db_session, tree.st) == 4
    assert counter.count == 1
    assert db_session.scalar(sa.select(sa.func.count()).select_from(ModerationItem)) == 4
