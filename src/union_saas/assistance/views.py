"""Help request pages: the member's own requests ("我的"), a union's queue and a case's handling page, and
the federation's clocks. Each is the twin of an API call (``api.py``)."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from union_saas.access import resources
from union_saas.access.guards import record_view, signed_in, tenant_view
from union_saas.assistance import lookups, schemas, services, tasks
from union_saas.assistance.models import (
    CATEGORIES,
    CATEGORY_LABELS,
    EVENT_LABELS,
    STATUS_LABELS,
    STATUSES,
    URGENCY_LABELS,
)
from union_saas.core import files
from union_saas.core.errors import ValidationFailed
from union_saas.core.forms import form_page, load
from union_saas.core.pagination import paginate
from union_saas.extensions import db
from union_saas.members.services import home_of
from union_saas.tenancy import sections

bp = Blueprint("assistance", __name__, template_folder="templates", static_folder="static",
               static_url_path="/assistance/static")
HANDLE = services.HANDLE

sections.manage_tab("assistance.queue", _l("Help requests"), HANDLE, 45,
                    count=lambda tenant: services.badge(db.session, tenant))
sections.me_entry("my_help_requests", 40, _l("My help requests"),
                  lambda user: url_for("assistance.mine"), icon="help",
                  count=lambda user: services.open_count(db.session, user))
sections.service("help", 40, _l("Ask the union for help"),
                 lambda user: url_for("assistance.new") if home_of(db.session, user) else None, icon="help")


def labels():
    return {"categories": CATEGORY_LABELS, "statuses": STATUS_LABELS, "urgencies": URGENCY_LABELS, "events": EVENT_LABELS}


# --- the member ----------------------------------------------------------------------------------------

@bp.route("/me/help-requests")
@signed_in
def mine():
    page = paginate(db.session, services.my_cases_stmt(current_user), request.args.get("page", 1, type=int), 30)
    return render_template("assistance/mine.html", page=page, labels=labels(), now=lookups.now(),
                           home=home_of(db.session, current_user))


def render_new(*, values=None, errors=None, detail=None):
    return render_template("assistance/new.html", values=values or {"category": "legal", "urgency": "normal"},
                           errors=errors or {}, detail=detail, labels=labels(),
                           home=home_of(db.session, current_user),
                           categories=[(c, CATEGORY_LABELS[c]) for c in CATEGORIES])


@bp.route("/me/help-requests/new", methods=["GET"])
@signed_in
def new():
    return render_new()


@bp.route("/me/help-requests/new", methods=["POST"])
@signed_in
@form_page(render_new)
def file_request():
    form = request.form
    data = load(schemas.HelpCaseCreateSchema(), {"category": form.get("category", ""), "title": form.get("title", ""),
                                             "description": form.get("description", ""),
                                             "urgency": form.get("urgency") or "normal"})
    uploads = [f for f in request.files.getlist("files") if f and f.filename]
    case = services.file_case(db.session, current_user, data)
    for upload in uploads:
        services.save_attachment(db.session, current_user, case, upload)
    flash(_("Your request was sent to %(union)s.", union=case.tenant.name))
    return redirect(url_for("assistance.my_request", help_request_id=case.id))


def render_mine(my_help_request, *, values=None, errors=None, detail=None):
    doc, who = lookups.full(my_help_request, as_requester=True)
    return render_template("assistance/my_request.html", case=my_help_request, doc=doc, labels=labels(),
                           values=values or {}, errors=errors or {}, detail=detail, now=lookups.now(),
                           window=services.REOPEN_DAYS)


@bp.route("/me/help-requests/<int:help_request_id>")
@record_view("my_help_request")
def my_request(my_help_request):
    return render_mine(my_help_request)


@bp.route("/me/help-requests/<int:help_request_id>/messages", methods=["POST"])
@record_view("my_help_request")
@form_page(render_mine)
def my_message(my_help_request):
    data = load(schemas.HelpMessageCreateSchema(), {"body": request.form.get("body", "")})
    services.add_message(db.session, current_user, my_help_request, data["body"])
    flash(_("Sent."))
    return redirect(url_for("assistance.my_request", help_request_id=my_help_request.id))


@bp.route("/me/help-requests/<int:help_request_id>/attachments", methods=["POST"])
@record_view("my_help_request")
@form_page(render_mine)
def my_attach(my_help_request):
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ValidationFailed(_("Choose a file."), errors={"file": [_("Choose a file.")]})
    services.save_attachment(db.session, current_user, my_help_request, upload)
    flash(_("Attached."))
    return redirect(url_for("assistance.my_request", help_request_id=my_help_request.id))


@bp.route("/me/help-requests/<int:help_request_id>/rate", methods=["POST"])
@record_view("my_help_request")
@form_page(render_mine)
def rate(my_help_request):
    data = load(schemas.HelpRateSchema(), {"score": request.form.get("score", ""),
                                       "comment": request.form.get("comment") or None})
    services.rate(db.session, current_user, my_help_request, data["score"], data.get("comment"))
    flash(_("Thank you for your rating."))
    return redirect(url_for("assistance.my_request", help_request_id=my_help_request.id))


@bp.route("/me/help-requests/<int:help_request_id>/reopen", methods=["POST"])
@record_view("my_help_request")
@form_page(render_mine)
def reopen(my_help_request):
    data = load(schemas.HelpReasonSchema(), {"reason": request.form.get("reason", "")})
    services.reopen(db.session, current_user, my_help_request, data["reason"])
    flash(_("Reopened: your union has been told."))
    return redirect(url_for("assistance.my_request", help_request_id=my_help_request.id))


@bp.route("/me/help-requests/<int:help_request_id>/export")
@record_view("my_help_request")
def export_mine(my_help_request):
    return lookups.export(my_help_request)


@bp.route("/help-attachments/<int:attachment_id>")
@record_view("help_attachment")
def download(help_attachment):
    return files.send(help_attachment.file)


# --- the union's handlers -------------------------------------------------------------------------------

@bp.route("/manage/<slug>/help-requests")
@tenant_view(HANDLE)
def queue(tenant):
    args = load(schemas.HelpQueueArgs(), {k: v for k, v in request.args.items() if k in schemas.HelpQueueArgs().fields})
    stmt = services.queue_stmt(current_user, tenant, status=args.get("status"), breached=args["breached"],
                               escalated=args["escalated"], here=args["here"], category=args.get("category"))
    page = paginate(db.session, stmt, args["page"], min(args["per_page"], 50))
    rights = {c.id: services.rights(current_user, c) for c in page.items}
    return render_template("assistance/queue.html", tenant=tenant, page=page, args=args, rights=rights,
                           counts=services.counts(db.session, tenant), labels=labels(), now=lookups.now(),
                           statuses=STATUSES, mask=services.mask, shows_name=services.shows_name,
                           page_url=lambda n: url_for("assistance.queue", slug=tenant.slug,
                                                      **{**request.args.to_dict(), "page": n}))


def render_case(tenant, help_request, *, values=None, errors=None, detail=None, status=200):
    doc, who = lookups.full(help_request)
    return render_template("assistance/case.html", tenant=tenant, case=help_request, doc=doc, who=who,
                           labels=labels(), statuses=STATUSES, values=values or {}, errors=errors or {},
                           detail=detail, now=lookups.now(), at_root=help_request.tenant.parent_id is None)


@bp.route("/manage/<slug>/help-requests/<int:help_request_id>")
@tenant_view(HANDLE, record="help_request")
def case(tenant, help_request):
    return render_case(tenant, help_request)


def _back(tenant, case_):
    return redirect(url_for("assistance.case", slug=tenant.slug, help_request_id=case_.id))


@bp.route("/manage/<slug>/help-requests/<int:help_request_id>/messages", methods=["POST"])
@tenant_view(HANDLE, record="help_request")
@form_page(render_case)
def message(tenant, help_request):
    data = load(schemas.HelpMessageCreateSchema(), {"body": request.form.get("body", ""),
                                                "internal": bool(request.form.get("internal"))})
    services.add_message(db.session, current_user, help_request, data["body"], data["internal"])
    flash(_("Internal note saved.") if data["internal"] else _("Sent to the member."))
    return _back(tenant, help_request)


@bp.route("/manage/<slug>/help-requests/<int:help_request_id>/attachments", methods=["POST"])
@tenant_view(HANDLE, record="help_request")
@form_page(render_case)
def attach(tenant, help_request):
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ValidationFailed(_("Choose a file."), errors={"file": [_("Choose a file.")]})
    services.save_attachment(db.session, current_user, help_request, upload)
    flash(_("Attached."))
    return _back(tenant, help_request)


@bp.route("/manage/<slug>/help-requests/<int:help_request_id>/assign", methods=["POST"])
@tenant_view(HANDLE, record="help_request")
@form_page(render_case)
def assign(tenant, help_request):
    data = load(schemas.HelpAssignSchema(), {"username": request.form.get("username", "")})
    services.assign(db.session, current_user, help_request, data["username"])
    flash(_("Assigned."))
    return _back(tenant, help_request)


@bp.route("/manage/<slug>/help-requests/<int:help_request_id>/status", methods=["POST"])
@tenant_view(HANDLE, record="help_request")
@form_page(render_case)
def set_status(tenant, help_request):
    data = load(schemas.HelpStatusSchema(), {"status": request.form.get("status", "")})
    services.set_status(db.session, current_user, help_request, data["status"])
    flash(_("Status changed."))
    return _back(tenant, help_request)


@bp.route("/manage/<slug>/help-requests/<int:help_request_id>/escalate", methods=["POST"])
@tenant_view(HANDLE, record="help_request")
@form_page(render_case)
def escalate(tenant, help_request):
    data = load(schemas.HelpReasonSchema(), {"reason": request.form.get("reason", "")})
    case_ = services.escalate(db.session, current_user, help_request, data["reason"])
    flash(_("Passed on to %(union)s.", union=case_.tenant.name))
    return _back(tenant, case_)


def render_settings(tenant, *, values=None, errors=None, detail=None):
    if not tenant.is_root:
        raise resources.miss()
    current = services.settings(db.session, tenant)
    if values is None:
        values = {f"{c}_{k}": f"{v:g}" for c, clocks in current.items() for k, v in clocks.items()}
    return render_template("assistance/settings.html", tenant=tenant, values=values, errors=errors or {},
                           detail=detail, labels=labels(), categories=CATEGORIES)


@bp.route("/manage/<slug>/help-settings", methods=["GET"])
@tenant_view(HANDLE)
def settings(tenant):
    return render_settings(tenant)


@bp.route("/manage/<slug>/help-settings", methods=["POST"])
@tenant_view(HANDLE)
@form_page(render_settings)
def save_settings(tenant):
    if not tenant.is_root:
        raise resources.miss()
    form = request.form
    data = {c: {"first_response_hours": form.get(f"{c}_first_response_hours", ""),
                "resolution_days": form.get(f"{c}_resolution_days", "")} for c in CATEGORIES}
    try:
        parsed = load(schemas.HelpSettingsSchema(), {"categories": data})
    except ValidationFailed as error:  # the form names its fields <category>_<field>
        flat = {}
        for category, fields in ((error.errors or {}).get("categories") or {}).items():
            for name, messages in (fields.get("value") or {}).items():
                flat[f"{category}_{name}"] = messages
        raise ValidationFailed(error.detail, errors=flat or error.errors) from None
    services.put_settings(db.session, current_user, tenant, parsed["categories"])
    flash(_("Saved."))
    return redirect(url_for("assistance.settings", slug=tenant.slug))


@bp.cli.command("escalate")
def escalate_command():
    """Climb every help request whose first response is overdue one level now (the scheduler does it too)."""
    import click

    click.echo(f"climbed: {tasks.climb_now()}")

