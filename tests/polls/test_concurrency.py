"""One person, one vote under real concurrency: 200 members voting at once, each twice, make 200 ballots.

PostgreSQL, threads with their own sessions and real commits (the ``committed`` fixture): the roll's unique key
(poll, person) decides every race; the loser's ballot goes with its rolled-back transaction.
"""
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from tests.conftest import is_postgres
from tests.polls.conftest import person_hash
from union_saas.accounts.models import User
from union_saas.core.db import utcnow
from union_saas.core.errors import Conflict
from union_saas.members.audience import load_viewer
from union_saas.members.models import Membership
from union_saas.polls import services
from union_saas.polls.models import Poll, PollBallot, PollBallotChoice, PollOption, PollVoter
from union_saas.tenancy import services as tenancy

pytestmark = [pytest.mark.postgres, pytest.mark.skipif(not is_postgres(), reason="needs PostgreSQL")]
MEMBERS = 200


def build(committed, n):
    s = committed.session
    fed = tenancy.create_federation(s, None, slug="vote-fed", name="Vote fed")
    union = tenancy.create_child(s, None, fed, slug="vote-union", name="Vote union", kind="enterprise")
    committed.roots.append(fed.id)
    users = [User(username=f"voter{i}", display_name=f"V{i}", password_hash="x") for i in range(n)]
    s.add_all(users)
    s.flush()
    committed.users.extend(u.id for u in users)
    s.add_all([Membership(user_id=u.id, tenant_id=union.id, root_id=fed.id, status="active",
                          id_hash=person_hash(f"conc-{i}")) for i, u in enumerate(users)])
    now = utcnow()
    poll = Poll(tenant_id=union.id, root_id=fed.id, title="Which date?", kind="single", max_choices=1,
                scope="tenant", status="published", opens_at=now - timedelta(hours=1),
                closes_at=now + timedelta(hours=1), results="live", description="")
    s.add(poll)
    s.flush()
    options = [PollOption(poll_id=poll.id, label=label, position=i) for i, label in enumerate(("Sat", "Sun"))]
    s.add_all(options)
    s.commit()
    return poll.id, [o.id for o in options], [u.id for u in users]


def run(app, fn, items, workers):
    from union_saas.extensions import db

    start = threading.Barrier(workers)
    results, errors = [], []

    def one(item):
        from flask_babel import force_locale

        with app.app_context(), force_locale("en"):
            try:
                start.wait(timeout=10)
            except threading.BrokenBarrierError:
                pass
            with Session(db.engine) as s:
                try:
                    results.append(fn(s, item))
                    s.commit()
                except Exception as error:  # noqa: BLE001 - collected and asserted on below
                    s.rollback()
                    errors.append(error)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(one, items))
    return results, errors


def cast(session, poll_id, user_id, option_id):
    user = session.get(User, user_id)
    poll = session.scalar(sa.select(Poll).options(sa.orm.joinedload(Poll.tenant)).where(Poll.id == poll_id))
    return services.vote(session, load_viewer(session, user), poll, [option_id])


def test_200_members_voting_twice_at_once_make_200_ballots(app, committed):
    from union_saas.extensions import db

    poll_id, option_ids, user_ids = build(committed, MEMBERS)
    items = [(uid, option_ids[i % 2]) for uid in user_ids for i in range(2)]
    random.Random(7).shuffle(items)
    results, errors = run(app, lambda s, item: cast(s, poll_id, *item), items, workers=40)
    assert len(results) == MEMBERS and len(set(results)) == MEMBERS, errors[:3]
    assert len(errors) == MEMBERS and all(isinstance(e, Conflict) for e in errors), errors[:3]
    with Session(db.engine) as s:
        assert s.scalar(sa.select(sa.func.count()).where(PollVoter.poll_id == poll_id)) == MEMBERS
        assert s.scalar(sa.select(sa.func.count()).where(PollBallot.poll_id == poll_id)) == MEMBERS
        assert s.scalar(sa.select(sa.func.count()).where(PollBallotChoice.poll_id == poll_id)) == MEMBERS
        assert s.scalar(sa.select(sa.func.count(sa.distinct(PollVoter.person))).where(
            PollVoter.poll_id == poll_id)) == MEMBERS
        assert set(s.scalars(sa.select(PollBallot.receipt).where(PollBallot.poll_id == poll_id))) == set(results)


def test_an_annulment_during_the_votes_tells_every_voter(app, committed):
    """Votes read the poll FOR SHARE, the annulment FOR UPDATE: no vote lands unseen after it."""
    from union_saas.core.inbox import Notification
    from union_saas.extensions import db

    poll_id, option_ids, user_ids = build(committed, 60)
    organiser = User(username="vote-organiser", display_name="Org", password_hash="x")
    committed.session.add(organiser)
    committed.session.commit()
    committed.users.append(organiser.id)

    def work(s, item):
        if item == "annul":
            actor = s.get(User, organiser.id)
            poll = s.scalar(sa.select(Poll).options(sa.orm.joinedload(Poll.tenant)).where(Poll.id == poll_id))
            return services.annul(s, actor, poll, "Irregular")
        return cast(s, poll_id, item, option_ids[0])

    items = list(user_ids)
    items.insert(30, "annul")
    run(app, work, items, workers=30)
    with Session(db.engine) as s:
        voters = set(s.scalars(sa.select(PollVoter.user_id).where(PollVoter.poll_id == poll_id)))
        told = set(s.scalars(sa.select(Notification.user_id).where(Notification.subject_id == poll_id,
                                                                   Notification.kind == "poll.annulled")))
        assert s.get(Poll, poll_id).status == "annulled"
        assert voters and voters == told
