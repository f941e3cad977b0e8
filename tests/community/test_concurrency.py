"""Likes and reports under real concurrency (PostgreSQL, threads, real commits): one row per person and item,
and counters that match the rows exactly; two moderators deciding at once: one decision, one 409."""
import threading

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from tests.conftest import is_postgres
from union_saas.access.models import Grant
from union_saas.accounts.models import User
from union_saas.community import services
from union_saas.community.models import (
    CommunitySettings,
    ModerationItem,
    Post,
    PostLike,
    Report,
)
from union_saas.core.errors import Conflict
from union_saas.extensions import db
from union_saas.members.models import Membership
from union_saas.tenancy import services as tenancy

pytestmark = [pytest.mark.postgres,
              pytest.mark.skipif(not is_postgres(), reason="real concurrent transactions need PostgreSQL")]
N = 24


def build(committed, n):
    s = committed.session
    fed = tenancy.create_federation(s, None, slug="cm-race", name="Race")
    street = tenancy.create_child(s, None, fed, slug="cm-race-s", name="Street", kind="street")
    users = [User(username=f"cm-race-{i}", display_name=f"R{i}", password_hash="x") for i in range(n + 2)]
    s.add_all(users)
    s.flush()
    s.add_all([Membership(user_id=u.id, tenant_id=street.id, root_id=fed.id, status="active") for u in users[:n]])
    s.add_all([Grant(user_id=u.id, role="union_admin", tenant_id=street.id, root_id=fed.id) for u in users[n:]])
    post = Post(tenant_id=street.id, root_id=fed.id, author_id=users[0].id, body="race", body_html="<p>race</p>",
                scope="subtree", status="visible", image_ids=[])
    s.add(post)
    s.commit()
    committed.roots.append(fed.id)
    committed.users.extend(u.id for u in users)
    return post.id, [u.id for u in users[:n]], [u.id for u in users[n:]]


def run_all(app, work, args):
    barrier, errors, outcomes = threading.Barrier(len(args)), [], []

    def one(arg):
        with app.app_context(), Session(db.engine) as session:
            try:
                barrier.wait()
                outcomes.append(work(session, *arg))
                session.commit()
            except Conflict:
                session.rollback()
                outcomes.append(409)
            except Exception as error:  # noqa: BLE001 - reported below
                session.rollback()
                errors.append(error)

    threads = [threading.Thread(target=one, args=(a,)) for a in args]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return outcomes


def load_post(session, post_id):
    return session.scalar(sa.select(Post).options(joinedload(Post.tenant)).where(Post.id == post_id))


def test_concurrent_likes_count_each_person_once(app, committed):
    post_id, members, _mods = build(committed, N)

    def like(session, user_id):
        return services.like(session, session.get(User, user_id), load_post(session, post_id))

    outcomes = run_all(app, like, [(u,) for u in members] + [(u,) for u in members])  # everyone twice at once
    assert outcomes.count(True) == N
    s = committed.session
    s.expire_all()
    rows = s.scalar(sa.select(sa.func.count()).select_from(PostLike).where(PostLike.post_id == post_id))
    assert rows == N and s.get(Post, post_id).likes_count == N


def test_concurrent_reports_hide_once_and_count_exactly(app, committed):
    post_id, members, _mods = build(committed, N)
    s = committed.session
    # hidden at the last distinct reporter: nobody else finds it hidden before reporting
    s.add(CommunitySettings(tenant_id=s.get(Post, post_id).tenant_id, words_version="", report_threshold=N - 1))
    s.commit()

    def report(session, user_id):
        return services.report(session, session.get(User, user_id), "post", load_post(session, post_id),
                               {"reason": "spam"}).id

    outcomes = run_all(app, report, [(u,) for u in members[1:]] + [(members[1],)])  # one person twice
    assert outcomes.count(409) == 1
    s.expire_all()
    post = s.get(Post, post_id)
    rows = s.scalar(sa.select(sa.func.count()).select_from(Report).where(Report.item_id == post_id))
    assert rows == N - 1 and post.reports_count == N - 1 and post.status == "hidden"
    items = s.scalars(sa.select(ModerationItem).where(ModerationItem.item_id == post_id)).all()
    assert [i.status for i in items] == ["open"]


def test_two_moderators_deciding_at_once_make_one_decision(app, committed):
    post_id, members, mods = build(committed, 2)
    s = committed.session
    services.report(s, s.get(User, members[1]), "post", load_post(s, post_id), {"reason": "spam"})
    s.commit()
    item_id = s.scalar(sa.select(ModerationItem.id).where(ModerationItem.item_id == post_id))

    def decide(session, user_id, action):
        item = session.scalar(sa.select(ModerationItem).options(joinedload(ModerationItem.tenant))
                              .where(ModerationItem.id == item_id))
        services.decide(session, session.get(User, user_id), item, {"action": action, "reason": "x"})
        return action

    outcomes = run_all(app, decide, [(mods[0], "keep"), (mods[1], "remove")])
    assert sorted(outcomes, key=str) == [409, outcomes[0] if outcomes[0] != 409 else outcomes[1]]
    s.expire_all()
    winner = next(o for o in outcomes if o != 409)
    assert s.get(Post, post_id).status == ("visible" if winner == "keep" else "removed")
