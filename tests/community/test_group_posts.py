"""Posts in a group's space (issue 16): the group's members write, whoever sees the group reads; the host
union's watched words and moderators apply; the member's home shows their groups' posts; bounded queries."""
import pytest

from union_saas.access import engine
from union_saas.community import services
from union_saas.community.models import ModerationItem, Post
from union_saas.core.db import utcnow
from union_saas.groups.models import Group, GroupMember
from union_saas.members.audience import load_viewer


@pytest.fixture
def make_group(db_session):
    def make(tenant, founder, *, members=(), scope="subtree", status="active", name="Walkers"):
        group = Group(tenant_id=tenant.id, root_id=tenant.root_id, name=name, name_key=name.casefold(),
                      kind="individual", scope=scope, join_policy="open", status=status, founder_id=founder.id,
                      members_count=1 + len(members), description="")
        db_session.add(group)
        db_session.flush()
        db_session.add(GroupMember(group_id=group.id, user_id=founder.id, root_id=group.root_id, status="active",
                                   role="organiser", joined_at=utcnow()))
        for user in members:
            db_session.add(GroupMember(group_id=group.id, user_id=user.id, root_id=group.root_id, status="active",
                                       role="member", joined_at=utcnow()))
        db_session.flush()
        return group

    return make


@pytest.fixture
def group(tree, make_group):
    """A group of ``st`` for its subtree: founded by ``member``, with ``child_member`` in it."""
    return make_group(tree.st, tree.member, members=[tree.child_member])


def url(group):
    return f"/api/v1/groups/{group.id}/posts"


def test_a_member_of_the_group_posts_and_its_viewers_read(api, tree, group):
    r = api(tree.child_member).post(url(group), json={"body": "Saturday: the river walk"})
    assert r.status_code == 201, r.json
    assert r.json["group"] == group.id and r.json["tenant"] == tree.st.slug and r.json["status"] == "visible"
    post_id = r.json["id"]
    # whoever sees the group reads its space (member2 sees it through its scope, without joining)
    for who in (tree.member, tree.child_member, tree.member2, tree.fed_mod):
        feed = api(who).get(url(group))
        assert feed.status_code == 200 and [p["id"] for p in feed.json["items"]] == [post_id], who.username
        assert api(who).get(f"/api/v1/posts/{post_id}").status_code == 200
    # the union's moderator (an officer without group.manage, in no group) does not see the group, but
    # reads every post of the union's subtree it moderates
    assert api(tree.mod).get(url(group)).status_code == 404
    assert api(tree.mod).get(f"/api/v1/posts/{post_id}").status_code == 200
    # the group's posts are not the union's own space
    assert post_id not in [p["id"] for p in api(tree.member2).get(f"/api/v1/tenants/{tree.st.slug}/posts").json["items"]]
    # members comment; one who only sees the group reads and may not
    assert api(tree.member).post(f"/api/v1/posts/{post_id}/comments", json={"body": "Count me in"}).status_code == 201
    assert api(tree.member2).post(f"/api/v1/posts/{post_id}/comments", json={"body": "me?"}).status_code == 403
    assert api(tree.member2).post(f"/api/v1/posts/{post_id}/likes").status_code == 204


def test_a_non_member_is_refused_and_outside_the_groups_scope_it_is_not_found(api, tree, group, db_session):
    # sees the group, not in it: 403, nothing written
    for who in (tree.member2, tree.fed_mod):
        r = api(who).post(url(group), json={"body": "hello"})
        assert r.status_code == 403, (who.username, r.json)
    # outside the group's audience: 404 for reading and writing alike
    for who in (tree.sibling_member, tree.sibling_mod, tree.fed_member, tree.outsider, tree.mod):
        assert api(who).get(url(group)).status_code == 404, who.username
        assert api(who).post(url(group), json={"body": "hello"}).status_code == 404, who.username
    assert api(tree.member).get("/api/v1/groups/999999/posts").status_code == 404
    assert db_session.query(Post).filter(Post.group_id == group.id).count() == 0


def test_a_post_of_the_group_is_hidden_from_those_who_cannot_see_the_group(api, tree, group, make_group):
    post_id = api(tree.member).post(url(group), json={"body": "ours"}).json["id"]
    for who in (tree.sibling_member, tree.sibling_mod, tree.outsider, tree.fed_member):
        assert api(who).get(f"/api/v1/posts/{post_id}").status_code == 404, who.username
    # a tenant-only group: the child's member sees it only by belonging to it
    closed = make_group(tree.st, tree.member, scope="tenant", name="Choir")
    choir_post = api(tree.member).post(url(closed), json={"body": "rehearsal"}).json["id"]
    assert api(tree.child_member2).get(url(closed)).status_code == 404
    assert api(tree.child_member2).get(f"/api/v1/posts/{choir_post}").status_code == 404
    closed_member = GroupMember(group_id=closed.id, user_id=tree.child_member2.id, root_id=closed.root_id,
                                status="active", role="member", joined_at=utcnow())
    from union_saas.extensions import db
    db.session.add(closed_member)
    db.session.flush()
    assert api(tree.child_member2).get(f"/api/v1/posts/{choir_post}").status_code == 200
    assert api(tree.child_member2).post(url(closed), json={"body": "I'll sing"}).status_code == 201


def test_a_pending_or_archived_group_takes_no_post(api, tree, make_group, make_post, db_session):
    pending = make_group(tree.st, tree.member, status="pending", name="Proposed")
    assert api(tree.member).post(url(pending), json={"body": "early"}).status_code == 403  # its founder sees it
    assert api(tree.member2).post(url(pending), json={"body": "early"}).status_code == 404
    archived = make_group(tree.st, tree.member, status="archived", name="Old")
    old = make_post(tree.st, tree.member, "from before", group_id=archived.id)
    assert api(tree.member).post(url(archived), json={"body": "still here?"}).status_code == 403
    assert [p["id"] for p in api(tree.member2).get(url(archived)).json["items"]] == [old.id]


def test_the_host_unions_words_and_moderators_apply(api, tree, group, db_session):
    api(tree.mod).open("PUT", f"/api/v1/tenants/{tree.st.slug}/watched-words", json={"block": ["scam"], "review": ["loan"]})
    r = api(tree.member).post(url(group), json={"body": "a SCAM offer"})
    assert r.status_code == 422 and "body" in r.json["errors"]
    held = api(tree.member).post(url(group), json={"body": "cheap loan"}).json
    assert held["status"] == "pending"
    # the author sees it waiting; the other members do not
    assert held["id"] in [p["id"] for p in api(tree.member).get(url(group)).json["items"]]
    assert held["id"] not in [p["id"] for p in api(tree.child_member).get(url(group)).json["items"]]
    # reported by three members: hidden, into the host union's queue, decided by its moderators
    post_id = api(tree.member).post(url(group), json={"body": "rude words"}).json["id"]
    for who in (tree.child_member, tree.member2, tree.member3):
        assert api(who).post(f"/api/v1/posts/{post_id}/reports", json={"reason": "abuse"}).status_code == 201
    assert db_session.get(Post, post_id).status == "hidden"
    queue = api(tree.mod).get(f"/api/v1/tenants/{tree.st.slug}/moderation").json["items"]
    item = next(i for i in queue if i["item"]["id"] == post_id)
    # the group's founder organises it but moderates nothing: the union's moderators decide
    assert api(tree.member).post(f"/api/v1/moderation/{item['id']}/decide",
                                 json={"action": "remove", "reason": "x"}).status_code in (403, 404)
    assert api(tree.child_mod).get(f"/api/v1/tenants/{tree.st.slug}/moderation").status_code == 404
    r = api(tree.mod).post(f"/api/v1/moderation/{item['id']}/decide", json={"action": "remove", "reason": "Abuse"})
    assert r.status_code == 200
    assert db_session.get(Post, post_id).status == "removed"
    assert post_id not in [p["id"] for p in api(tree.child_member).get(url(group)).json["items"]]
    assert db_session.query(ModerationItem).filter_by(item_id=post_id, tenant_id=tree.st.id).count() == 1


def test_the_home_section_shows_the_members_groups_posts(api, tree, group, make_group, make_post, app, db_session):
    from union_saas.community.views import home_section

    union_post = make_post(tree.st, tree.member3, "for the union")
    ours = make_post(tree.st, tree.member, "for the walkers", group_id=group.id)
    other = make_group(tree.st, tree.member3, name="Chess")
    theirs = make_post(tree.st, tree.member3, "for the chess club", group_id=other.id)
    with app.test_request_context():
        member = [p.id for p in home_section(tree.st, tree.child_member)["page"].items]
        # at their home union (co), the child's member sees their groups of the union above too
        home = [p.id for p in home_section(tree.co, tree.child_member)["page"].items]
        stranger = [p.id for p in home_section(tree.st, tree.member2)["page"].items]
    assert ours.id in member and union_post.id in member and theirs.id not in member
    assert home == [ours.id]
    assert union_post.id in stranger and ours.id not in stranger and theirs.id not in stranger


def test_group_feeds_are_one_query_and_bounded(api, login, tree, group, make_post, db_session, count_queries,
                                               queries_of, app):
    from union_saas.community.views import home_section

    def fill(n):
        for i in range(n):
            make_post(tree.st, [tree.member, tree.child_member][i % 2], f"walk {i}", group_id=group.id)
            make_post(tree.st, tree.member3, f"union {i}")

    fill(12)
    v = load_viewer(db_session, tree.child_member)
    engine.subject(tree.child_member)
    with count_queries() as counter:
        page = services.feed(db_session, v, tenant=tree.st, group_id=group.id, per_page=5)
        [(p.author.display_name, p.tenant.slug, p.group.name) for p in page.items]
    assert counter.count == 1 and len(page.items) == 5 and page.total == 12
    with app.test_request_context():
        services.viewer(db_session, tree.child_member)
        engine.subject(tree.child_member)
        with count_queries() as counter:
            ctx = home_section(tree.co, tree.child_member)
            [(p.author.display_name, p.group.name) for p in ctx["page"].items]
    assert counter.count == 1 and len(ctx["page"].items) == 5

    client, pages = api(tree.child_member), login(tree.child_member)
    calls = lambda: (lambda: client.get(url(group)), lambda: pages.get(f"/groups/{group.id}/posts"),
                     lambda: pages.get(f"/t/{tree.co.slug}"), lambda: pages.get(f"/t/{tree.st.slug}"))
    queries_of(*calls())
    few = queries_of(*calls())
    fill(30)
    many = queries_of(*calls())
    assert all(m <= f for f, m in zip(few, many)), (few, many)


def test_the_group_posts_page(login, tree, group, db_session):
    member = login(tree.child_member)
    detail = member.get(f"/groups/{group.id}").get_data(as_text=True)
    assert f"/groups/{group.id}/posts" in detail
    page = member.get(f"/groups/{group.id}/posts")
    assert page.status_code == 200 and 'name="body"' in page.get_data(as_text=True)
    r = member.post(f"/groups/{group.id}/posts", data={"body": "See you at the bridge"})
    assert r.status_code == 302
    post = db_session.query(Post).filter_by(group_id=group.id).one()
    assert r.headers["Location"].endswith(f"/posts/{post.id}")
    shown = member.get(f"/groups/{group.id}/posts").get_data(as_text=True)
    assert "See you at the bridge" in shown
    assert group.name in member.get(f"/posts/{post.id}").get_data(as_text=True)
    # bad input: the form again with what was typed
    r = member.post(f"/groups/{group.id}/posts", data={"body": "<b>x</b>"})
    assert r.status_code == 422 and "&lt;b&gt;x&lt;/b&gt;" in r.get_data(as_text=True)
    # a viewer who is not in the group reads, with no form, and may not post
    reader = login(tree.member2)
    text = reader.get(f"/groups/{group.id}/posts").get_data(as_text=True)
    assert "See you at the bridge" in text and 'name="body"' not in text
    assert reader.post(f"/groups/{group.id}/posts", data={"body": "hi"}).status_code == 403
    assert login(tree.sibling_member).get(f"/groups/{group.id}/posts").status_code == 404
    assert db_session.query(Post).filter_by(group_id=group.id).count() == 1
