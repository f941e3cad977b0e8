"""Every list (API and pages) does a bounded number of queries: as many for 12 rows as for 2."""
from datetime import date

import pytest

from tests.projects.conftest import move_to
from union_saas.projects import services
from union_saas.projects.models import CallReviewer, Milestone, Proposal, Review, ReviewScore


def fill(db_session, district, call, n):
    """``n`` proposals of pd-s-c1 with a review each; funded (with a milestone) once decided."""
    services.load_lists(db_session, [call])
    tier = call.tiers[2]
    reviewer_id = district.reviewer.id
    if not db_session.query(CallReviewer).filter_by(call_id=call.id, user_id=reviewer_id).first():
        db_session.add(CallReviewer(call_id=call.id, user_id=reviewer_id))
    child = district.t["pd-s-c1"]
    for i in range(n):
        p = Proposal(call_id=call.id, tenant_id=child.id, root_id=child.root_id, title=f"P{i}", summary="s", plan="",
                     budget_requested=tier.amount, tier_id=tier.id, status="funded" if call.status == "decided" else "submitted",
                     granted=tier.amount if call.status == "decided" else 0, planned=0, disbursed=0,
                     awarded_tier_id=tier.id if call.status == "decided" else None, created_by_id=district.proposer.id)
        db_session.add(p)
        db_session.flush()
        review = Review(proposal_id=p.id, call_id=call.id, reviewer_id=reviewer_id, comment="",
                        scores=[ReviewScore(criterion_id=c.id, score=5 + i % 5) for c in call.criteria])
        db_session.add(review)
        if call.status == "decided":
            p.planned = tier.amount
            db_session.add(Milestone(proposal_id=p.id, call_id=call.id, title="M", amount=tier.amount,
                                     due_on=date(2030, 1, 1), status="planned", activity_ids=[]))
    db_session.flush()


@pytest.fixture
def calls(district, make_call, db_session):
    """An open call, and a decided one."""
    open_call = make_call()
    decided = make_call()
    move_to(db_session, decided, "after")
    decided.status = "decided"
    db_session.flush()
    return open_call, decided


def test_lists_take_as_many_queries_for_many_rows_as_for_few(api, login, district, calls, db_session, queries_of,
                                                              make_call):
    open_call, decided = calls
    organiser, proposer = api(district.organiser), api(district.proposer)
    pages = login(district.organiser)
    reviewer_pages = login(district.reviewer)
    move_to(db_session, open_call, "reviewing")

    def measure():
        return queries_of(
            lambda: organiser.get("/api/v1/project-calls"),
            lambda: organiser.get("/api/v1/tenants/pd-s/project-calls"),
            lambda: organiser.get(f"/api/v1/project-calls/{open_call.id}/proposals"),
            lambda: proposer.get(f"/api/v1/project-calls/{open_call.id}/proposals"),
            lambda: organiser.get(f"/api/v1/project-calls/{open_call.id}/ranking"),
            lambda: organiser.get(f"/api/v1/project-calls/{decided.id}/ledger"),
            lambda: proposer.get(f"/api/v1/project-calls/{decided.id}/funded"),
            lambda: pages.get("/projects"),
            lambda: pages.get(f"/projects/calls/{decided.id}"),
            lambda: reviewer_pages.get(f"/projects/calls/{open_call.id}"),
            lambda: pages.get("/manage/pd-s/projects"),
            lambda: pages.get("/manage/pd-s-c1/projects/proposals"),
            lambda: pages.get(f"/manage/projects/calls/{open_call.id}"),
            lambda: pages.get(f"/manage/projects/calls/{decided.id}/ledger"),
        )

    fill(db_session, district, open_call, 2)
    fill(db_session, district, decided, 2)
    few = measure()
    for _ in range(5):
        make_call()
    fill(db_session, district, open_call, 10)
    fill(db_session, district, decided, 10)
    many = measure()
    assert many == few, list(zip(few, many))
    assert max(few) <= 25, few
