"""The projects endpoints in the isolation matrix, around a call of union a-s1 (scope: its subtree) and a
proposal of its child a-s1-c1.

Who sees the call: its organisers (project.manage at a-s1 or above), whoever may propose in its subtree
(the officer of a-s1, the child's admin), its reviewers, and the members of a-s1 and a-s1-c1. Who sees the
proposal: its proposers (project.propose at a-s1-c1 or above), the organisers, and the reviewers until the
decision.
"""
import io

from tests.isolation.world import Case, everyone, managed

PDF = b"%PDF-1.4 a plan"

# the four who see a proposal of a-s1-c1
SEE = {"anonymous": 401, "plain": 404, "own_admin": 200, "own_officer": 200, "parent_admin": 200,
       "child_admin": 200, "sibling_admin": 404, "other_fed_admin": 404, "operator": 404}


def seeing(status):
    return {k: (status if v == 200 else v) for k, v in SEE.items()}


def organisers(status):
    """project.manage at the call's union (a-s1) or above; the officer and the child's admin manage the
    proposing union: 403."""
    return {**seeing(status), "own_officer": 403, "child_admin": 403}


def _call(world, session, phase="open", status="published"):
    from tests.projects.conftest import call_body, move_to
    from union_saas.projects import schemas, services

    data = schemas.CallCreateSchema().load(call_body(status=status))
    call = services.create_call(session, world.users["own_admin"], world.tenants["a-s1"], data)
    move_to(session, call, phase)
    return call


def _proposal(world, session, call, status="submitted"):
    from union_saas.projects.models import Proposal

    tier = call.tiers[1]
    child = world.tenants["a-s1-c1"]
    proposal = Proposal(call_id=call.id, tenant_id=child.id, root_id=child.root_id, title="Reading room",
                        summary="Books", plan="Nightly", budget_requested=tier.amount, tier_id=tier.id, status=status,
                        granted=tier.amount if status == "funded" else 0, planned=0, disbursed=0,
                        created_by_id=world.users["child_admin"].id)
    session.add(proposal)
    session.flush()
    return proposal


def an_open_call(world, session):
    call = _call(world, session)
    return {"call_id": call.id, "tier_id": call.tiers[1].id}


def a_draft_call(world, session):
    return {"call_id": _call(world, session, status="draft").id}


def a_proposal(world, session):
    from union_saas.core import files
    from union_saas.projects.models import Attachment

    call = _call(world, session)
    proposal = _proposal(world, session, call)
    row = files.save(session, PDF, filename="plan.pdf", content_type="application/pdf")
    attachment = Attachment(proposal_id=proposal.id, file_id=row.id)
    session.add(attachment)
    session.flush()
    return {"call_id": call.id, "proposal_id": proposal.id, "attachment_id": attachment.id}


def under_review(world, session):
    """A call under review; own_admin, child_admin (conflicted: a grant at the proposing union) and plain review."""
    from union_saas.projects.models import CallReviewer

    call = _call(world, session)
    proposal = _proposal(world, session, call)
    from tests.projects.conftest import move_to

    move_to(session, call, "reviewing")
    for name in ("own_admin", "child_admin", "plain"):
        session.add(CallReviewer(call_id=call.id, user_id=world.users[name].id))
    session.flush()
    return {"call_id": call.id, "proposal_id": proposal.id,
            "scores": {str(c.id): 7 for c in call.criteria}}


def to_decide(world, session):
    from tests.projects.conftest import move_to

    call = _call(world, session)
    proposal = _proposal(world, session, call)
    move_to(session, call, "after")
    return {"call_id": call.id, "proposal_id": proposal.id, "tier_id": call.tiers[1].id}


def a_funded_project(world, session, milestone_status="planned"):
    from datetime import date

    from tests.projects.conftest import move_to
    from union_saas.projects.models import Milestone

    call = _call(world, session)
    proposal = _proposal(world, session, call, status="funded")
    move_to(session, call, "after")
    call.status, call.granted_total = "decided", proposal.granted
    proposal.awarded_tier_id = proposal.tier_id
    proposal.planned = 100000
    milestone = Milestone(proposal_id=proposal.id, call_id=call.id, title="Opening", amount=100000,
                          due_on=date(2030, 1, 1), status=milestone_status, activity_ids=[], report_text="")
    session.add(milestone)
    session.flush()
    return {"call_id": call.id, "proposal_id": proposal.id, "milestone_id": milestone.id}


def a_reported_milestone(world, session):
    return a_funded_project(world, session, "reported")


def pdf():
    return {"file": (io.BytesIO(PDF), "plan.pdf")}


def pdfs():
    return {"files": (io.BytesIO(PDF), "photo.pdf")}


def new_call(world):
    from tests.projects.conftest import call_body

    return call_body()


def new_call_form(world):
    return {"title": "Call", "budget_total": "100000", "opens_at": "2030-01-01T09:00", "closes_at": "2030-02-01T09:00",
            "review_closes_at": "2030-03-01T09:00", "tier_name_0": "A", "tier_amount_0": "50000",
            "crit_name_0": "Need", "crit_weight_0": "100", "status": "published"}


def proposal_body(world):
    return {"tenant": "a-s1-c1", "title": "Reading room", "summary": "Books", "plan": "Nightly",
            "budget_requested": 1000, "tier": world.extra["tier_id"]}


def proposal_form(world):
    return {"tenant": "a-s1-c1", "title": "Reading room", "summary": "Books", "budget_requested": "1000",
            "tier": str(world.extra["tier_id"])}


def review_form(world):
    return {f"score-{k}": str(v) for k, v in world.extra["scores"].items()}


C = "/api/v1/project-calls/{call_id}"
P = "/api/v1/proposals/{proposal_id}"
MS = "/api/v1/milestones/{milestone_id}"
REVIEW = {**seeing(201), "own_officer": 403, "parent_admin": 403, "child_admin": 409, "plain": 201}
REVIEW_PAGE = {**seeing(302), "own_officer": 403, "parent_admin": 403, "child_admin": 409, "plain": 302}
# the call: seen by whom the proposal is seen by (its organisers and proposers), and the members of its subtree
CALL = dict(audience="subtree")

CASES = [
    Case("projects_api.create_call", "POST", "/api/v1/tenants/{own}/project-calls", managed(201, officer=403),
         body=new_call),
    Case("projects_api.list_managed_calls", "GET", "/api/v1/tenants/{own}/project-calls", managed(200, officer=403),
         setup=an_open_call),
    Case("projects_api.list_calls", "GET", "/api/v1/project-calls", everyone(200), setup=an_open_call),
    Case("projects_api.get_call", "GET", C, SEE, setup=an_open_call, **CALL),
    Case("projects_api.publish_call", "POST", C + "/publish", managed(200, officer=403), setup=a_draft_call),
    Case("projects_api.submit_proposal", "POST", C + "/proposals", seeing(201), setup=an_open_call,
         body=proposal_body, member_ok=403, **CALL),
    Case("projects_api.list_proposals", "GET", C + "/proposals", SEE, setup=a_proposal, **CALL),
    Case("projects_api.get_proposal", "GET", P, SEE, setup=a_proposal),
    Case("projects_api.patch_proposal", "PATCH", P, SEE, setup=a_proposal, body={"title": "Renamed"}),
    Case("projects_api.withdraw", "POST", P + "/withdraw", SEE, setup=a_proposal),
    Case("projects_api.upload_attachment", "POST", P + "/attachments", seeing(201), setup=a_proposal, files=pdf),
    Case("projects_api.download_attachment", "GET", "/api/v1/project-attachments/{attachment_id}", SEE,
         setup=a_proposal),
    Case("projects_api.add_reviewer", "POST", C + "/reviewers", managed(201, officer=403), setup=an_open_call,
         body={"username": "plain"}),
    Case("projects_api.list_reviewers", "GET", C + "/reviewers", managed(200, officer=403), setup=under_review),
    Case("projects_api.review", "POST", P + "/reviews", REVIEW, setup=under_review,
         body=lambda w: {"scores": w.extra["scores"]}),
    Case("projects_api.list_reviews", "GET", P + "/reviews", organisers(200), setup=under_review),
    Case("projects_api.ranking", "GET", C + "/ranking", managed(200, officer=403), setup=under_review),
    Case("projects_api.decide", "POST", C + "/decide", managed(200, officer=403), setup=to_decide,
         body=lambda w: {"awards": [{"proposal": w.extra["proposal_id"], "tier": w.extra["tier_id"]}]}),
    Case("projects_api.add_milestone", "POST", P + "/milestones", organisers(201), setup=a_funded_project,
         body={"title": "Half a year", "amount": 500, "due_on": "2030-06-01"}),
    Case("projects_api.list_milestones", "GET", P + "/milestones", SEE, setup=a_funded_project),
    Case("projects_api.report_milestone", "POST", MS + "/report", SEE, setup=a_funded_project,
         body={"text": "Opened"}),
    Case("projects_api.approve_milestone", "POST", MS + "/approve", organisers(200), setup=a_reported_milestone),
    Case("projects_api.return_milestone", "POST", MS + "/return", organisers(200), setup=a_reported_milestone,
         body={"reason": "Photos, please"}),
    Case("projects_api.ledger", "GET", C + "/ledger", managed(200, officer=403), setup=a_funded_project),
    Case("projects_api.export_ledger", "POST", C + "/ledger/export", managed(202, officer=403),
         setup=a_funded_project),
    Case("projects_api.funded", "GET", C + "/funded", SEE, setup=a_funded_project, audience="subtree"),
    # pages: the proposers' and the panel's
    Case("projects.calls_page", "GET", "/projects", everyone(200), page=True, setup=an_open_call),
    Case("projects.call_page", "GET", "/projects/calls/{call_id}", SEE, page=True, setup=a_funded_project, **CALL),
    Case("projects.propose", "GET", "/projects/calls/{call_id}/propose", SEE, page=True, setup=an_open_call, **CALL),
    Case("projects.propose", "POST", "/projects/calls/{call_id}/propose", seeing(302), page=True, setup=an_open_call,
         body=proposal_form, member_ok=403, **CALL),
    Case("projects.proposal_page", "GET", "/projects/proposals/{proposal_id}", SEE, page=True, setup=a_proposal),
    Case("projects.proposal_page", "GET", "/projects/proposals/{proposal_id}", SEE, page=True,
         setup=a_reported_milestone, id="funded"),
    Case("projects.edit_proposal", "GET", "/projects/proposals/{proposal_id}/edit", SEE, page=True, setup=a_proposal),
    Case("projects.edit_proposal", "POST", "/projects/proposals/{proposal_id}/edit", seeing(302), page=True,
         setup=a_proposal, body={"title": "Renamed", "summary": "Books", "budget_requested": "100"}),
    Case("projects.withdraw", "POST", "/projects/proposals/{proposal_id}/withdraw", seeing(302), page=True,
         setup=a_proposal),
    Case("projects.upload", "POST", "/projects/proposals/{proposal_id}/attachments", seeing(302), page=True,
         setup=a_proposal, files=pdf),
    Case("projects.attachment", "GET", "/projects/attachments/{attachment_id}", SEE, page=True, setup=a_proposal),
    Case("projects.review", "GET", "/projects/proposals/{proposal_id}/review", {**SEE, "plain": 200}, page=True,
         setup=under_review),
    Case("projects.review", "POST", "/projects/proposals/{proposal_id}/review", REVIEW_PAGE, page=True,
         setup=under_review, body=review_form),
    Case("projects.report", "POST", "/projects/milestones/{milestone_id}/report", seeing(302), page=True,
         setup=a_funded_project, body={"text": "Opened"}, files=pdfs),
    # pages: the organisers'
    Case("projects.manage_calls", "GET", "/manage/{own}/projects", managed(200, officer=403), page=True,
         setup=an_open_call),
    Case("projects.proposer_home", "GET", "/manage/{own}/projects/proposals", managed(200), page=True,
         setup=a_proposal),
    Case("projects.create_call", "GET", "/manage/{own}/projects/new", managed(200, officer=403), page=True),
    Case("projects.create_call", "POST", "/manage/{own}/projects/new", managed(302, officer=403), page=True,
         body=new_call_form),
    Case("projects.manage_call", "GET", "/manage/projects/calls/{call_id}", managed(200, officer=403), page=True,
         setup=under_review),
    Case("projects.publish_call", "POST", "/manage/projects/calls/{call_id}/publish", managed(302, officer=403),
         page=True, setup=a_draft_call),
    Case("projects.add_reviewer", "POST", "/manage/projects/calls/{call_id}/reviewers", managed(302, officer=403),
         page=True, setup=an_open_call, body={"username": "plain"}),
    Case("projects.decide", "POST", "/manage/projects/calls/{call_id}/decide", managed(302, officer=403), page=True,
         setup=to_decide, body=lambda w: {f"tier-{w.extra['proposal_id']}": str(w.extra["tier_id"])}),
    Case("projects.ledger", "GET", "/manage/projects/calls/{call_id}/ledger", managed(200, officer=403), page=True,
         setup=a_funded_project),
    Case("projects.export_ledger", "POST", "/manage/projects/calls/{call_id}/ledger/export",
         managed(302, officer=403), page=True, setup=a_funded_project),
    Case("projects.add_milestone", "POST", "/manage/projects/proposals/{proposal_id}/milestones", organisers(302),
         page=True, setup=a_funded_project, body={"title": "Half", "amount": "500", "due_on": "2030-06-01"}),
    Case("projects.approve_milestone", "POST", "/manage/projects/milestones/{milestone_id}/approve",
         organisers(302), page=True, setup=a_reported_milestone),
    Case("projects.return_milestone", "POST", "/manage/projects/milestones/{milestone_id}/return",
         organisers(302), page=True, setup=a_reported_milestone, body={"reason": "Photos"}),
]
