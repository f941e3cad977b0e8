"""Bad input (issue 20): each line of it answers a clear 422/403/404/409, and nothing changes.

"A proposal outside the window or the subtree, above its tier, a review outside the window or with a
missing criterion, a reviewer with a conflict, a decision over budget or a second decision, milestones
beyond the grant, approving an unreported milestone."
"""
import pytest
import sqlalchemy as sa

from tests.projects.conftest import call_body, move_to, scores
from tests.test_bad_input import assert_refused
from union_saas.core.db import Base
from union_saas.extensions import db
from union_saas.projects import services

def snapshot():
    tables = [t for t in Base.metadata.sorted_tables if t.name.startswith("project_") or t.name == "notification"]
    return {t.name: [tuple(r) for r in db.session.execute(sa.select(t).order_by(*t.primary_key.columns)).all()]
            for t in tables}


@pytest.fixture
def unchanged(db_session):
    """``with unchanged(): ...``: the domain's tables (and the inbox) are row for row as before."""
    from contextlib import contextmanager

    @contextmanager
    def check():
        db_session.flush()
        before = snapshot()
        yield
        db_session.expire_all()
        assert snapshot() == before

    return check


def propose(api, user, call, **fields):
    services.load_lists(db.session, [call])
    body = {"tenant": "pd-s-c1", "title": "Reading room", "summary": "Books", "plan": "",
            "budget_requested": 20000, "tier": call.tiers[1].id, **fields}
    client = api(user)
    return client.post(f"/api/v1/project-calls/{call.id}/proposals", json=body)


@pytest.mark.parametrize("fields, field", [
    ({"criteria": [{"name": "Need", "weight": 40}, {"name": "Reach", "weight": 50}]}, "criteria"),
    ({"tiers": []}, "tiers"),
    ({"tiers": [{"name": "Huge", "amount": 200000}]}, "tiers"),
    ({"closes_at": "2020-01-01T00:00:00+00:00"}, "closes_at"),
    ({"budget_total": "100.001"}, "budget_total"),
    ({"budget_total": -5}, "budget_total"),
    ({"budget_total": "lots"}, "budget_total"),
    ({"tiers": [{"name": "A", "amount": 0}]}, "tiers"),
    ({"criteria": [{"name": "Need", "weight": 101}]}, "criteria"),
])
def test_a_bad_call_is_refused_with_its_field(api, district, unchanged, fields, field):
    with unchanged():
        assert_refused(api(district.organiser).post("/api/v1/tenants/pd-s/project-calls", json=call_body(**fields)),
                       422, field)


def test_review_closing_before_proposals_close_is_refused(api, district, unchanged):
    body = call_body()
    body["review_closes_at"] = body["closes_at"]
    with unchanged():
        assert_refused(api(district.organiser).post("/api/v1/tenants/pd-s/project-calls", json=body), 422,
                       "review_closes_at")


@pytest.mark.parametrize("phase", ["upcoming", "reviewing", "after"])
def test_a_proposal_outside_the_window_is_refused(api, district, make_call, unchanged, phase):
    call = make_call(phase)
    with unchanged():
        assert_refused(propose(api, district.proposer, call), 409)


def test_a_proposal_outside_the_subtree_is_refused(api, district, make_call, unchanged):
    call = make_call()
    with unchanged():
        # the federation's admin sees the call, but pd-o is not under the call's union
        assert_refused(propose(api, district.fed_admin, call, tenant="pd-o"), 422, "tenant")
        assert_refused(propose(api, district.fed_admin, call, tenant="no-such-union"), 422, "tenant")
        # another federation's union: named like a missing one
        assert_refused(propose(api, district.proposer, call, tenant="px-s"), 422, "tenant")
        # inside the subtree, without project.propose there
        assert_refused(propose(api, district.proposer, call, tenant="pd-s-c2"), 403)
        # a union outside what the call reaches does not even see it
        assert_refused(propose(api, district.outsider, call, tenant="pd-o"), 404)


def test_a_proposal_above_its_tier_or_with_a_bad_amount_is_refused(api, district, make_call, unchanged):
    call = make_call()
    with unchanged():
        assert_refused(propose(api, district.proposer, call, budget_requested=20000.01), 422, "budget_requested")
        assert_refused(propose(api, district.proposer, call, budget_requested="12.345"), 422, "budget_requested")
        assert_refused(propose(api, district.proposer, call, budget_requested=0), 422, "budget_requested")
        assert_refused(propose(api, district.proposer, call, tier=2**31 - 1), 422, "tier")
        assert_refused(propose(api, district.proposer, call, title=""), 422, "title")


def test_an_edit_above_the_tier_changes_nothing(api, district, make_call, make_proposal, unchanged):
    call = make_call()
    proposal = make_proposal(call)
    with unchanged():
        assert_refused(api(district.proposer).patch(f"/api/v1/proposals/{proposal.id}",
                                                    json={"budget_requested": 50000}), 422, "budget_requested")


@pytest.fixture
def reviewing(district, make_call, make_proposal, name_reviewer, db_session):
    call = make_call()
    proposal = make_proposal(call)
    move_to(db_session, call, "reviewing")
    name_reviewer(call, district.reviewer)
    name_reviewer(call, district.conflicted)
    return call, proposal


@pytest.mark.parametrize("phase", ["open", "after"])
def test_a_review_outside_the_window_is_refused(api, district, reviewing, db_session, unchanged, phase):
    call, proposal = reviewing
    move_to(db_session, call, phase)
    body = {"scores": scores(call)}
    with unchanged():
        assert_refused(api(district.reviewer).post(f"/api/v1/proposals/{proposal.id}/reviews", json=body), 409)


def test_a_review_with_a_missing_criterion_or_a_score_outside_0_10_is_refused(api, district, reviewing, unchanged):
    call, proposal = reviewing
    full = scores(call)
    missing = dict(list(full.items())[:-1])
    with unchanged():
        path = f"/api/v1/proposals/{proposal.id}/reviews"
        assert_refused(api(district.reviewer).post(path, json={"scores": missing}), 422, "scores")
        assert_refused(api(district.reviewer).post(path, json={"scores": {**full, "999999": 5}}), 422, "scores")
        for bad in (11, -1, 7.5, "7"):
            assert_refused(api(district.reviewer).post(path, json={"scores": {**full, next(iter(full)): bad}}), 422,
                           "scores")


def test_a_reviewer_with_a_conflict_of_interest_is_refused(api, district, reviewing, unchanged):
    call, proposal = reviewing
    with unchanged():
        problem = assert_refused(api(district.conflicted).post(f"/api/v1/proposals/{proposal.id}/reviews",
                                                               json={"scores": scores(call)}), 409)
        assert problem["detail"]
        # not on the panel: may see the proposal (its proposer), may not score it
        assert_refused(api(district.proposer).post(f"/api/v1/proposals/{proposal.id}/reviews",
                                                   json={"scores": scores(call)}), 403)


def test_the_conflict_rule_covers_the_unions_between_the_proposer_and_the_call(district, make_call, make_proposal,
                                                                                grant, make_user):
    call = make_call(tenant=district.t["pd"])  # a district-wide call; the proposal comes from pd-s-c1
    proposal = make_proposal(call)
    street, district_officer, sibling = make_user("street-officer"), make_user("district-officer"), make_user("sib")
    grant(street, "member_reviewer", district.t["pd-s"])  # between pd-s-c1 and pd
    grant(district_officer, "member_reviewer", district.t["pd"])  # at the call's own union
    grant(sibling, "member_reviewer", district.t["pd-s-c2"])
    assert services.conflicted(street, proposal)
    assert services.conflicted(district.proposer, proposal)
    assert not services.conflicted(district_officer, proposal)
    assert not services.conflicted(sibling, proposal)


@pytest.fixture
def to_decide(district, make_call, make_proposal, db_session):
    call = make_call(budget_total=60000)
    a = call.tiers[0]
    one = make_proposal(call, tier=a, title="One")
    two = make_proposal(call, user=district.proposer2, tenant=district.t["pd-s-c2"], tier=a, title="Two")
    move_to(db_session, call, "after")
    return call, a.id, one, two


def test_a_decision_over_budget_is_refused(api, district, to_decide, unchanged):
    call, tier, one, two = to_decide
    with unchanged():
        assert_refused(api(district.organiser).post(f"/api/v1/project-calls/{call.id}/decide", json={"awards": [
            {"proposal": one.id, "tier": tier}, {"proposal": two.id, "tier": tier}]}), 422, "awards")
        assert_refused(api(district.organiser).post(f"/api/v1/project-calls/{call.id}/decide", json={"awards": [
            {"proposal": one.id, "tier": tier}, {"proposal": one.id, "tier": tier}]}), 422, "awards")
        assert_refused(api(district.organiser).post(f"/api/v1/project-calls/{call.id}/decide", json={"awards": [
            {"proposal": 2**31 - 1, "tier": tier}]}), 422, "awards")
        assert_refused(api(district.organiser).post(f"/api/v1/project-calls/{call.id}/decide", json={}), 422, "awards")


def test_a_decision_before_the_review_closes_is_refused(api, district, to_decide, db_session, unchanged):
    call, tier, one, _two = to_decide
    move_to(db_session, call, "reviewing")
    with unchanged():
        assert_refused(api(district.organiser).post(f"/api/v1/project-calls/{call.id}/decide", json={"awards": [
            {"proposal": one.id, "tier": tier}]}), 409)


def test_a_second_decision_is_refused(api, district, to_decide, unchanged):
    call, tier, one, two = to_decide
    organiser = api(district.organiser)
    assert organiser.post(f"/api/v1/project-calls/{call.id}/decide", json={"awards": [
        {"proposal": one.id, "tier": tier}]}).status_code == 200
    with unchanged():
        assert_refused(organiser.post(f"/api/v1/project-calls/{call.id}/decide", json={"awards": [
            {"proposal": two.id, "tier": tier}]}), 409)


@pytest.fixture
def funded(api, district, to_decide):
    call, tier, one, _two = to_decide
    assert api(district.organiser).post(f"/api/v1/project-calls/{call.id}/decide", json={"awards": [
        {"proposal": one.id, "tier": tier}]}).status_code == 200
    return call, one


def test_milestones_beyond_the_grant_are_refused(api, district, funded, to_decide, unchanged):
    call, proposal = funded
    organiser = api(district.organiser)
    path = f"/api/v1/proposals/{proposal.id}/milestones"
    assert organiser.post(path, json={"title": "First", "amount": 30000, "due_on": "2030-01-01"}).status_code == 201
    with unchanged():
        assert_refused(organiser.post(path, json={"title": "Too much", "amount": "20000.01", "due_on": "2030-02-01"}),
                       422, "amount")
        assert_refused(organiser.post(path, json={"title": "Bad day", "amount": 1, "due_on": "someday"}), 422,
                       "due_on")
        declined = to_decide[3]
        assert_refused(organiser.post(f"/api/v1/proposals/{declined.id}/milestones",
                                      json={"title": "No", "amount": 1, "due_on": "2030-02-01"}), 409)


def test_approving_an_unreported_milestone_is_refused(api, district, funded, unchanged):
    call, proposal = funded
    organiser = api(district.organiser)
    milestone = organiser.post(f"/api/v1/proposals/{proposal.id}/milestones",
                               json={"title": "First", "amount": 30000, "due_on": "2030-01-01"}).json
    with unchanged():
        assert_refused(organiser.post(f"/api/v1/milestones/{milestone['id']}/approve"), 409)
        assert_refused(organiser.post(f"/api/v1/milestones/{milestone['id']}/return", json={"reason": "x"}), 409)
        assert_refused(organiser.post(f"/api/v1/milestones/{milestone['id']}/return", json={}), 422, "reason")
        assert_refused(api(district.proposer).post(f"/api/v1/milestones/{milestone['id']}/report", json={}), 422,
                       "text")
        # an activity of another union is no evidence of this project
        assert_refused(api(district.proposer).post(f"/api/v1/milestones/{milestone['id']}/report",
                                                   json={"text": "x", "activities": [2**31 - 1]}), 422, "activities")
        # someone who sees the project without proposing for its union does not report it
        assert_refused(api(district.partner).post(f"/api/v1/milestones/{milestone['id']}/report",
                                                  json={"text": "x"}), 404)


def test_an_attachment_of_a_refused_kind_is_refused(api, district, make_call, make_proposal, unchanged):
    import io

    call = make_call()
    proposal = make_proposal(call)
    with unchanged():
        response = api(district.proposer).post(f"/api/v1/proposals/{proposal.id}/attachments",
                                               data={"file": (io.BytesIO(b"MZ\x90\x00binary"), "run.exe")})
        assert_refused(response, 422, "file")
        response = api(district.proposer).post(f"/api/v1/proposals/{proposal.id}/attachments",
                                               data={"file": (io.BytesIO(b"not a pdf"), "plan.pdf")})
        assert_refused(response, 422, "file")


# --- the pages: the form comes back with what was typed and the messages -------------------------

def test_the_call_form_is_shown_again_with_what_was_typed(login, district, unchanged):
    client = login(district.organiser)
    form = {"title": "Call 2026", "budget_total": "100000", "opens_at": "2030-01-01T09:00",
            "closes_at": "2030-02-01T09:00", "review_closes_at": "2030-03-01T09:00", "tier_name_0": "A",
            "tier_amount_0": "50000", "crit_name_0": "Need", "crit_weight_0": "60", "crit_name_1": "Reach",
            "crit_weight_1": "30", "status": "published"}
    with unchanged():
        response = client.post("/manage/pd-s/projects/new", data=form)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'value="Call 2026"' in html and 'value="Reach"' in html
    assert "90" in html and 'class="field has-error"' in html


def test_the_proposal_form_is_shown_again_above_its_tier(login, district, make_call, unchanged):
    call = make_call()
    services.load_lists(db.session, [call])
    tier = call.tiers[2]
    client = login(district.proposer)
    with unchanged():
        response = client.post(f"/projects/calls/{call.id}/propose", data={
            "tenant": "pd-s-c1", "title": "Tea corner", "summary": "Tea", "budget_requested": "6000",
            "tier": str(tier.id)})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'value="Tea corner"' in html and "5,000" in html


def test_the_scoring_page_shows_a_score_outside_0_10_again(login, district, reviewing, unchanged):
    call, proposal = reviewing
    services.load_lists(db.session, [call])
    first = call.criteria[0]
    client = login(district.reviewer)
    with unchanged():
        response = client.post(f"/projects/proposals/{proposal.id}/review", data={f"score-{first.id}": "12"})
    assert response.status_code == 422
    assert 'value="12"' in response.get_data(as_text=True)
