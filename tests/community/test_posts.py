"""Posting in a union's space, reading its feed (keyset pages), comments one level deep, likes, pins."""
import io

import pytest

from tests.community.conftest import JPEG, PNG
from union_saas.community import services
from union_saas.community.models import MAX_IMAGES, Comment, Post


def posts_url(tenant):
    return f"/api/v1/tenants/{tenant.slug}/posts"


def test_members_of_the_union_and_below_and_its_officers_post(api, tree):
    assert api(tree.member).post(posts_url(tree.st), json={"body": "a"}).status_code == 201
    assert api(tree.child_member).post(posts_url(tree.st), json={"body": "b"}).status_code == 201
    assert api(tree.mod).post(posts_url(tree.st), json={"body": "c"}).status_code == 201
    assert api(tree.fed_mod).post(posts_url(tree.st), json={"body": "d"}).status_code == 201
    # a member of the federation above, a sibling's member, a stranger, a child's officer: read only
    for who in (tree.fed_member, tree.sibling_member, tree.outsider, tree.child_mod):
        r = api(who).post(posts_url(tree.st), json={"body": "e"})
        assert r.status_code == 403, (who.username, r.json)


def test_scope_decides_who_reads(api, tree, make_post):
    only_here = make_post(tree.st, tree.member, "only here", scope="tenant")
    below_too = make_post(tree.st, tree.member, "below too", scope="subtree")
    assert api(tree.member2).get(f"/api/v1/posts/{only_here.id}").status_code == 200
    assert api(tree.child_member).get(f"/api/v1/posts/{only_here.id}").status_code == 404
    assert api(tree.child_member).get(f"/api/v1/posts/{below_too.id}").status_code == 200
    for who in (tree.sibling_member, tree.fed_member, tree.outsider, tree.child_mod, tree.sibling_mod):
        assert api(who).get(f"/api/v1/posts/{below_too.id}").status_code == 404
    feed = api(tree.child_member).get(posts_url(tree.st)).json
    assert [p["body"] for p in feed["items"]] == ["below too"] and feed["total"] == 1


def test_markdown_is_sanitised_and_html_refused(api, tree):
    r = api(tree.member).post(posts_url(tree.st), json={"body": "**hi** [x](vbscript:msgbox) [y](https://e.org)"})
    assert r.status_code == 201
    html = r.json["body_html"]
    assert "<strong>hi</strong>" in html and "vbscript" not in html and 'href="https://e.org"' in html
    for body in ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[a](javascript:alert(1))"):
        r = api(tree.member).post(posts_url(tree.st), json={"body": body})
        assert r.status_code == 422 and "body" in r.json["errors"], body


def test_feed_keyset_pages_pinned_first_and_own_pending(api, tree, make_post, db_session):
    posts = [make_post(tree.st, tree.member, f"p{i}") for i in range(7)]
    posts[2].pinned = True
    mine = make_post(tree.st, tree.member2, "mine, waiting", status="pending")
    hidden = make_post(tree.st, tree.member3, "hidden", status="hidden")
    db_session.flush()
    client = api(tree.member2)
    first = client.get(posts_url(tree.st) + "?per_page=3").json
    assert [p["body"] for p in first["items"]] == ["p2", "mine, waiting", "p6"]
    assert first["total"] == 8 and first["next"]
    second = client.get(posts_url(tree.st) + f"?per_page=3&before={first['next']}").json
    assert [p["body"] for p in second["items"]] == ["p5", "p4", "p3"]
    third = client.get(posts_url(tree.st) + f"?per_page=3&before={second['next']}").json
    assert [p["body"] for p in third["items"]] == ["p1", "p0"] and third["next"] is None
    # others do not see the pending one; nobody but its author sees the hidden one in the feed
    other = api(tree.member).get(posts_url(tree.st) + "?per_page=50").json
    assert mine.id not in [p["id"] for p in other["items"]] and hidden.id not in [p["id"] for p in other["items"]]
    assert api(tree.member).get(posts_url(tree.st) + "?before=9.x").status_code == 422


def test_images_png_and_jpeg_up_to_nine(api, login, tree, db_session):
    client = api(tree.member)
    post = client.post(posts_url(tree.st), json={"body": "pictures"}).json
    for i in range(MAX_IMAGES):
        data = {"file": (io.BytesIO(PNG if i % 2 else JPEG), "x.png" if i % 2 else "x.jpg")}
        r = client.post(f"/api/v1/posts/{post['id']}/images", data=data)
        assert r.status_code == 201, r.json
    assert len(r.json["images"]) == MAX_IMAGES
    r = client.post(f"/api/v1/posts/{post['id']}/images", data={"file": (io.BytesIO(PNG), "x.png")})
    assert r.status_code == 422 and "images" in r.json["errors"]
    img = login(tree.member2).get(f"/posts/{post['id']}/images/0")
    assert img.status_code == 200 and img.mimetype == "image/jpeg"
    assert len(db_session.get(Post, post["id"]).image_ids) == MAX_IMAGES
    # someone else may not add to it
    other = api(tree.member2).post(f"/api/v1/posts/{post['id']}/images", data={"file": (io.BytesIO(PNG), "x.png")})
    assert other.status_code == 403


def test_not_an_image_is_refused(api, tree):
    post = api(tree.member).post(posts_url(tree.st), json={"body": "pictures"}).json
    for name, data in (("x.pdf", b"%PDF-1.4 hello"), ("x.png", b"GIF89a....."), ("x", b"plain text")):
        r = api(tree.member).post(f"/api/v1/posts/{post['id']}/images", data={"file": (io.BytesIO(data), name)})
        assert r.status_code == 422 and "file" in r.json["errors"], name


def test_comments_one_level_deep(api, tree, make_post, db_session):
    post = make_post(tree.st, tree.member)
    client = api(tree.child_member)
    top = client.post(f"/api/v1/posts/{post.id}/comments", json={"body": "first"}).json
    reply = client.post(f"/api/v1/posts/{post.id}/comments", json={"body": "re", "parent": top["id"]})
    assert reply.status_code == 201 and reply.json["parent"] == top["id"]
    deeper = client.post(f"/api/v1/posts/{post.id}/comments", json={"body": "re re", "parent": reply.json["id"]})
    assert deeper.status_code == 422 and "parent" in deeper.json["errors"]
    other = make_post(tree.st, tree.member)
    wrong = client.post(f"/api/v1/posts/{other.id}/comments", json={"body": "x", "parent": top["id"]})
    assert wrong.status_code == 422
    listed = client.get(f"/api/v1/posts/{post.id}/comments").json
    assert [c["body"] for c in listed["items"]] == ["first", "re"]
    db_session.refresh(post)
    assert post.comments_count == 2


def test_officers_pin_and_close_comments(api, tree, make_post):
    post = make_post(tree.st, tree.member)
    assert api(tree.member).patch(f"/api/v1/posts/{post.id}", json={"pinned": True}).status_code == 404
    r = api(tree.mod).patch(f"/api/v1/posts/{post.id}", json={"pinned": True, "comments_closed": True})
    assert r.status_code == 200 and r.json["pinned"] and r.json["comments_closed"]
    r = api(tree.member2).post(f"/api/v1/posts/{post.id}/comments", json={"body": "late"})
    assert r.status_code == 409


def test_likes_are_idempotent_and_counted_once(api, tree, make_post, db_session):
    post = make_post(tree.st, tree.member)
    for _ in range(3):
        assert api(tree.member2).post(f"/api/v1/posts/{post.id}/likes").status_code == 204
    assert api(tree.member3).post(f"/api/v1/posts/{post.id}/likes").status_code == 204
    db_session.refresh(post)
    assert post.likes_count == 2
    assert api(tree.member2).delete(f"/api/v1/posts/{post.id}/likes/me").status_code == 204
    assert api(tree.member2).delete(f"/api/v1/posts/{post.id}/likes/me").status_code == 204
    db_session.refresh(post)
    assert post.likes_count == 1
    feed = api(tree.member3).get(posts_url(tree.st)).json["items"]
    assert feed[0]["liked_by_me"] and feed[0]["likes_count"] == 1


def test_my_posts(api, tree, make_post):
    make_post(tree.st, tree.member, "one")
    make_post(tree.st, tree.member, "gone", status="removed")
    make_post(tree.st, tree.member, "waiting", status="pending")
    make_post(tree.st, tree.member2, "not mine")
    got = api(tree.member).get("/api/v1/me/posts").json
    assert [p["body"] for p in got["items"]] == ["waiting", "one"] and got["total"] == 2


@pytest.mark.parametrize("status", ["pending", "hidden", "removed"])
def test_a_post_not_visible_takes_no_comment_like_or_report(api, tree, make_post, status):
    post = make_post(tree.st, tree.member, status=status)
    client = api(tree.member)  # its author sees it
    assert client.get(f"/api/v1/posts/{post.id}").status_code == 200
    assert client.post(f"/api/v1/posts/{post.id}/comments", json={"body": "x"}).status_code == 409
    assert client.post(f"/api/v1/posts/{post.id}/likes").status_code == 409
    assert client.post(f"/api/v1/posts/{post.id}/reports", json={"reason": "spam"}).status_code == 409
    assert api(tree.member2).get(f"/api/v1/posts/{post.id}").status_code == 404
    assert api(tree.mod).get(f"/api/v1/posts/{post.id}").status_code == 200


def test_comment_reports_hide_the_comment_and_move_the_count(api, tree, make_post, make_comment, db_session):
    post = make_post(tree.st, tree.member)
    comment = make_comment(post, tree.member)
    for who in (tree.member2, tree.member3, tree.member4):
        assert api(who).post(f"/api/v1/comments/{comment.id}/reports", json={"reason": "abuse"}).status_code == 201
    db_session.refresh(comment)
    db_session.refresh(post)
    assert comment.status == "hidden" and post.comments_count == 0
    assert [c["id"] for c in api(tree.member2).get(f"/api/v1/posts/{post.id}/comments").json["items"]] == []
    assert db_session.query(Comment).count() == 1


def test_a_group_space_plugs_in(db_session, tree):
    """The groups domain registers how a group's space is found; posts there stay out of the union's feed
    (the whole of it: tests/community/test_group_posts.py)."""
    from union_saas.core.db import utcnow
    from union_saas.core.errors import Forbidden
    from union_saas.groups import services as groups
    from union_saas.groups.models import Group, GroupMember
    from union_saas.members.audience import load_viewer

    assert services.GROUP_SPACES["resolve"] is groups.space
    group = Group(tenant_id=tree.st.id, root_id=tree.st.root_id, name="Insiders", name_key="insiders",
                  kind="individual", scope="tenant", join_policy="invite", status="active", founder_id=tree.member2.id,
                  members_count=1, description="")
    db_session.add(group)
    db_session.flush()
    db_session.add(GroupMember(group_id=group.id, user_id=tree.member2.id, root_id=group.root_id, status="active",
                               role="organiser", joined_at=utcnow()))
    db_session.flush()
    space = services.group_space(db_session, group.id)
    assert space.tenant.id == tree.st.id and space.group_id == group.id and space.group is group
    assert services.group_space(db_session, group.id + 1000) is None
    post = services.create_post(db_session, tree.member2, tree.st, {"body": "group news"}, group_id=group.id)
    assert post.group_id == group.id and post.tenant_id == tree.st.id
    with pytest.raises(Forbidden):
        services.create_post(db_session, tree.member3, tree.st, {"body": "not in"}, group_id=group.id)
    with pytest.raises(Forbidden):  # a group's space lives at its own union only
        services.create_post(db_session, tree.member2, tree.co, {"body": "elsewhere"}, group_id=group.id)
    assert services.post_visible(db_session, tree.member2, post)
    assert not services.post_visible(db_session, tree.sibling_member, post)
    v = load_viewer(db_session, tree.member2)
    assert [p.id for p in services.feed(db_session, v, tenant=tree.st, group_id=group.id).items] == [post.id]
    assert post.id not in [p.id for p in services.feed(db_session, v, tenant=tree.st).items]
