"""The whole path once through the API: post, comment, like, report to the threshold, moderate, appeal."""
from union_saas.community.models import ModerationItem, Post
from union_saas.core.inbox import Notification


def test_post_comment_like_report_moderate_appeal(api, tree, db_session):
    member = api(tree.member)
    r = member.post(f"/api/v1/tenants/{tree.st.slug}/posts", json={"body": "Our **canteen** opens at 7"})
    assert r.status_code == 201, r.json
    post = r.json
    assert post["status"] == "visible" and "<strong>canteen</strong>" in post["body_html"]
    assert post["author"] == tree.member.display_name and post["tenant"] == tree.st.slug
    r = api(tree.child_member).post(f"/api/v1/posts/{post['id']}/comments", json={"body": "Great"})
    assert r.status_code == 201, r.json
    assert api(tree.child_member).post(f"/api/v1/posts/{post['id']}/likes").status_code == 204
    assert api(tree.child_member).post(f"/api/v1/posts/{post['id']}/likes").status_code == 204
    got = api(tree.child_member).get(f"/api/v1/posts/{post['id']}").json
    assert got["likes_count"] == 1 and got["liked_by_me"] and got["comments_count"] == 1
    for who in (tree.member2, tree.member3, tree.member4):
        r = api(who).post(f"/api/v1/posts/{post['id']}/reports", json={"reason": "spam"})
        assert r.status_code == 201, r.json
    assert db_session.get(Post, post["id"]).status == "hidden"
    # hidden: the author and moderators see it, the others no longer do
    assert api(tree.child_member).get(f"/api/v1/posts/{post['id']}").status_code == 404
    assert member.get(f"/api/v1/posts/{post['id']}").status_code == 200
    queue = api(tree.mod).get(f"/api/v1/tenants/{tree.st.slug}/moderation").json
    assert queue["total"] == 1
    item = queue["items"][0]
    assert item["item"]["type"] == "post" and item["reports_count"] == 3 and item["reason"] == "reports"
    r = api(tree.mod).post(f"/api/v1/moderation/{item['id']}/decide", json={"action": "remove", "reason": "Spam"})
    assert r.status_code == 200, r.json
    assert api(tree.mod).post(f"/api/v1/moderation/{item['id']}/decide",
                              json={"action": "keep"}).status_code == 409
    told = db_session.query(Notification).filter_by(user_id=tree.member.id, kind="community.removed").one()
    assert told.link == f"/moderation/{item['id']}"
    r = member.post(f"/api/v1/moderation/{item['id']}/appeal", json={"statement": "It was not spam"})
    assert r.status_code == 201, r.json
    assert r.json["tenant"] == "fed"
    assert member.post(f"/api/v1/moderation/{item['id']}/appeal", json={"statement": "Again"}).status_code == 409
    review = r.json["review"]
    # the street's moderator does not see the appeal at the federation; the federation's does
    assert api(tree.mod).get(f"/api/v1/moderation/{review}").status_code == 404
    assert review in [i["id"] for i in api(tree.fed_mod).get("/api/v1/tenants/fed/moderation").json["items"]]
    r = api(tree.fed_mod).post(f"/api/v1/moderation/{review}/decide", json={"action": "keep", "reason": "Fine"})
    assert r.status_code == 200, r.json
    assert db_session.get(Post, post["id"]).status == "visible"
    assert db_session.query(Notification).filter_by(user_id=tree.member.id,
                                                    kind="community.appeal_overturned").count() == 1
    assert db_session.query(ModerationItem).filter_by(status="open").count() == 0
