"""Help requests API (API.md, Help requests)."""
from flask_login import current_user

from union_saas.access import resources
from union_saas.access.guards import record_view, signed_in, tenant_view
from union_saas.assistance import lookups, schemas, services
from union_saas.core import files
from union_saas.core.api import Blueprint
from union_saas.core.pagination import PageArgs, page_schema, paginate
from union_saas.extensions import db

blp = Blueprint("assistance_api", __name__, url_prefix="/api/v1", description="Help requests")
HANDLE = services.HANDLE


def _doc(case, **kwargs):
    return lookups.full(case, **kwargs)[0]


# --- the requester ------------------------------------------------------------------------------------

@blp.route("/me/help-requests", methods=["POST"])
@blp.arguments(schemas.HelpCaseCreateSchema)
@blp.response(201, schemas.HelpCaseSchema)
@blp.alt_response(403, description="No active membership")
@signed_in
def file_request(data):
    """A request to the caller's home union, with its clocks (the union's handlers are told)."""
    case = services.file_case(db.session, current_user, data)
    return _doc(services.load_case(db.session, case.id), as_requester=True)


@blp.route("/me/help-requests", methods=["GET"])
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(schemas.HelpCaseSchema))
@signed_in
def my_requests(args):
    page = paginate(db.session, services.my_cases_stmt(current_user), args["page"], args["per_page"])
    events = services.events_of(db.session, [c.id for c in page.items])
    mine = services.Rights(requester=True)
    return page.doc([schemas.case_doc(c, mine, events=events[c.id]) for c in page.items])


@blp.route("/me/help-requests/<int:help_request_id>", methods=["GET"])
@blp.response(200, schemas.HelpCaseSchema)
@blp.alt_response(404, description="No such request of the caller")
@record_view("my_help_request")
def my_request(my_help_request):
    """The caller's request with its public messages (never an internal note)."""
    return _doc(my_help_request, as_requester=True)


@blp.route("/me/help-requests/<int:help_request_id>/export", methods=["GET"])
@blp.response(200, description="The request and its public messages, as .xlsx")
@record_view("my_help_request")
def export_mine(my_help_request):
    return lookups.export(my_help_request)


@blp.route("/help-requests/<int:help_request_id>/rate", methods=["POST"])
@blp.arguments(schemas.HelpRateSchema)
@blp.response(200, schemas.HelpCaseSchema)
@blp.alt_response(409, description="Not resolved, rated already, or resolved more than 14 days ago")
@record_view("my_help_request")
def rate(data, my_help_request):
    case = services.rate(db.session, current_user, my_help_request, data["score"], data.get("comment"))
    return _doc(case, as_requester=True)


@blp.route("/help-requests/<int:help_request_id>/reopen", methods=["POST"])
@blp.arguments(schemas.HelpReasonSchema)
@blp.response(200, schemas.HelpCaseSchema)
@blp.alt_response(409, description="Not resolved, or resolved more than 14 days ago")
@record_view("my_help_request")
def reopen(data, my_help_request):
    case = services.reopen(db.session, current_user, my_help_request, data["reason"])
    return _doc(case, as_requester=True)


# --- both ---------------------------------------------------------------------------------------------------

@blp.route("/help-requests/<int:help_request_id>/messages", methods=["POST"])
@blp.arguments(schemas.HelpMessageCreateSchema)
@blp.response(201, schemas.HelpMessageSchema)
@blp.alt_response(403, description="An internal note by the requester")
@blp.alt_response(409, description="Closed; or resolved, for the requester (reopen it)")
@record_view("help_request")
def add_message(data, help_request):
    """The first public message of a handler ends the first-response clock; ``internal`` notes are for the
    handlers only."""
    message = services.add_message(db.session, current_user, help_request, data["body"], data["internal"])
    db.session.refresh(message, ["author"])
    return schemas.message_doc(message, help_request, services.rights(current_user, help_request))


@blp.route("/help-requests/<int:help_request_id>/attachments", methods=["POST"])
@blp.arguments(schemas.HelpAttachmentUploadSchema, location="files")
@blp.response(201, schemas.HelpAttachmentSchema)
@blp.alt_response(409, description="Closed")
@record_view("help_request")
def attach(files_, help_request):
    row = services.save_attachment(db.session, current_user, help_request, files_["file"])
    return {"id": row.id, "filename": row.file.filename, "size": row.file.size,
            "url": f"/api/v1/help-attachments/{row.id}"}


@blp.route("/help-attachments/<int:attachment_id>", methods=["GET"])
@blp.response(200, description="The file")
@record_view("help_attachment")
def download(help_attachment):
    return files.send(help_attachment.file)


# --- handlers ----------------------------------------------------------------------------------------------

@blp.route("/tenants/<slug>/help-requests", methods=["GET"])
@blp.arguments(schemas.HelpQueueArgs, location="query")
@blp.response(200, page_schema(schemas.HelpCaseSchema))
@tenant_view(HANDLE)
def queue(args, tenant):
    """The cases filed in this union's subtree (those that climbed above it too), urgent and overdue first."""
    stmt = services.queue_stmt(current_user, tenant, status=args.get("status"), breached=args["breached"],
                               escalated=args["escalated"], here=args["here"], category=args.get("category"))
    page = paginate(db.session, stmt, args["page"], args["per_page"])
    events = services.events_of(db.session, [c.id for c in page.items])
    return page.doc([schemas.case_doc(c, services.rights(current_user, c), events=events[c.id])
                     for c in page.items])


@blp.route("/tenants/<slug>/help-requests/counts", methods=["GET"])
@blp.response(200, schemas.HelpQueueDocSchema)
@tenant_view(HANDLE)
def queue_counts(tenant):
    """Active cases of the subtree that are overdue, and that have climbed."""
    found = services.counts(db.session, tenant)
    return {"overdue": found["overdue"], "escalated": found["escalated"]}


@blp.route("/help-requests/<int:help_request_id>", methods=["GET"])
@blp.response(200, schemas.HelpCaseSchema)
@record_view("help_request", HANDLE)
def get_request(help_request):
    """The case with every message, internal notes included, and its timeline."""
    return _doc(help_request)


@blp.route("/help-requests/<int:help_request_id>/assign", methods=["POST"])
@blp.arguments(schemas.HelpAssignSchema)
@blp.response(200, schemas.HelpCaseSchema)
@blp.alt_response(409, description="No longer open")
@record_view("help_request", HANDLE)
def assign(data, help_request):
    return _doc(services.assign(db.session, current_user, help_request, data["username"]))


@blp.route("/help-requests/<int:help_request_id>/status", methods=["POST"])
@blp.arguments(schemas.HelpStatusSchema)
@blp.response(200, schemas.HelpCaseSchema)
@blp.alt_response(409, description="The same status, or closed")
@record_view("help_request", HANDLE)
def set_status(data, help_request):
    return _doc(services.set_status(db.session, current_user, help_request, data["status"]))


@blp.route("/help-requests/<int:help_request_id>/escalate", methods=["POST"])
@blp.arguments(schemas.HelpReasonSchema)
@blp.response(200, schemas.HelpCaseSchema)
@blp.alt_response(409, description="At the federation's root, or no longer open")
@record_view("help_request", HANDLE)
def escalate(data, help_request):
    """The case moves to the parent union, whose handlers are told; the union below keeps reading it."""
    return _doc(services.escalate(db.session, current_user, help_request, data["reason"]))


@blp.route("/tenants/<slug>/help-settings", methods=["GET"])
@blp.response(200, schemas.HelpSettingsDocSchema)
@blp.alt_response(404, description="Not a federation's root")
@tenant_view(HANDLE)
def get_settings(tenant):
    if not tenant.is_root:
        raise resources.miss()
    return {"categories": services.settings(db.session, tenant)}


@blp.route("/tenants/<slug>/help-settings", methods=["PUT"])
@blp.arguments(schemas.HelpSettingsSchema)
@blp.response(200, schemas.HelpSettingsDocSchema)
@blp.alt_response(404, description="Not a federation's root")
@tenant_view(HANDLE)
def put_settings(data, tenant):
    """Response hours and resolution days per category (positive numbers, fractions allowed)."""
    return {"categories": services.put_settings(db.session, current_user, tenant, data["categories"])}
