"""The generated polls (``flask demo seed``, small scale): what the services would have left, and the app's
own API and pages working on them."""
from collections import Counter

import sqlalchemy as sa

from tests.conftest import module_seed
from union_saas.core.inbox import Notification
from union_saas.demo_seed import SCALES
from union_saas.members.models import Membership
from union_saas.polls import services
from union_saas.polls.models import Poll, PollBallot, PollBallotChoice, PollEntry, PollOption, PollVoter

SMALL = SCALES["small"]


# one federation seeded for the module (seeding took longer than any of its tests); each test in a savepoint
seeded, built, db_session = module_seed("pollseed", ("polls",))


def test_the_roll_and_the_ballots_are_what_voting_leaves(db_session, built):
    polls = {p.id: p for p in db_session.scalars(sa.select(Poll).where(Poll.root_id == built.root.id))}
    now = built.now
    phases = Counter(p.phase(now) for p in polls.values())
    assert phases["open"] >= 3 and phases["closed"] >= 5 and phases["scheduled"] == 1
    assert {p.kind for p in polls.values()} == {"single", "multiple", "contest"}
    roll = db_session.execute(sa.select(PollVoter).where(PollVoter.poll_id.in_(polls))).scalars().all()
    assert len(roll) > 100
    assert len({(r.poll_id, r.person) for r in roll}) == len(roll)  # one row per person and poll
    people = dict(db_session.execute(sa.select(Membership.id_hash, Membership.created_at).where(
        Membership.root_id == built.root.id, Membership.status == "active")).all())
    ballots = Counter(db_session.scalars(sa.select(PollBallot.poll_id).where(PollBallot.poll_id.in_(polls))))
    assert ballots == Counter(r.poll_id for r in roll)
    for r in roll:
        poll = polls[r.poll_id]
        assert r.person in people and r.voted_minute.second == 0
        assert poll.opens_at - timedelta_minute() <= r.voted_minute <= min(poll.closes_at, now)
        assert r.voted_minute >= people[r.person].replace(second=0, microsecond=0)
        assert r.new_member == (people[r.person] > r.voted_minute - services.timedelta(days=services.NEW_MEMBER_DAYS))
    options = {o.id: o for o in db_session.scalars(sa.select(PollOption).where(PollOption.poll_id.in_(polls)))}
    per_ballot = Counter()
    for receipt, option_id, poll_id in db_session.execute(sa.select(
            PollBallotChoice.receipt, PollBallotChoice.option_id, PollBallotChoice.poll_id).where(
            PollBallotChoice.poll_id.in_(polls))):
        assert options[option_id].poll_id == poll_id
        per_ballot[receipt] += 1
    assert sum(ballots.values()) == len(per_ballot)
    for poll in polls.values():
        if poll.phase(now) == "scheduled":
            assert ballots[poll.id] == 0


def test_contests_annulment_and_bursts(db_session, built):
    polls = list(db_session.scalars(sa.select(Poll).where(Poll.root_id == built.root.id)))
    contests = [p for p in polls if p.kind == "contest"]
    assert len(contests) == 2 and any(p.jury_weight for p in contests)
    for contest in contests:
        entries = db_session.scalars(sa.select(PollEntry).where(PollEntry.poll_id == contest.id)).all()
        options = db_session.scalars(sa.select(PollOption).where(PollOption.poll_id == contest.id)).all()
        assert {o.entry_id for o in options} == {e.id for e in entries if e.status == "approved"}
        if contest.jury_weight:
            assert all(o.jury_score is not None for o in options)
    assert any(e.status == "pending" for c in contests for e in db_session.scalars(
        sa.select(PollEntry).where(PollEntry.poll_id == c.id)))
    annulled = [p for p in polls if p.status == "annulled"]
    assert len(annulled) == 1 and annulled[0].annul_reason
    voters = set(db_session.scalars(sa.select(PollVoter.user_id).where(PollVoter.poll_id == annulled[0].id)))
    told = set(db_session.scalars(sa.select(Notification.user_id).where(
        Notification.kind == "poll.annulled", Notification.subject_id == annulled[0].id)))
    assert voters and voters == told
    assert any(services.bursts(db_session, p) for p in polls)


def test_the_api_reads_the_seeded_results(db_session, built, api):
    from union_saas.accounts.models import User

    poll = db_session.scalar(sa.select(Poll).where(Poll.root_id == built.root.id, Poll.kind == "contest",
                                                   Poll.jury_weight > 0))
    voter_id = db_session.scalar(sa.select(PollVoter.user_id).where(PollVoter.poll_id == poll.id).limit(1))
    user = db_session.get(User, voter_id)
    client = api(user)
    assert client.get(f"/api/v1/polls/{poll.id}").json["voted"] is True
    res = client.get(f"/api/v1/polls/{poll.id}/results").json
    assert res["voters"] == sum(1 for _ in db_session.scalars(sa.select(PollBallot.receipt).where(
        PollBallot.poll_id == poll.id)))
    assert res["jury_weight"] == 30 and all("score" in o for o in res["options"])
    assert client.get(f"/api/v1/polls/{poll.id}/receipts").json["total"] == res["voters"]


def timedelta_minute():
    return services.timedelta(minutes=1)
