"""The pages do what their API twins do: a call made from the form, scores from the scoring page, the
decision from the ranking's form, milestones reported with files and approved."""
import io

import sqlalchemy as sa

from tests.projects.conftest import move_to
from union_saas.projects import services
from union_saas.projects.models import Milestone, ProjectCall, Proposal, Review


def test_a_call_is_made_from_the_form_in_the_unions_zone(login, district, db_session):
    client = login(district.organiser)
    response = client.post("/manage/pd-s/projects/new", data={
        "title": "Call 2027", "description": "For workers", "budget_total": "100,000.50",
        "opens_at": "2030-01-01T09:00", "closes_at": "2030-02-01T09:00", "review_closes_at": "2030-03-01T09:00",
        "tier_name_0": "A", "tier_amount_0": "50000", "tier_name_1": "B", "tier_amount_1": "5000",
        "crit_name_0": "Need", "crit_weight_0": "70", "crit_name_1": "Reach", "crit_weight_1": "30",
        "status": "draft"})
    assert response.status_code == 302
    call = db_session.scalar(sa.select(ProjectCall).where(ProjectCall.title == "Call 2027"))
    services.load_lists(db_session, [call])
    assert call.status == "draft" and call.budget_total == 10000050
    assert [(t.name, t.amount) for t in call.tiers] == [("A", 5000000), ("B", 500000)]
    assert call.opens_at.hour == 1  # 09:00 in Asia/Shanghai
    assert client.post(f"/manage/projects/calls/{call.id}/publish").status_code == 302
    db_session.expire_all()
    assert db_session.get(ProjectCall, call.id).status == "published"


def test_propose_score_decide_report_and_approve_through_the_pages(login, district, make_call, name_reviewer,
                                                                     db_session):
    call = make_call(budget_total=50000)
    services.load_lists(db_session, [call])
    tier_id, criteria = call.tiers[1].id, [c.id for c in call.criteria]
    proposer = login(district.proposer)
    response = proposer.post(f"/projects/calls/{call.id}/propose", data={
        "tenant": "pd-s-c1", "title": "Tea corner", "summary": "Tea", "budget_requested": "20000", "tier": str(tier_id),
        "files": (io.BytesIO(b"%PDF-1.4 plan"), "plan.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    proposal = db_session.scalar(sa.select(Proposal).where(Proposal.title == "Tea corner"))
    assert len(services.attachments(db_session, proposal)) == 1
    move_to(db_session, call, "reviewing")
    name_reviewer(call, district.reviewer)
    reviewer = login(district.reviewer)
    page = reviewer.get(f"/projects/proposals/{proposal.id}/review")
    assert page.status_code == 200 and "plan.pdf" in page.get_data(as_text=True)
    response = reviewer.post(f"/projects/proposals/{proposal.id}/review",
                             data={**{f"score-{c}": "9" for c in criteria}, "comment": "Good"})
    assert response.status_code == 302
    review = db_session.scalar(sa.select(Review).where(Review.proposal_id == proposal.id))
    assert review.comment == "Good"
    move_to(db_session, call, "after")
    organiser = login(district.organiser)
    ranking = organiser.get(f"/manage/projects/calls/{call.id}").get_data(as_text=True)
    assert f'name="tier-{proposal.id}"' in ranking and "90.0" in ranking
    assert organiser.post(f"/manage/projects/calls/{call.id}/decide",
                          data={f"tier-{proposal.id}": str(tier_id)}).status_code == 302
    db_session.expire_all()
    assert db_session.get(Proposal, proposal.id).status == "funded"
    assert organiser.post(f"/manage/projects/proposals/{proposal.id}/milestones",
                          data={"title": "Opening", "amount": "20000.01", "due_on": "2030-01-01"}).status_code == 422
    assert organiser.post(f"/manage/projects/proposals/{proposal.id}/milestones",
                          data={"title": "Opening", "amount": "20000", "due_on": "2030-01-01"}).status_code == 302
    milestone = db_session.scalar(sa.select(Milestone).where(Milestone.proposal_id == proposal.id))
    response = proposer.post(f"/projects/milestones/{milestone.id}/report", data={
        "text": "Opened", "files": (io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\0" * 40), "photo.png")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    page = organiser.get(f"/projects/proposals/{proposal.id}").get_data(as_text=True)
    assert "photo.png" in page and "approve" in page
    assert organiser.post(f"/manage/projects/milestones/{milestone.id}/approve").status_code == 302
    db_session.expire_all()
    assert db_session.get(Proposal, proposal.id).disbursed == 2000000
    ledger = organiser.get(f"/manage/projects/calls/{call.id}/ledger").get_data(as_text=True)
    assert "Tea corner" in ledger and "20,000" in ledger
