"""The moderation queue follows the tenant tree: a parent's moderators see and decide everything below, a
child's never see the parent's; items waiting a day move up; a removal is appealed once, to the parent."""
from datetime import timedelta

import sqlalchemy as sa

from union_saas.community import services, tasks
from union_saas.community.models import CommunitySettings, ModerationItem, Post
from union_saas.core.db import utcnow
from union_saas.core.inbox import Notification


def report_all(api, post, people, reason="spam"):
    for who in people:
        assert api(who).post(f"/api/v1/posts/{post.id}/reports", json={"reason": reason}).status_code == 201


def queue_ids(api, who, tenant, status="open"):
    r = api(who).get(f"/api/v1/tenants/{tenant.slug}/moderation?status={status}")
    assert r.status_code == 200, r.json
    return [i["item"]["id"] for i in r.json["items"]]


def test_queue_of_the_subtree(api, tree, make_post):
    at_street = make_post(tree.st, tree.member)
    at_child = make_post(tree.co, tree.child_member)
    at_fed = make_post(tree.fed, tree.fed_member)
    report_all(api, at_street, [tree.member2])
    report_all(api, at_child, [tree.child_member2])
    report_all(api, at_fed, [tree.member2])
    assert queue_ids(api, tree.fed_mod, tree.fed) == [at_street.id, at_child.id, at_fed.id]
    assert queue_ids(api, tree.mod, tree.st) == [at_street.id, at_child.id]
    assert queue_ids(api, tree.child_mod, tree.co) == [at_child.id]
    # a child's moderator never sees the parent's queue, nor its items
    assert api(tree.child_mod).get(f"/api/v1/tenants/{tree.st.slug}/moderation").status_code == 404
    item = api(tree.mod).get(f"/api/v1/tenants/{tree.st.slug}/moderation").json["items"][0]
    assert api(tree.child_mod).get(f"/api/v1/moderation/{item['id']}").status_code == 404
    assert api(tree.sibling_mod).post(f"/api/v1/moderation/{item['id']}/decide",
                                      json={"action": "keep"}).status_code == 404
    # a parent's moderator decides below
    assert api(tree.fed_mod).post(f"/api/v1/moderation/{item['id']}/decide",
                                  json={"action": "keep"}).status_code == 200


def test_detail_has_the_reports_and_the_authors_history(api, tree, make_post):
    make_post(tree.st, tree.member, "old one", status="removed")
    post = make_post(tree.st, tree.member)
    report_all(api, post, [tree.member2, tree.member3])
    item = api(tree.mod).get(f"/api/v1/tenants/{tree.st.slug}/moderation").json["items"][0]
    assert item["reports_count"] == 2 and item["status"] == "open"
    detail = api(tree.mod).get(f"/api/v1/moderation/{item['id']}").json
    assert len(detail["reports"]) == 2 and detail["history"]["posts"] == 2 and detail["history"]["posts_removed"] == 1
    assert "user" not in detail["reports"][0]  # reporters are not named


def test_threshold_hides_and_keep_restores(api, tree, make_post, db_session):
    post = make_post(tree.st, tree.member)
    report_all(api, post, [tree.member2, tree.member3])
    assert db_session.get(Post, post.id).status == "visible"
    report_all(api, post, [tree.member4])
    db_session.expire_all()
    assert db_session.get(Post, post.id).status == "hidden"
    item = db_session.scalar(sa.select(ModerationItem).where(ModerationItem.item_id == post.id))
    r = api(tree.mod).post(f"/api/v1/moderation/{item.id}/decide", json={"action": "keep", "reason": "Fine"})
    assert r.status_code == 200 and r.json["status"] == "kept"
    db_session.expire_all()
    assert db_session.get(Post, post.id).status == "visible"
    kept = db_session.scalar(sa.select(Notification).where(Notification.kind == "community.kept"))
    assert kept.user_id == tree.member.id and kept.body == "Fine"
    # the threshold counts the reports since the moderator kept it: one more does not hide it again
    report_all(api, post, [tree.child_member])
    db_session.expire_all()
    assert db_session.get(Post, post.id).status == "visible"


def test_a_unions_own_threshold(api, tree, make_post, db_session):
    db_session.add(CommunitySettings(tenant_id=tree.st.id, words_version="", report_threshold=1))
    post = make_post(tree.st, tree.member)
    report_all(api, post, [tree.member2])
    db_session.expire_all()
    assert db_session.get(Post, post.id).status == "hidden"


def test_remove_needs_a_reason_and_tells_the_author(api, tree, make_post, db_session):
    post = make_post(tree.st, tree.member)
    report_all(api, post, [tree.member2])
    item = db_session.scalar(sa.select(ModerationItem))
    r = api(tree.mod).post(f"/api/v1/moderation/{item.id}/decide", json={"action": "remove"})
    assert r.status_code == 422 and "reason" in r.json["errors"]
    assert api(tree.mod).post(f"/api/v1/moderation/{item.id}/decide",
                              json={"action": "remove", "reason": "Spam"}).status_code == 200
    db_session.expire_all()
    assert db_session.get(Post, post.id).status == "removed"
    told = db_session.scalar(sa.select(Notification).where(Notification.kind == "community.removed"))
    assert told.user_id == tree.member.id and told.body == "Spam"
    assert api(tree.member2).get(f"/api/v1/posts/{post.id}").status_code == 404
    assert api(tree.member).get(f"/api/v1/posts/{post.id}").json["status"] == "removed"


def test_appeal_once_by_the_author_to_the_parent(api, tree, make_post, db_session):
    post = make_post(tree.co, tree.child_member)
    report_all(api, post, [tree.child_member2])
    item = db_session.scalar(sa.select(ModerationItem))
    # not a removal yet
    assert api(tree.child_member).post(f"/api/v1/moderation/{item.id}/appeal",
                                       json={"statement": "x"}).status_code == 409
    api(tree.child_mod).post(f"/api/v1/moderation/{item.id}/decide", json={"action": "remove", "reason": "Rude"})
    # someone else's removal: a stranger does not see it, a moderator may not appeal for the author
    assert api(tree.member2).post(f"/api/v1/moderation/{item.id}/appeal", json={"statement": "x"}).status_code == 404
    assert api(tree.mod).post(f"/api/v1/moderation/{item.id}/appeal", json={"statement": "x"}).status_code == 403
    r = api(tree.child_member).post(f"/api/v1/moderation/{item.id}/appeal", json={"statement": "Not rude"})
    assert r.status_code == 201 and r.json["tenant"] == tree.st.slug
    assert api(tree.child_member).post(f"/api/v1/moderation/{item.id}/appeal",
                                       json={"statement": "again"}).status_code == 409
    review = r.json["review"]
    # the child's moderators do not decide the appeal against their own decision
    assert api(tree.child_mod).get(f"/api/v1/moderation/{review}").status_code == 404
    assert post.id in queue_ids(api, tree.mod, tree.st)
    r = api(tree.mod).post(f"/api/v1/moderation/{review}/decide", json={"action": "remove", "reason": "Stands"})
    assert r.status_code == 200
    told = db_session.scalar(sa.select(Notification).where(Notification.kind == "community.appeal_upheld"))
    assert told.user_id == tree.child_member.id
    # an appeal's decision is not appealed again
    assert api(tree.child_member).post(f"/api/v1/moderation/{review}/appeal",
                                       json={"statement": "x"}).status_code == 409


def test_the_federations_decision_has_no_union_above(api, tree, make_post, db_session):
    post = make_post(tree.fed, tree.fed_member)
    report_all(api, post, [tree.member2])
    item = db_session.scalar(sa.select(ModerationItem))
    api(tree.fed_mod).post(f"/api/v1/moderation/{item.id}/decide", json={"action": "remove", "reason": "No"})
    assert api(tree.fed_member).post(f"/api/v1/moderation/{item.id}/appeal",
                                     json={"statement": "x"}).status_code == 409


def test_items_waiting_a_day_move_to_the_parent_once(api, tree, make_post, db_session):
    post = make_post(tree.co, tree.child_member)
    fresh = make_post(tree.co, tree.child_member)
    report_all(api, post, [tree.child_member2])
    report_all(api, fresh, [tree.child_member2])
    old = db_session.scalar(sa.select(ModerationItem).where(ModerationItem.item_id == post.id))
    old.created_at = utcnow() - timedelta(hours=25)
    db_session.flush()
    assert tasks.escalate_waiting(db_session) == {"escalated": 1}
    assert tasks.escalate_waiting(db_session) == {"escalated": 0}  # idempotent
    db_session.expire_all()
    assert db_session.get(ModerationItem, old.id).tenant_id == tree.st.id
    assert queue_ids(api, tree.child_mod, tree.co) == [fresh.id]
    assert post.id in queue_ids(api, tree.mod, tree.st)
    assert services.queue_count(db_session, tree.st) == 1
    # a second day does not move it again
    assert services.escalate(db_session, now=utcnow() + timedelta(days=3)) == 1  # only the fresh one
    db_session.expire_all()
    assert db_session.get(ModerationItem, old.id).tenant_id == tree.st.id


def test_the_escalation_is_a_periodic_job():
    from union_saas.core import jobs

    assert tasks.escalate_waiting.periodic_name in [p.name for p in jobs.periodic_jobs()]


def test_decided_twice_is_a_conflict(api, tree, make_post, db_session):
    post = make_post(tree.st, tree.member)
    report_all(api, post, [tree.member2])
    item = db_session.scalar(sa.select(ModerationItem))
    assert api(tree.mod).post(f"/api/v1/moderation/{item.id}/decide", json={"action": "keep"}).status_code == 200
    assert api(tree.fed_mod).post(f"/api/v1/moderation/{item.id}/decide",
                                  json={"action": "remove", "reason": "x"}).status_code == 409
    db_session.expire_all()
    assert db_session.get(Post, post.id).status == "visible"
