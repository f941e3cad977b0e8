"""API of calls for community projects (API.md, Calls for community projects)."""
from flask_login import current_user

from union_saas.access.guards import record_view, signed_in, tenant_view
from union_saas.core import files, jobs
from union_saas.core.api import Blueprint
from union_saas.core.pagination import paginate, page_schema
from union_saas.extensions import db
from union_saas.projects import schemas, services, tasks
from union_saas.projects.schemas import (
    attachment_doc,
    call_doc,
    funded_doc,
    ledger_item,
    milestone_doc,
    proposal_doc,
    review_doc,
)
from union_saas.projects.models import yuan

blp = Blueprint("projects_api", __name__, url_prefix="/api/v1", description="Calls for community projects")
MANAGE = "project.manage"


# --- calls ----------------------------------------------------------------------------------------------

@blp.route("/tenants/<slug>/project-calls", methods=["POST"])
@blp.arguments(schemas.CallCreateSchema)
@blp.response(201, schemas.CallSchema)
@blp.alt_response(422, description="Weights not summing to 100, no tier, closes before opens")
@tenant_view(MANAGE)
def create_call(data, tenant):
    return call_doc(services.create_call(db.session, current_user, tenant, data))


@blp.route("/tenants/<slug>/project-calls", methods=["GET"])
@blp.arguments(schemas.PageArgs, location="query")
@blp.response(200, page_schema(schemas.CallSchema))
@tenant_view(MANAGE)
def list_managed_calls(args, tenant):
    """Calls of this union and every union below it, drafts included."""
    page = paginate(db.session, services.managed_calls_stmt(tenant), args["page"], args["per_page"])
    services.load_lists(db.session, page.items)
    return page.doc([call_doc(c) for c in page.items])


@blp.route("/project-calls", methods=["GET"])
@blp.arguments(schemas.CallListArgs, location="query")
@blp.response(200, page_schema(schemas.CallSchema))
@signed_in
def list_calls(args):
    """The calls the caller sees (``open=1``: those taking proposals now)."""
    page = paginate(db.session, services.calls_stmt(db.session, current_user, open_only=args["open"]),
                    args["page"], args["per_page"])
    services.load_lists(db.session, page.items)
    return page.doc([call_doc(c) for c in page.items])


@blp.route("/project-calls/<int:call_id>", methods=["GET"])
@blp.response(200, schemas.CallSchema)
@record_view("project_call")
def get_call(project_call):
    return call_doc(project_call)


@blp.route("/project-calls/<int:call_id>/publish", methods=["POST"])
@blp.response(200, schemas.CallSchema)
@blp.alt_response(409, description="Not a draft")
@record_view("project_call", MANAGE)
def publish_call(project_call):
    return call_doc(services.publish_call(db.session, current_user, project_call))


# --- proposals ------------------------------------------------------------------------------------------

@blp.route("/project-calls/<int:call_id>/proposals", methods=["POST"])
@blp.arguments(schemas.ProposalCreateSchema)
@blp.response(201, schemas.ProposalSchema)
@blp.alt_response(403, description="No project.propose at that union")
@blp.alt_response(409, description="Not open: before opens_at or after closes_at")
@blp.alt_response(422, description="Budget above the tier's amount, a union outside the call's subtree")
@record_view("project_call")
def submit_proposal(data, project_call):
    return proposal_doc(services.submit_proposal(db.session, current_user, project_call, data), [])


@blp.route("/project-calls/<int:call_id>/proposals", methods=["GET"])
@blp.arguments(schemas.ProposalListArgs, location="query")
@blp.response(200, page_schema(schemas.ProposalSchema))
@record_view("project_call")
def list_proposals(args, project_call):
    """All of them for organisers and, until the decision, reviewers; proposers see their own."""
    stmt = services.proposals_stmt(db.session, current_user, project_call, status=args.get("status"))
    page = paginate(db.session, stmt, args["page"], args["per_page"])
    return page.doc([proposal_doc(p) for p in page.items])


@blp.route("/proposals/<int:proposal_id>", methods=["GET"])
@blp.response(200, schemas.ProposalSchema)
@record_view("proposal")
def get_proposal(proposal):
    return proposal_doc(proposal, services.attachments(db.session, proposal))


@blp.route("/proposals/<int:proposal_id>", methods=["PATCH"])
@blp.arguments(schemas.ProposalPatchSchema)
@blp.response(200, schemas.ProposalSchema)
@blp.alt_response(409, description="After closes_at, or withdrawn")
@record_view("proposal")
def patch_proposal(data, proposal):
    return proposal_doc(services.update_proposal(db.session, current_user, proposal, data))


@blp.route("/proposals/<int:proposal_id>/withdraw", methods=["POST"])
@blp.response(200, schemas.ProposalSchema)
@blp.alt_response(409, description="After closes_at, or withdrawn already")
@record_view("proposal")
def withdraw(proposal):
    return proposal_doc(services.withdraw(db.session, current_user, proposal))


@blp.route("/proposals/<int:proposal_id>/attachments", methods=["POST"])
@blp.arguments(schemas.ProjectFileSchema, location="files")
@blp.response(201, schemas.ProjectAttachmentSchema)
@blp.alt_response(409, description="After closes_at (before funding), withdrawn or declined")
@record_view("proposal")
def upload_attachment(upload, proposal):
    """A file of the proposal (PDF, images, Office documents; 10 MB), or evidence for a milestone's report."""
    return attachment_doc(services.add_attachment(db.session, current_user, proposal, upload["file"]))


@blp.route("/project-attachments/<int:attachment_id>", methods=["GET"])
@blp.response(200, description="The file (a download)")
@record_view("project_attachment")
def download_attachment(project_attachment):
    return files.send(files.get(db.session, project_attachment.file_id))


# --- the panel -------------------------------------------------------------------------------------------

@blp.route("/project-calls/<int:call_id>/reviewers", methods=["POST"])
@blp.arguments(schemas.ReviewerIn)
@blp.response(201, schemas.ReviewerSchema)
@blp.alt_response(409, description="On the panel already, or the call is decided")
@record_view("project_call", MANAGE)
def add_reviewer(data, project_call):
    row = services.add_reviewer(db.session, current_user, project_call, data["username"])
    return {"id": row.id, "username": row.user.username, "display_name": row.user.display_name}


@blp.route("/project-calls/<int:call_id>/reviewers", methods=["GET"])
@blp.response(200, schemas.ReviewerSchema(many=True))
@record_view("project_call", MANAGE)
def list_reviewers(project_call):
    return [{"id": r.id, "username": r.user.username, "display_name": r.user.display_name}
            for r in services.reviewers(db.session, project_call)]


@blp.route("/proposals/<int:proposal_id>/reviews", methods=["POST"])
@blp.arguments(schemas.ReviewIn)
@blp.response(201, schemas.ReviewSchema)
@blp.alt_response(403, description="Not a reviewer of the call")
@blp.alt_response(409, description="Outside the review window, or a conflict of interest")
@blp.alt_response(422, description="A missing criterion, or a score outside 0-10")
@record_view("proposal")
def review(data, proposal):
    row = services.review(db.session, current_user, proposal, data)
    row.reviewer = current_user._get_current_object()
    return review_doc(row)


@blp.route("/proposals/<int:proposal_id>/reviews", methods=["GET"])
@blp.response(200, schemas.ReviewSchema(many=True))
@record_view("proposal", MANAGE)
def list_reviews(proposal):
    return [review_doc(r) for r in services.reviews_of(db.session, proposal)]


@blp.route("/project-calls/<int:call_id>/ranking", methods=["GET"])
@blp.response(200, schemas.RankingSchema)
@record_view("project_call", MANAGE)
def ranking(project_call):
    rows = services.ranking(db.session, project_call)
    suggested = services.suggest(project_call, rows)
    items = []
    for proposal, _score, spread, count in rows:
        tier = suggested.get(proposal.id)
        items.append({**proposal_doc(proposal), "spread": spread, "reviews": count,
                      "suggested_tier": tier.id if tier else None})
    return {"items": items, "total": len(items), "budget_total": yuan(project_call.budget_total),
            "suggested_total": yuan(sum(t.amount for t in suggested.values() if t)) or 0}


@blp.route("/project-calls/<int:call_id>/decide", methods=["POST"])
@blp.arguments(schemas.DecideIn)
@blp.response(200, schemas.CallSchema)
@blp.alt_response(409, description="Decided already, or before review_closes_at")
@blp.alt_response(422, description="The awards exceed budget_total, or name what is not in the call")
@record_view("project_call", MANAGE)
def decide(data, project_call):
    return call_doc(services.decide(db.session, current_user, project_call, data["awards"]))


# --- delivery ----------------------------------------------------------------------------------------------

@blp.route("/proposals/<int:proposal_id>/milestones", methods=["POST"])
@blp.arguments(schemas.MilestoneIn)
@blp.response(201, schemas.MilestoneSchema)
@blp.alt_response(409, description="Not funded")
@blp.alt_response(422, description="The milestones would exceed the granted amount")
@record_view("proposal", MANAGE)
def add_milestone(data, proposal):
    return milestone_doc(services.add_milestone(db.session, current_user, proposal, data))


@blp.route("/proposals/<int:proposal_id>/milestones", methods=["GET"])
@blp.response(200, schemas.MilestoneSchema(many=True))
@record_view("proposal")
def list_milestones(proposal):
    rows = services.milestones_of(db.session, [proposal.id])[proposal.id]
    for m in rows:
        m.proposal = proposal
    return [milestone_doc(m) for m in rows]


@blp.route("/milestones/<int:milestone_id>/report", methods=["POST"])
@blp.arguments(schemas.ReportIn)
@blp.response(200, schemas.MilestoneSchema)
@blp.alt_response(403, description="Not the proposer")
@blp.alt_response(409, description="Reported or approved already")
@record_view("milestone")
def report_milestone(data, milestone):
    return milestone_doc(services.report_milestone(db.session, current_user, milestone, data))


@blp.route("/milestones/<int:milestone_id>/approve", methods=["POST"])
@blp.response(200, schemas.MilestoneSchema)
@blp.alt_response(409, description="Not reported (nothing to approve)")
@record_view("milestone", MANAGE)
def approve_milestone(milestone):
    return milestone_doc(services.approve_milestone(db.session, current_user, milestone))


@blp.route("/milestones/<int:milestone_id>/return", methods=["POST"])
@blp.arguments(schemas.ReturnIn)
@blp.response(200, schemas.MilestoneSchema)
@blp.alt_response(409, description="Not reported")
@record_view("milestone", MANAGE)
def return_milestone(data, milestone):
    return milestone_doc(services.return_milestone(db.session, current_user, milestone, data["reason"]))


@blp.route("/project-calls/<int:call_id>/ledger", methods=["GET"])
@blp.arguments(schemas.PageArgs, location="query")
@blp.response(200, schemas.LedgerSchema)
@record_view("project_call", MANAGE)
def ledger(args, project_call):
    page = paginate(db.session, services.funded_stmt(project_call), args["page"], args["per_page"])
    totals = services.ledger_totals(db.session, project_call)
    return {**page.doc([ledger_item(p) for p in page.items]), "budget_total": yuan(project_call.budget_total),
            **{k: yuan(v) for k, v in totals.items()}}


@blp.route("/project-calls/<int:call_id>/ledger/export", methods=["POST"])
@blp.response(202, schemas.JobAcceptedSchema)
@record_view("project_call", MANAGE)
def export_ledger(project_call):
    """The ledger as .xlsx (a job: ``GET /api/v1/jobs/<job>``, then its file)."""
    record = jobs.submit(db.session, tasks.export_ledger, project_call.id, owner=current_user,
                         tenant=project_call.tenant)
    return {"job": record.id}


@blp.route("/project-calls/<int:call_id>/funded", methods=["GET"])
@blp.arguments(schemas.PageArgs, location="query")
@blp.response(200, page_schema(schemas.FundedSchema))
@record_view("project_call")
def funded(args, project_call):
    """The funded projects with their tiers and progress, once decided (empty before)."""
    if project_call.status != "decided":
        return {"items": [], "page": args["page"], "per_page": args["per_page"], "total": 0}
    page = paginate(db.session, services.funded_stmt(project_call), args["page"], args["per_page"])
    return page.doc([funded_doc(p) for p in page.items])


