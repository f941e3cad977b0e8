"""Fixtures of the community tests: a small tree with members and moderators, and a post factory."""
import itertools
from datetime import timedelta
from types import SimpleNamespace

import pytest

from union_saas.community import words
from union_saas.community.models import Comment, Post
from union_saas.core.db import utcnow
from union_saas.core.markup import render_markdown

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 64
_n = itertools.count(1)


@pytest.fixture(autouse=True)
def fresh_limits(app):
    """Each test starts with fresh flood counters and an empty matcher cache (ids repeat across rolled-back tests)."""
    from union_saas.extensions import limiter

    limiter.reset()
    words.clear_cache()
    yield
    limiter.reset()


@pytest.fixture
def old(make_user):
    """``old(name)``: a user whose account is older than a day (no new-account limits)."""

    def make(name=None, **fields):
        return make_user(name or f"cm{next(_n)}", created_at=utcnow() - timedelta(days=30), **fields)

    return make


@pytest.fixture
def tree(make_tree, old, make_member, grant):
    """fed / st (street) / co (community), and st2 (st's sibling); members and moderators around ``st``."""
    t = make_tree("fed/st/co", "fed/st2")
    people = SimpleNamespace(**t)
    for name, slug in (("member", "st"), ("child_member", "co"), ("sibling_member", "st2"), ("fed_member", "fed"),
                       ("member2", "st"), ("member3", "st"), ("member4", "st"), ("child_member2", "co")):
        user = old(f"{name}-{next(_n)}")
        make_member(user, t[slug])
        setattr(people, name, user)
    for name, role, slug in (("mod", "union_officer", "st"), ("fed_mod", "federation_admin", "fed"),
                             ("child_mod", "union_admin", "co"), ("sibling_mod", "union_admin", "st2")):
        user = old(f"{name}-{next(_n)}")
        grant(user, role, t[slug])
        setattr(people, name, user)
    people.outsider = old(f"outsider-{next(_n)}")
    return people


@pytest.fixture
def make_post(db_session):
    """``make_post(tenant, author, body="...", scope="subtree", status="visible")``: a post, straight in."""

    def make(tenant, author, body="Hello, workers", *, scope="subtree", status="visible", **fields):
        post = Post(tenant_id=tenant.id, root_id=tenant.root_id, author_id=author.id, body=body,
                    body_html=render_markdown(body), scope=scope, status=status, image_ids=[], **fields)
        db_session.add(post)
        db_session.flush()
        return post

    return make


@pytest.fixture
def make_comment(db_session):
    def make(post, author, body="Well said", *, status="visible", parent=None):
        row = Comment(post_id=post.id, tenant_id=post.tenant_id, root_id=post.root_id, author_id=author.id, body=body,
                      body_html=render_markdown(body), status=status, parent_id=parent.id if parent else None)
        db_session.add(row)
        if status == "visible":
            post.comments_count += 1
        db_session.flush()
        return row

    return make
