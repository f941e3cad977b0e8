"""The generated calls (``flask demo seed``, small scale): the rows are what the services would have left,
and the app's own API works on them."""
import sqlalchemy as sa

from tests.conftest import module_seed
from union_saas.accounts.models import User
from union_saas.core.inbox import Notification
from union_saas.demo_seed import SCALES
from union_saas.projects import services
from union_saas.projects.models import Milestone, ProjectCall, Proposal, Review, ReviewScore

SMALL = SCALES["small"]


# one federation seeded for the module (seeding took longer than any of its tests); each test in a savepoint
seeded, built, db_session = module_seed("projseed", ("projects",))


def test_a_decided_call_funds_the_best_within_its_budget_and_keeps_its_ledger(db_session, built):
    calls = list(db_session.scalars(sa.select(ProjectCall).where(ProjectCall.root_id == built.root.id)
                                    .order_by(ProjectCall.id)))
    past, current = calls
    assert past.status == "decided" and past.phase() == "decided"
    assert current.phase() == "open" and current.accepting()
    services.load_lists(db_session, calls)
    proposals = list(db_session.scalars(sa.select(Proposal).where(Proposal.call_id == past.id)))
    funded = [p for p in proposals if p.status == "funded"]
    considered = sum(1 for p in proposals if p.status != "withdrawn")
    assert len(funded) == min(12, considered * 2 // 3) >= 5
    assert past.granted_total == sum(p.granted for p in funded) <= past.budget_total
    assert past.proposal_count == sum(1 for p in proposals if p.status != "withdrawn")
    assert past.disbursed_total == sum(p.disbursed for p in proposals)
    for p in funded:
        assert p.awarded_tier_id == p.tier_id and p.granted == next(t.amount for t in past.tiers if t.id == p.tier_id)
        ms = list(db_session.scalars(sa.select(Milestone).where(Milestone.proposal_id == p.id)))
        assert p.planned == sum(m.amount for m in ms) == p.granted
        assert p.disbursed == sum(m.amount for m in ms if m.status == "approved") <= p.granted
    # the decision is the suggestion of the ranking (one grouped query) on the seeded scores
    rows = services.ranking(db_session, past)
    suggested = services.suggest(past, rows)
    assert {pid for pid, tier in suggested.items() if tier} == {p.id for p in funded}
    # every review scores every criterion, by reviewers without any grant (no conflict of interest)
    n_reviews = db_session.scalar(sa.select(sa.func.count()).select_from(Review).where(Review.call_id == past.id))
    n_scores = db_session.scalar(sa.select(sa.func.count()).select_from(ReviewScore).join(Review).where(
        Review.call_id == past.id))
    assert n_scores == n_reviews * len(past.criteria)
    reviewer_ids = set(db_session.scalars(sa.select(Review.reviewer_id).where(Review.call_id == past.id)))
    for uid in reviewer_ids:
        user = db_session.get(User, uid)
        assert not any(services.conflicted(user, services._load_proposal(db_session, p.id)) for p in funded)
    # every proposer of the decided call is told
    told = db_session.scalar(sa.select(sa.func.count()).where(Notification.kind.in_(("project.funded", "project.declined")),
                                                              Notification.root_id == built.root.id))
    assert told == sum(1 for p in proposals if p.status in ("funded", "declined"))
    # nothing lies after now
    assert max(m.approved_at for m in db_session.scalars(sa.select(Milestone).where(
        Milestone.call_id == past.id, Milestone.approved_at.is_not(None)))) <= built.now


def test_the_api_works_on_the_seeded_calls(db_session, built, api):
    past = db_session.scalar(sa.select(ProjectCall).where(ProjectCall.root_id == built.root.id,
                                                          ProjectCall.status == "decided"))
    organiser = db_session.get(User, past.created_by_id)
    client = api(organiser)
    ledger = client.get(f"/api/v1/project-calls/{past.id}/ledger").json
    assert ledger["budget_left"] == 0
    assert ledger["total"] == db_session.scalar(sa.select(sa.func.count()).where(Proposal.call_id == past.id,
                                                                                 Proposal.status == "funded"))
    assert client.post(f"/api/v1/project-calls/{past.id}/decide", json={"awards": []}).status_code == 409
    reported = db_session.scalar(sa.select(Milestone).where(Milestone.call_id == past.id, Milestone.status == "reported"))
    if reported is not None:
        response = client.post(f"/api/v1/milestones/{reported.id}/approve")
        assert response.status_code == 200, response.json
