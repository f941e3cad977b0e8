"""A call from its publication to its ledger, through the API (API.md, Calls for community projects)."""
import io

import openpyxl
import sqlalchemy as sa

from tests.projects.conftest import call_body, move_to, scores
from union_saas.core.inbox import Notification
from union_saas.projects import services
from union_saas.projects.models import Milestone, ProjectCall, Proposal


def test_a_call_is_published_with_exact_amounts_and_seen_in_its_subtree(api, district, db_session):
    response = api(district.organiser).post("/api/v1/tenants/pd-s/project-calls",
                                            json=call_body(budget_total="1234567.89"))
    assert response.status_code == 201, response.json
    doc = response.json
    assert doc["budget_total"] == 1234567.89 and doc["status"] == "open" and doc["granted_total"] == 0
    assert [t["amount"] for t in doc["tiers"]] == [50000, 20000, 5000]
    assert db_session.get(ProjectCall, doc["id"]).budget_total == 123456789  # fen, exactly
    for who in (district.proposer, district.partner, district.fed_admin):
        assert api(who).get(f"/api/v1/project-calls/{doc['id']}").status_code == 200
        assert [c["id"] for c in api(who).get("/api/v1/project-calls?open=1").json["items"]] == [doc["id"]]
    assert api(district.outsider).get(f"/api/v1/project-calls/{doc['id']}").status_code == 404
    assert api(district.outsider).get("/api/v1/project-calls").json["items"] == []


def test_proposals_are_edited_until_the_call_closes_and_seen_by_their_proposers(api, district, make_call, db_session):
    call = make_call()
    tier = call.tiers[1]
    body = {"tenant": "pd-s-c1", "title": "Night reading room", "summary": "Books", "plan": "Open nightly",
            "budget_requested": "19999.50", "tier": tier.id}
    created = api(district.proposer).post(f"/api/v1/project-calls/{call.id}/proposals", json=body)
    assert created.status_code == 201, created.json
    pid = created.json["id"]
    assert created.json["status"] == "submitted" and created.json["budget_requested"] == 19999.5
    partner = api(district.partner).post(f"/api/v1/project-calls/{call.id}/proposals",
                                         json={**body, "tenant": "pd-s-p", "title": "Legal aid corner"})
    assert partner.status_code == 201
    patched = api(district.proposer).patch(f"/api/v1/proposals/{pid}", json={"title": "Night reading room 2"})
    assert patched.status_code == 200 and patched.json["title"] == "Night reading room 2"
    upload = api(district.proposer).post(f"/api/v1/proposals/{pid}/attachments",
                                         data={"file": (io.BytesIO(b"%PDF-1.4 plan"), "plan.pdf")})
    assert upload.status_code == 201, upload.json
    assert api(district.proposer).get(upload.json["url"]).status_code == 200
    assert api(district.partner).get(upload.json["url"]).status_code == 404
    mine = api(district.proposer).get(f"/api/v1/project-calls/{call.id}/proposals").json
    assert [p["id"] for p in mine["items"]] == [pid]
    everything = api(district.organiser).get(f"/api/v1/project-calls/{call.id}/proposals").json
    assert everything["total"] == 2
    assert api(district.partner).get(f"/api/v1/proposals/{pid}").status_code == 404
    assert api(district.partner).patch(f"/api/v1/proposals/{pid}", json={"title": "x"}).status_code == 404
    withdrawn = api(district.proposer).post(f"/api/v1/proposals/{pid}/withdraw")
    assert withdrawn.status_code == 200 and withdrawn.json["status"] == "withdrawn"
    assert api(district.proposer).post(f"/api/v1/proposals/{pid}/withdraw").status_code == 409
    db_session.refresh(call)
    assert call.proposal_count == 1
    move_to(db_session, call, "reviewing")
    other = partner.json["id"]
    assert api(district.partner).patch(f"/api/v1/proposals/{other}", json={"title": "x"}).status_code == 409
    assert api(district.partner).post(f"/api/v1/proposals/{other}/withdraw").status_code == 409


def test_the_panel_scores_the_ranking_suggests_and_the_decision_tells_everyone(api, district, make_call,
                                                                                make_proposal, db_session):
    call = make_call(budget_total=80000)
    a, b, c = call.tiers
    best = make_proposal(call, tier=a, title="Best")
    second = make_proposal(call, user=district.proposer2, tenant=district.t["pd-s-c2"], tier=a, title="Second")
    third = make_proposal(call, user=district.partner, tenant=district.t["pd-s-p"], tier=c, title="Third")
    move_to(db_session, call, "reviewing")
    organiser = api(district.organiser)
    for who in (district.reviewer, district.reviewer2):
        assert organiser.post(f"/api/v1/project-calls/{call.id}/reviewers", json={"username": who.username}).status_code == 201
    assert organiser.post(f"/api/v1/project-calls/{call.id}/reviewers",
                          json={"username": district.reviewer.username}).status_code == 409
    assert [r["username"] for r in organiser.get(f"/api/v1/project-calls/{call.id}/reviewers").json] == [
        "reviewer", "reviewer2"]
    r1, r2 = api(district.reviewer), api(district.reviewer2)
    assert r1.get(f"/api/v1/proposals/{best.id}").status_code == 200  # reviewers see them until the decision
    assert r1.post(f"/api/v1/proposals/{best.id}/reviews", json={"scores": scores(call, 10, 10, 10)}).status_code == 201
    assert r2.post(f"/api/v1/proposals/{best.id}/reviews", json={"scores": scores(call, 6, 6, 6)}).status_code == 201
    assert r1.post(f"/api/v1/proposals/{second.id}/reviews", json={"scores": scores(call, 7, 7, 7)}).status_code == 201
    # replaced until the review closes
    again = r1.post(f"/api/v1/proposals/{second.id}/reviews", json={"scores": scores(call, 7, 8, 9), "comment": "ok"})
    assert again.status_code == 201 and again.json["comment"] == "ok"
    assert r1.post(f"/api/v1/proposals/{third.id}/reviews", json={"scores": scores(call, 5, 5, 5)}).status_code == 201
    ranking = organiser.get(f"/api/v1/project-calls/{call.id}/ranking").json
    items = ranking["items"]
    assert [i["id"] for i in items] == [best.id, second.id, third.id]
    assert items[0]["score"] == 80.0 and items[0]["spread"] == 40.0 and items[0]["reviews"] == 2
    assert items[1]["score"] == 7 * 4 + 8 * 3 + 9 * 3  # 40x7/10 + 30x8/10 + 30x9/10
    # 80,000: the best at 50,000, the second (50,000) no longer fits and is skipped, the third at 5,000
    assert [i["suggested_tier"] for i in items] == [a.id, None, c.id]
    assert ranking["suggested_total"] == 55000
    assert organiser.post(f"/api/v1/project-calls/{call.id}/decide",
                          json={"awards": [{"proposal": best.id, "tier": a.id}]}).status_code == 409  # review open
    move_to(db_session, call, "after")
    decided = organiser.post(f"/api/v1/project-calls/{call.id}/decide", json={"awards": [
        {"proposal": best.id, "tier": a.id}, {"proposal": third.id, "tier": b.id}]})
    assert decided.status_code == 200, decided.json
    assert decided.json["status"] == "decided" and decided.json["granted_total"] == 70000
    db_session.expire_all()
    assert db_session.get(ProjectCall, call.id).granted_total == 70000 * 100
    statuses = dict(db_session.execute(sa.select(Proposal.id, Proposal.status).where(Proposal.call_id == call.id)).all())
    assert statuses == {best.id: "funded", second.id: "declined", third.id: "funded"}
    kinds = dict(db_session.execute(sa.select(Notification.user_id, Notification.kind)
                                    .where(Notification.kind.like("project.%ed"))).all())
    assert kinds[district.proposer.id] == "project.funded" and kinds[district.proposer2.id] == "project.declined"
    assert kinds[district.partner.id] == "project.funded"
    # once decided: reviewers no longer see proposals; everyone who sees the call sees the funded ones
    assert r1.get(f"/api/v1/proposals/{best.id}").status_code == 404
    funded = api(district.proposer2).get(f"/api/v1/project-calls/{call.id}/funded").json
    assert {(f["title"], f["tier"], f["granted"]) for f in funded["items"]} == {("Best", "A", 50000), ("Third", "B", 20000)}


def test_over_budget_awards_are_refused(api, district, make_call, make_proposal, db_session):
    call = make_call(budget_total=60000)
    a = call.tiers[0]
    one, two = make_proposal(call, tier=a), make_proposal(call, tier=a, title="Two")
    move_to(db_session, call, "after")
    response = api(district.organiser).post(f"/api/v1/project-calls/{call.id}/decide", json={"awards": [
        {"proposal": one.id, "tier": a.id}, {"proposal": two.id, "tier": a.id}]})
    assert response.status_code == 422 and "awards" in response.json["errors"]
    db_session.expire_all()
    assert db_session.get(ProjectCall, call.id).status == "published"
    assert db_session.get(Proposal, one.id).status == "submitted"


def funded_project(api, district, make_call, make_proposal, db_session, budget=100000):
    call = make_call(budget_total=budget)
    proposal = make_proposal(call, tier=call.tiers[1])
    move_to(db_session, call, "after")
    services.load_lists(db_session, [call])
    tier_id = call.tiers[1].id
    assert api(district.organiser).post(f"/api/v1/project-calls/{call.id}/decide", json={"awards": [
        {"proposal": proposal.id, "tier": tier_id}]}).status_code == 200
    return call, proposal


def test_milestones_reports_approval_and_the_ledger(api, district, make_call, make_proposal, db_session,
                                                     make_activity):
    call, proposal = funded_project(api, district, make_call, make_proposal, db_session)
    organiser, proposer = api(district.organiser), api(district.proposer)
    first = organiser.post(f"/api/v1/proposals/{proposal.id}/milestones",
                           json={"title": "Room opens", "amount": "12000.50", "due_on": "2030-03-01"})
    assert first.status_code == 201, first.json
    second = organiser.post(f"/api/v1/proposals/{proposal.id}/milestones",
                            json={"title": "Half a year", "amount": 7999.5, "due_on": "2030-09-01"})
    assert second.status_code == 201
    assert organiser.post(f"/api/v1/proposals/{proposal.id}/milestones",
                          json={"title": "More", "amount": 1, "due_on": "2030-09-01"}).status_code == 422
    assert proposer.post(f"/api/v1/milestones/{first.json['id']}/approve").status_code in (403, 404)
    assert organiser.post(f"/api/v1/milestones/{first.json['id']}/approve").status_code == 409  # not reported
    activity = make_activity(district.t["pd-s-c1"], title="Opening night")
    upload = proposer.post(f"/api/v1/proposals/{proposal.id}/attachments",
                           data={"file": (io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\0" * 40), "photo.png")})
    assert upload.status_code == 201, upload.json
    reported = proposer.post(f"/api/v1/milestones/{first.json['id']}/report", json={
        "text": "Opened with 40 people", "attachments": [upload.json["id"]], "activities": [activity.id]})
    assert reported.status_code == 200, reported.json
    assert reported.json["status"] == "reported" and reported.json["activities"] == [activity.id]
    assert proposer.post(f"/api/v1/milestones/{first.json['id']}/report", json={"text": "again"}).status_code == 409
    returned = organiser.post(f"/api/v1/milestones/{first.json['id']}/return", json={"reason": "Add photos"})
    assert returned.status_code == 200 and returned.json["status"] == "returned"
    assert proposer.post(f"/api/v1/milestones/{first.json['id']}/report", json={"text": "With photos"}).status_code == 200
    approved = organiser.post(f"/api/v1/milestones/{first.json['id']}/approve")
    assert approved.status_code == 200 and approved.json["disbursed"] == 12000.5
    assert organiser.post(f"/api/v1/milestones/{first.json['id']}/approve").status_code == 409
    ledger = organiser.get(f"/api/v1/project-calls/{call.id}/ledger").json
    assert ledger["items"] == [{"proposal": proposal.id, "title": proposal.title, "tenant": "pd-s-c1", "tier": "B",
                                "granted": 20000, "disbursed": 12000.5, "remaining": 7999.5}]
    assert (ledger["granted_total"], ledger["disbursed_total"], ledger["budget_left"]) == (20000, 12000.5, 80000)
    kinds = set(db_session.scalars(sa.select(Notification.kind).where(Notification.user_id == district.proposer.id)))
    assert {"project.milestone_added", "project.milestone_returned", "project.milestone_approved"} <= kinds
    milestones = proposer.get(f"/api/v1/proposals/{proposal.id}/milestones").json
    assert [m["status"] for m in milestones] == ["approved", "planned"]
    assert db_session.get(Milestone, first.json["id"]) is not None
    funded = api(district.proposer2).get(f"/api/v1/project-calls/{call.id}/funded").json["items"]
    assert funded[0]["progress"] == round(1200050 / 2000000, 4)


def test_the_ledger_exports_to_xlsx(api, district, make_call, make_proposal, db_session, run_jobs):
    call, proposal = funded_project(api, district, make_call, make_proposal, db_session)
    organiser = api(district.organiser)
    job = organiser.post(f"/api/v1/project-calls/{call.id}/ledger/export")
    assert job.status_code == 202
    run_jobs()
    status = organiser.get(f"/api/v1/jobs/{job.json['job']}").json
    assert status["status"] == "finished", status
    data = organiser.get(status["file_url"] if "file_url" in status else f"/api/v1/jobs/{job.json['job']}/file")
    assert data.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(data.data))
    rows = list(book.worksheets[0].values)
    assert rows[1][:4] == (proposal.title, "Pd-S-C1", "B", 20000)
