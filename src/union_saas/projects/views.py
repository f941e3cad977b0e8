"""Pages of calls for community projects: proposers (their union's tab, the call, the proposal), the panel
(scoring), the organisers (calls, ranking, decision, milestones, ledger). Every page has its API twin."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from union_saas.access import engine
from union_saas.access.guards import record_view, signed_in, tenant_view
from union_saas.core import files, jobs
from union_saas.core.forms import form_page, load, local_time
from union_saas.core.i18n import zone_of
from union_saas.core.pagination import paginate
from union_saas.extensions import db
from union_saas.projects import schemas, services, tasks
from union_saas.projects.models import yuan_text
from union_saas.tenancy import sections

bp = Blueprint("projects", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/projects")

TIER_ROWS, CRITERION_ROWS = 4, 6

sections.manage_tab("projects.manage_calls", _l("Project calls"), "project.manage", 60,
                    count=lambda tenant: services.waiting_count(db.session, tenant))
sections.manage_tab("projects.proposer_home", _l("Our projects"), "project.propose", 61,
                    count=lambda tenant: services.proposer_waiting_count(db.session, tenant))
sections.service("projects", 60, _l("Community projects"),
                 lambda user: url_for("projects.calls_page") if getattr(user, "is_authenticated", False) else None)


@bp.app_template_filter("yuan")
def yuan_filter(fen):
    return yuan_text(fen)


def _local(value, tenant):
    return value.astimezone(zone_of(tenant)).strftime("%Y-%m-%dT%H:%M") if value else ""


def _aware(value, tenant):
    value = (value or "").strip()
    return local_time(value, zone_of(tenant)) if value else None


# --- what members and proposers see --------------------------------------------------------------------

@bp.route("/projects")
@signed_in
def calls_page():
    """The calls I see: open ones to propose to, decided ones with their funded projects."""
    only_open = request.args.get("open") == "1"
    page = paginate(db.session, services.calls_stmt(db.session, current_user, open_only=only_open),
                    request.args.get("page", 1, type=int), 30)
    return render_template("projects/calls.html", page=page, only_open=only_open, now=services.utcnow())


def call_context(call):
    stmt = services.proposals_stmt(db.session, current_user, call)
    proposals = paginate(db.session, stmt, request.args.get("page", 1, type=int), 50)
    funded = (paginate(db.session, services.funded_stmt(call), request.args.get("fpage", 1, type=int), 100)
              if call.status == "decided" else None)
    return {"call": call, "tenant": call.tenant, "proposals": proposals, "funded": funded, "now": services.utcnow(),
            "organiser": services.organises(current_user, call),
            "reviewer": call.id in services.reviewer_calls(db.session, current_user),
            "may_propose": call.accepting() and services.proposes_under(current_user, call.tenant)}


@bp.route("/projects/calls/<int:call_id>")
@record_view("project_call")
def call_page(project_call):
    return render_template("projects/call.html", **call_context(project_call))


def proposal_form(form, tenant_field=True):
    data = {name: (form.get(name) or "").strip() for name in ("title", "summary", "plan", "budget_requested")}
    if tenant_field:
        data["tenant"] = (form.get("tenant") or "").strip()
    tier = (form.get("tier") or "").strip()
    data["tier"] = tier if tier else None
    return {k: v for k, v in data.items() if v not in ("", None) or k in ("title", "summary", "budget_requested")}


def render_propose(project_call, *, values=None, errors=None, detail=None):
    tenants = services.proposer_tenants(db.session, current_user, project_call)
    return render_template("projects/propose.html", call=project_call, tenant=project_call.tenant,
                           tenants=tenants, values=values or {}, errors=errors or {}, detail=detail)


@bp.route("/projects/calls/<int:call_id>/propose", methods=["GET", "POST"])
@record_view("project_call")
@form_page(render_propose)
def propose(project_call):
    if request.method == "GET":
        tenants = services.proposer_tenants(db.session, current_user, project_call)
        return render_propose(project_call, values={"tenant": request.args.get("tenant") or
                                                    (tenants[0].slug if tenants else "")})
    data = load(schemas.ProposalCreateSchema(), proposal_form(request.form))
    proposal = services.submit_proposal(db.session, current_user, project_call, data)
    for upload in request.files.getlist("files"):
        if upload and upload.filename:
            services.add_attachment(db.session, current_user, proposal, upload, field="files")
    flash(_("Your proposal %(title)s is submitted.", title=proposal.title))
    return redirect(url_for("projects.proposal_page", proposal_id=proposal.id))


def proposal_context(proposal):
    call = proposal.call
    milestones = services.milestones_of(db.session, [proposal.id])[proposal.id]
    own = services.attachments(db.session, proposal)
    evidence_files = services.attachments(db.session, proposal, milestone_ids=[m.id for m in milestones])
    by_milestone = {}
    for a in evidence_files:
        by_milestone.setdefault(a.milestone_id, []).append(a)
    organiser = services.organises(current_user, call)
    activities = []
    proposer = engine.can(current_user, services.PROPOSE, proposal.tenant)
    if proposer and proposal.status == "funded":
        activities = services.tenant_activities(db.session, proposal.tenant)
    return {"proposal": proposal, "call": call, "tenant": proposal.tenant, "milestones": milestones,
            "attachments": own, "evidence_files": by_milestone, "organiser": organiser, "proposer": proposer,
            "reviewer": call.id in services.reviewer_calls(db.session, current_user) and call.status != "decided",
            "reviews": services.reviews_of(db.session, proposal) if organiser else [],
            "criteria": call.criteria if organiser else [],
            "evidence": services.evidence(db.session, milestones), "activities": activities,
            "now": services.utcnow()}


def render_proposal(proposal, *, values=None, errors=None, detail=None, milestone=None):
    proposal = services._load_proposal(db.session, proposal.id) if proposal is not None else milestone.proposal
    services.load_lists(db.session, [proposal.call])
    return render_template("projects/proposal.html", values=values or {}, errors=errors or {}, detail=detail,
                           failed=request.endpoint if errors or detail else None,
                           failed_milestone=milestone.id if milestone is not None else None,
                           **proposal_context(proposal))


@bp.route("/projects/proposals/<int:proposal_id>")
@record_view("proposal")
def proposal_page(proposal):
    return render_proposal(proposal)


def render_edit(proposal, *, values=None, errors=None, detail=None):
    services.load_lists(db.session, [proposal.call])
    return render_template("projects/edit.html", proposal=proposal, call=proposal.call, tenant=proposal.tenant,
                           values=values or {}, errors=errors or {}, detail=detail)


@bp.route("/projects/proposals/<int:proposal_id>/edit", methods=["GET", "POST"])
@record_view("proposal")
@form_page(render_edit)
def edit_proposal(proposal):
    if request.method == "GET":
        return render_edit(proposal, values={"title": proposal.title, "summary": proposal.summary,
                                             "plan": proposal.plan, "budget_requested": yuan_text(proposal.budget_requested),
                                             "tier": str(proposal.tier_id)})
    data = load(schemas.ProposalPatchSchema(), proposal_form(request.form, tenant_field=False))
    services.load_lists(db.session, [proposal.call])
    services.update_proposal(db.session, current_user, proposal, data)
    flash(_("Saved."))
    return redirect(url_for("projects.proposal_page", proposal_id=proposal.id))


@bp.route("/projects/proposals/<int:proposal_id>/withdraw", methods=["POST"])
@record_view("proposal")
@form_page(render_proposal)
def withdraw(proposal):
    services.withdraw(db.session, current_user, proposal)
    flash(_("Your proposal is withdrawn."))
    return redirect(url_for("projects.proposal_page", proposal_id=proposal.id))


@bp.route("/projects/proposals/<int:proposal_id>/attachments", methods=["POST"])
@record_view("proposal")
@form_page(render_proposal)
def upload(proposal):
    upload_file = request.files.get("file")
    if upload_file is None or not upload_file.filename:
        raise services.invalid(file=_l("Choose a file."))
    services.add_attachment(db.session, current_user, proposal, upload_file)
    flash(_("The file is attached."))
    return redirect(url_for("projects.proposal_page", proposal_id=proposal.id))


@bp.route("/projects/attachments/<int:attachment_id>")
@record_view("project_attachment")
def attachment(project_attachment):
    row = files.get(db.session, project_attachment.file_id)
    return files.send(row)


# --- the panel: scoring ----------------------------------------------------------------------------------

def render_review(proposal, *, values=None, errors=None, detail=None):
    services.load_lists(db.session, [proposal.call])
    mine = services.my_review(db.session, current_user, proposal)
    if values is None:
        values = {"comment": mine.comment if mine else ""}
        for s in (mine.scores if mine else []):
            values[f"score-{s.criterion_id}"] = str(s.score)
    return render_template("projects/review.html", proposal=proposal, call=proposal.call, tenant=proposal.tenant,
                           attachments=services.attachments(db.session, proposal), mine=mine,
                           conflicted=services.conflicted(current_user, proposal),
                           values=values, errors=errors or {}, detail=detail)


def review_form(call):
    scores = {}
    errors = {}
    for c in call.criteria:
        raw = (request.form.get(f"score-{c.id}") or "").strip()
        if raw == "":
            continue
        try:
            scores[c.id] = int(raw)
        except ValueError:
            scores[c.id] = -1
        if not 0 <= scores[c.id] <= 10:
            errors[f"score-{c.id}"] = [_("Each score is from 0 to 10.")]
    return scores, errors


@bp.route("/projects/proposals/<int:proposal_id>/review", methods=["GET", "POST"])
@record_view("proposal")
@form_page(render_review)
def review(proposal):
    if request.method == "GET":
        return render_review(proposal)
    services.load_lists(db.session, [proposal.call])
    scores, errors = review_form(proposal.call)
    if errors:
        raise services.ValidationFailed(_("Please correct the marked fields."), errors=errors)
    data = load(schemas.ReviewIn(), {"scores": scores, "comment": request.form.get("comment", "")})
    services.review(db.session, current_user, proposal, data)
    flash(_("Your scores are saved; you may change them until the review closes."))
    return redirect(url_for("projects.call_page", call_id=proposal.call_id))


# --- delivery: the proposer reports -------------------------------------------------------------------

def render_milestone(milestone, *, values=None, errors=None, detail=None):
    return render_proposal(None, values=values, errors=errors, detail=detail, milestone=milestone)


@bp.route("/projects/milestones/<int:milestone_id>/report", methods=["POST"])
@record_view("milestone")
@form_page(render_milestone)
def report(milestone):
    activities = [int(v) for v in request.form.getlist("activities") if v.isdigit()]
    data = load(schemas.ReportIn(), {"text": request.form.get("text", "").strip(), "activities": activities})
    uploads = [f for f in request.files.getlist("files") if f and f.filename]
    services.report_milestone(db.session, current_user, milestone, data, uploads)
    flash(_("Reported: the organisers are told."))
    return redirect(url_for("projects.proposal_page", proposal_id=milestone.proposal_id))


# --- the organisers ---------------------------------------------------------------------------------------

@bp.route("/manage/<slug>/projects")
@tenant_view("project.manage")
def manage_calls(tenant):
    page = paginate(db.session, services.managed_calls_stmt(tenant), request.args.get("page", 1, type=int), 50)
    return render_template("projects/manage_calls.html", tenant=tenant, page=page, now=services.utcnow())


@bp.route("/manage/<slug>/projects/proposals")
@tenant_view("project.propose")
def proposer_home(tenant):
    """A proposing union's tab: the calls that reach it, and its proposals."""
    calls = paginate(db.session, services.calls_reaching_stmt(tenant), request.args.get("cpage", 1, type=int), 20)
    proposals = paginate(db.session, services.tenant_proposals_stmt(tenant), request.args.get("page", 1, type=int), 50)
    return render_template("projects/proposer_home.html", tenant=tenant, calls=calls, proposals=proposals,
                           now=services.utcnow())


def call_form(form, tenant):
    data = {"title": (form.get("title") or "").strip(), "description": form.get("description") or "",
            "budget_total": (form.get("budget_total") or "").strip(), "status": form.get("status") or "published"}
    for name in ("opens_at", "closes_at", "review_closes_at"):
        value = _aware(form.get(name), tenant)
        if value is not None:
            data[name] = value
    data["tiers"] = [{"name": (form.get(f"tier_name_{i}") or "").strip(), "amount": (form.get(f"tier_amount_{i}") or "").strip()}
                     for i in range(TIER_ROWS) if (form.get(f"tier_name_{i}") or form.get(f"tier_amount_{i}") or "").strip()]
    data["criteria"] = [{"name": (form.get(f"crit_name_{i}") or "").strip(), "weight": (form.get(f"crit_weight_{i}") or "").strip()}
                        for i in range(CRITERION_ROWS) if (form.get(f"crit_name_{i}") or form.get(f"crit_weight_{i}") or "").strip()]
    return data


def render_call_form(tenant, *, values=None, errors=None, detail=None):
    return render_template("projects/call_form.html", tenant=tenant, values=values or {}, errors=errors or {},
                           detail=detail, tier_rows=range(TIER_ROWS), criterion_rows=range(CRITERION_ROWS))


@bp.route("/manage/<slug>/projects/new", methods=["GET", "POST"])
@tenant_view("project.manage")
@form_page(render_call_form)
def create_call(tenant):
    if request.method == "GET":
        now = services.utcnow()
        from datetime import timedelta

        return render_call_form(tenant, values={
            "opens_at": _local(now, tenant), "closes_at": _local(now + timedelta(days=30), tenant),
            "review_closes_at": _local(now + timedelta(days=45), tenant)})
    data = load(schemas.CallCreateSchema(), call_form(request.form, tenant))
    call = services.create_call(db.session, current_user, tenant, data)
    flash(_("%(title)s is saved.", title=call.title))
    return redirect(url_for("projects.manage_call", call_id=call.id))


def manage_context(call):
    rows = services.ranking(db.session, call)
    suggested = services.suggest(call, rows)
    return {"call": call, "tenant": call.tenant, "rows": rows, "suggested": suggested,
            "suggested_total": sum(t.amount for t in suggested.values() if t),
            "reviewers": services.reviewers(db.session, call), "now": services.utcnow(),
            "totals": services.ledger_totals(db.session, call)}


def render_manage(project_call, *, values=None, errors=None, detail=None):
    return render_template("projects/manage_call.html", values=values or {}, errors=errors or {}, detail=detail,
                           **manage_context(project_call))


@bp.route("/manage/projects/calls/<int:call_id>")
@record_view("project_call", "project.manage")
def manage_call(project_call):
    return render_manage(project_call)


@bp.route("/manage/projects/calls/<int:call_id>/publish", methods=["POST"])
@record_view("project_call", "project.manage")
@form_page(render_manage)
def publish_call(project_call):
    services.publish_call(db.session, current_user, project_call)
    flash(_("Published."))
    return redirect(url_for("projects.manage_call", call_id=project_call.id))


@bp.route("/manage/projects/calls/<int:call_id>/reviewers", methods=["POST"])
@record_view("project_call", "project.manage")
@form_page(render_manage)
def add_reviewer(project_call):
    data = load(schemas.ReviewerIn(), {"username": (request.form.get("username") or "").strip()})
    row = services.add_reviewer(db.session, current_user, project_call, data["username"])
    flash(_("%(name)s is on the panel and is told.", name=row.user.display_name))
    return redirect(url_for("projects.manage_call", call_id=project_call.id))


@bp.route("/manage/projects/calls/<int:call_id>/decide", methods=["POST"])
@record_view("project_call", "project.manage")
@form_page(render_manage)
def decide(project_call):
    awards = []
    for key, value in request.form.items():
        if key.startswith("tier-") and value and key[5:].isdigit() and value.isdigit():
            awards.append({"proposal": int(key[5:]), "tier": int(value)})
    data = load(schemas.DecideIn(), {"awards": awards})
    services.decide(db.session, current_user, project_call, data["awards"])
    flash(_("Decided: every proposer is told."))
    return redirect(url_for("projects.manage_call", call_id=project_call.id))


@bp.route("/manage/projects/calls/<int:call_id>/ledger")
@record_view("project_call", "project.manage")
def ledger(project_call):
    page = paginate(db.session, services.funded_stmt(project_call), request.args.get("page", 1, type=int), 100)
    return render_template("projects/ledger.html", call=project_call, tenant=project_call.tenant, page=page,
                           totals=services.ledger_totals(db.session, project_call),
                           milestones=services.milestones_of(db.session, [p.id for p in page.items]))


@bp.route("/manage/projects/calls/<int:call_id>/ledger/export", methods=["POST"])
@record_view("project_call", "project.manage")
def export_ledger(project_call):
    record = jobs.submit(db.session, tasks.export_ledger, project_call.id, owner=current_user,
                         tenant=project_call.tenant)
    return redirect(url_for("core.job_page", job_id=record.id,
                            back=url_for("projects.ledger", call_id=project_call.id)))


@bp.route("/manage/projects/proposals/<int:proposal_id>/milestones", methods=["POST"])
@record_view("proposal", "project.manage")
@form_page(render_proposal)
def add_milestone(proposal):
    data = load(schemas.MilestoneIn(), {"title": (request.form.get("title") or "").strip(),
                                        "amount": (request.form.get("amount") or "").strip(),
                                        "due_on": (request.form.get("due_on") or "").strip()})
    milestone = services.add_milestone(db.session, current_user, proposal, data)
    flash(_("%(title)s is added; the proposer is told.", title=milestone.title))
    return redirect(url_for("projects.proposal_page", proposal_id=proposal.id))


@bp.route("/manage/projects/milestones/<int:milestone_id>/approve", methods=["POST"])
@record_view("milestone", "project.manage")
@form_page(render_milestone)
def approve_milestone(milestone):
    services.approve_milestone(db.session, current_user, milestone)
    flash(_("Approved: %(amount)s yuan released.", amount=yuan_text(milestone.amount)))
    return redirect(url_for("projects.proposal_page", proposal_id=milestone.proposal_id))


@bp.route("/manage/projects/milestones/<int:milestone_id>/return", methods=["POST"])
@record_view("milestone", "project.manage")
@form_page(render_milestone)
def return_milestone(milestone):
    data = load(schemas.ReturnIn(), {"reason": (request.form.get("reason") or "").strip()})
    services.return_milestone(db.session, current_user, milestone, data["reason"])
    flash(_("Returned; the proposer is told why."))
    return redirect(url_for("projects.proposal_page", proposal_id=milestone.proposal_id))

