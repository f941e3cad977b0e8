"""Limits: new accounts post a little on their first day, floods are slowed (429), moderators mute."""
import pytest

from union_saas.community.models import Comment, Post


@pytest.fixture
def newcomer(make_user, make_member, tree):
    user = make_user("newcomer")  # created now: a new account
    make_member(user, tree.st)
    return user


def test_new_accounts_post_at_most_five_times_on_their_first_day(api, newcomer, tree, db_session):
    client = api(newcomer)
    for i in range(5):
        assert client.post(f"/api/v1/tenants/{tree.st.slug}/posts", json={"body": f"p{i}"}).status_code == 201
    r = client.post(f"/api/v1/tenants/{tree.st.slug}/posts", json={"body": "sixth"})
    assert r.status_code == 429
    assert db_session.query(Post).filter_by(author_id=newcomer.id).count() == 5


def test_new_accounts_comment_at_most_twenty_times(app, api, newcomer, tree, make_post, db_session):
    app.config["COMMUNITY_FLOOD_LIMITS"] = "1000 per minute"
    try:
        post = make_post(tree.st, tree.member)
        client = api(newcomer)
        for i in range(20):
            assert client.post(f"/api/v1/posts/{post.id}/comments", json={"body": f"c{i}"}).status_code == 201
        assert client.post(f"/api/v1/posts/{post.id}/comments", json={"body": "more"}).status_code == 429
        assert db_session.query(Comment).filter_by(author_id=newcomer.id).count() == 20
    finally:
        app.config.pop("COMMUNITY_FLOOD_LIMITS")


def test_flooding_is_slowed(app, api, login, tree, make_post):
    app.config["COMMUNITY_FLOOD_LIMITS"] = "3 per minute"
    try:
        post = make_post(tree.st, tree.member)
        client = api(tree.member2)
        codes = [client.post(f"/api/v1/posts/{post.id}/comments", json={"body": f"c{i}"}).status_code
                 for i in range(3)]
        assert codes == [201, 201, 201]
        r = client.post(f"/api/v1/tenants/{tree.st.slug}/posts", json={"body": "again"})
        assert r.status_code == 429 and r.headers.get("Retry-After")
        # pages and API count together
        assert login(tree.member2).post(f"/t/{tree.st.slug}/posts", data={"body": "page"}).status_code == 429
        # someone else is not slowed
        assert api(tree.member3).post(f"/api/v1/posts/{post.id}/comments", json={"body": "x"}).status_code == 201
    finally:
        app.config.pop("COMMUNITY_FLOOD_LIMITS")


def test_a_moderator_mutes_someone_in_their_subtree(api, tree, make_post):
    post = make_post(tree.co, tree.child_member2)
    r = api(tree.mod).post(f"/api/v1/tenants/{tree.st.slug}/mutes",
                           json={"username": tree.child_member.username, "hours": 2, "reason": "Cool down"})
    assert r.status_code == 201, r.json
    mute_id = r.json["id"]
    r = api(tree.child_member).post(f"/api/v1/tenants/{tree.co.slug}/posts", json={"body": "hi"})
    assert r.status_code == 403
    assert api(tree.child_member).post(f"/api/v1/posts/{post.id}/comments", json={"body": "hi"}).status_code == 403
    # still reads
    assert api(tree.child_member).get(f"/api/v1/posts/{post.id}").status_code == 200
    listed = api(tree.mod).get(f"/api/v1/tenants/{tree.st.slug}/mutes").json
    assert [m["username"] for m in listed["items"]] == [tree.child_member.username]
    # the child's moderator does not see the street's mute
    assert api(tree.child_mod).open("DELETE", f"/api/v1/mutes/{mute_id}").status_code == 404
    assert api(tree.mod).open("DELETE", f"/api/v1/mutes/{mute_id}").status_code == 204
    assert api(tree.child_member).post(f"/api/v1/tenants/{tree.co.slug}/posts", json={"body": "hi"}).status_code == 201


def test_a_mute_reaches_only_the_subtree(api, tree):
    # a sibling's member is not the street's to mute
    r = api(tree.mod).post(f"/api/v1/tenants/{tree.st.slug}/mutes",
                           json={"username": tree.sibling_member.username, "hours": 2})
    assert r.status_code == 422 and "username" in r.json["errors"]
    r = api(tree.mod).post(f"/api/v1/tenants/{tree.st.slug}/mutes", json={"username": "nobody-at-all", "hours": 2})
    assert r.status_code == 422
    r = api(tree.mod).post(f"/api/v1/tenants/{tree.st.slug}/mutes", json={"username": tree.member.username, "hours": 0})
    assert r.status_code == 422 and "hours" in r.json["errors"]
