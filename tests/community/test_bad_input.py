"""The issue's "Bad input", line by line: a clear 422/403/404/409/429, and nothing changed in the community's
tables (nor the inbox, nor the file store)."""
import io

import pytest
import sqlalchemy as sa

from tests.community.conftest import PNG
from union_saas.community.models import ModerationItem, Post
from union_saas.core.db import Base
from union_saas.extensions import db

def tables():
    """Read when a test runs, once the app has imported every model (sorting the tables at collection would
    meet a foreign key to a domain whose models no test module has imported yet)."""
    return [t for t in Base.metadata.tables.values() if t.name.startswith("community_")
            or t.name in ("notification", "stored_file")]


def snapshot():
    return {t.name: [tuple(r) for r in db.session.execute(sa.select(t).order_by(*t.primary_key.columns)).all()]
            for t in tables()}


@pytest.fixture
def world(api, tree, make_post, db_session):
    api(tree.fed_mod).open("PUT", f"/api/v1/tenants/{tree.fed.slug}/watched-words", json={"block": ["scam"]})
    post = make_post(tree.st, tree.member)
    full = make_post(tree.st, tree.member, "nine pictures")
    for i in range(9):
        api(tree.member).post(f"/api/v1/posts/{full.id}/images", data={"file": (io.BytesIO(PNG), "x.png")})
    api(tree.member2).post(f"/api/v1/posts/{post.id}/likes")
    api(tree.member2).post(f"/api/v1/posts/{post.id}/reports", json={"reason": "spam"})
    item = db_session.scalar(sa.select(ModerationItem))
    removed = make_post(tree.st, tree.member3, "to remove")
    api(tree.member2).post(f"/api/v1/posts/{removed.id}/reports", json={"reason": "abuse"})
    removal = db_session.scalar(sa.select(ModerationItem).where(ModerationItem.item_id == removed.id))
    api(tree.mod).post(f"/api/v1/moderation/{removal.id}/decide", json={"action": "remove", "reason": "Abuse"})
    api(tree.member3).post(f"/api/v1/moderation/{removal.id}/appeal", json={"statement": "Please"})
    decided = make_post(tree.st, tree.member4, "kept")
    api(tree.member2).post(f"/api/v1/posts/{decided.id}/reports", json={"reason": "other"})
    kept = db_session.scalar(sa.select(ModerationItem).where(ModerationItem.item_id == decided.id))
    api(tree.mod).post(f"/api/v1/moderation/{kept.id}/decide", json={"action": "keep"})
    return {"post": post.id, "full": full.id, "item": item.id, "removal": removal.id, "kept": kept.id}


def posts(tree):
    return f"/api/v1/tenants/{tree.st.slug}/posts"


CASES = [
    ("a blocked word", "member", "POST", lambda w, t: posts(t), {"json": {"body": "total S C A M"}}, 422, "body"),
    ("an empty body", "member", "POST", lambda w, t: posts(t), {"json": {"body": ""}}, 422, "body"),
    ("a blank body", "member", "POST", lambda w, t: posts(t), {"json": {"body": "   \n "}}, 422, "body"),
    ("a 10,000-character body", "member", "POST", lambda w, t: posts(t), {"json": {"body": "x" * 10_000}}, 422, "body"),
    ("HTML", "member", "POST", lambda w, t: posts(t), {"json": {"body": "<b>hi</b>"}}, 422, "body"),
    ("a script", "member", "POST", lambda w, t: posts(t), {"json": {"body": "<script>alert(1)</script>"}}, 422, "body"),
    ("a bad scope", "member", "POST", lambda w, t: posts(t), {"json": {"body": "x", "scope": "platform"}}, 422, "scope"),
    ("a comment with a blocked word", "member2", "POST", lambda w, t: f"/api/v1/posts/{w['post']}/comments",
     {"json": {"body": "ｓｃａｍ"}}, 422, "body"),
    ("a 10,000-character comment", "member2", "POST", lambda w, t: f"/api/v1/posts/{w['post']}/comments",
     {"json": {"body": "x" * 10_000}}, 422, "body"),
    ("a tenth image", "member", "POST", lambda w, t: f"/api/v1/posts/{w['full']}/images",
     {"data": lambda: {"file": (io.BytesIO(PNG), "x.png")}}, 422, "images"),
    ("a non-image file", "member", "POST", lambda w, t: f"/api/v1/posts/{w['post']}/images",
     {"data": lambda: {"file": (io.BytesIO(b"%PDF-1.4"), "x.pdf")}}, 422, "file"),
    ("an image with a lying name", "member", "POST", lambda w, t: f"/api/v1/posts/{w['post']}/images",
     {"data": lambda: {"file": (io.BytesIO(b"<svg onload=alert(1)>"), "x.png")}}, 422, "file"),
    ("reporting twice", "member2", "POST", lambda w, t: f"/api/v1/posts/{w['post']}/reports",
     {"json": {"reason": "spam"}}, 409, None),
    ("a report without a known reason", "member3", "POST", lambda w, t: f"/api/v1/posts/{w['post']}/reports",
     {"json": {"reason": "boring"}}, 422, "reason"),
    ("deciding a decided item", "mod", "POST", lambda w, t: f"/api/v1/moderation/{w['kept']}/decide",
     {"json": {"action": "remove", "reason": "x"}}, 409, None),
    ("an unknown action", "mod", "POST", lambda w, t: f"/api/v1/moderation/{w['item']}/decide",
     {"json": {"action": "ban"}}, 422, "action"),
    ("appealing twice", "member3", "POST", lambda w, t: f"/api/v1/moderation/{w['removal']}/appeal",
     {"json": {"statement": "Again"}}, 409, None),
    ("appealing someone else's removal", "member2", "POST", lambda w, t: f"/api/v1/moderation/{w['removal']}/appeal",
     {"json": {"statement": "Mine?"}}, 404, None),
    ("appealing an empty statement", "member3", "POST", lambda w, t: f"/api/v1/moderation/{w['removal']}/appeal",
     {"json": {"statement": ""}}, 422, "statement"),
    ("posting where one is not a member", "sibling_member", "POST", lambda w, t: posts(t), {"json": {"body": "x"}},
     403, None),
    ("commenting where one is not a member", "fed_member", "POST", lambda w, t: f"/api/v1/posts/{w['post']}/comments",
     {"json": {"body": "x"}}, 404, None),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_input_changes_nothing(case, api, tree, world):
    _name, who, method, path, kwargs, status, field = case
    kwargs = {k: (v() if callable(v) else v) for k, v in kwargs.items()}
    before = snapshot()
    r = api(getattr(tree, who)).open(method, path(world, tree), **kwargs)
    assert r.status_code == status, r.get_data(as_text=True)[:300]
    assert r.mimetype == "application/problem+json"
    if field:
        assert field in r.json["errors"], r.json
    assert snapshot() == before


def test_liking_twice_changes_nothing(api, tree, world, db_session):
    before = snapshot()
    assert api(tree.member2).post(f"/api/v1/posts/{world['post']}/likes").status_code == 204
    assert snapshot() == before
    assert db_session.get(Post, world["post"]).likes_count == 1


def test_past_the_new_account_limits(api, make_user, make_member, tree):
    user = make_user("fresh-one")
    make_member(user, tree.st)
    for i in range(5):
        api(user).post(posts(tree), json={"body": f"p{i}"})
    before = snapshot()
    r = api(user).post(posts(tree), json={"body": "one more"})
    assert r.status_code == 429 and r.mimetype == "application/problem+json"
    assert snapshot() == before


def test_the_form_shows_what_was_typed_with_the_message(login, tree):
    client = login(tree.member)
    r = client.post(f"/t/{tree.st.slug}/posts", data={"body": "<script>x</script> my words", "scope": "tenant"})
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert "&lt;script&gt;x&lt;/script&gt; my words" in page and 'aria-invalid="true"' in page
    r = client.post(f"/t/{tree.st.slug}/posts", data={"body": "ok"}, content_type="multipart/form-data")
    assert r.status_code == 302
