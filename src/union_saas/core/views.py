"""What every domain shares with a person: the status of their jobs (a page with a progress bar, and its
API twin ``GET /api/v1/jobs/<id>``), the file a job produced (``/jobs/<id>/file``), and their inbox
(``/me/notifications``, ``GET /api/v1/me/notifications``)."""
import marshmallow as ma
from flask import Blueprint, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from union_saas.access import resources
from union_saas.access.guards import record_view, signed_in
from union_saas.core import files, inbox
from union_saas.core.api import Blueprint as ApiBlueprint
from union_saas.core.errors import NotFound
from union_saas.core.jobs import RESULT_LABELS, JobRecord
from union_saas.core.pagination import PageArgs, paginate
from union_saas.core.web import safe_next
from union_saas.extensions import db

bp = Blueprint("core", __name__)
blp = ApiBlueprint("jobs_api", __name__, url_prefix="/api/v1", description="Background jobs")


class JobFileSchema(ma.Schema):
    filename = ma.fields.String(required=True)
    mimetype = ma.fields.String(required=True)
    size = ma.fields.Integer(required=True)
    url = ma.fields.String(required=True, metadata={"description": "GET it (the job's owner only)"})


class JobSchema(ma.Schema):
    id = ma.fields.String(required=True)
    kind = ma.fields.String(required=True)
    status = ma.fields.String(required=True)
    progress = ma.fields.Integer(required=True)
    result = ma.fields.Raw(allow_none=True)
    error = ma.fields.String(allow_none=True)
    file = ma.fields.Nested(JobFileSchema, allow_none=True,
                            metadata={"description": "The file the job produced, once it has finished"})


@bp.app_template_global()
def job_result_label(key):
    return RESULT_LABELS.get(key, key)


def own_job(job_id) -> JobRecord:
    """A job is visible to the person who started it, and to nobody else."""
    return resources.fetch(db.session, current_user, "job", job_id)


JOB = resources.register("job", JobRecord, key=str, owner=lambda record: None, load=lambda session, job_id:
                         session.get(JobRecord, job_id),
                         visible=lambda session, user, record: record.owner_id == user.id,
                         inside=lambda session, record, tenant: record.tenant_id == tenant.id)


def job_file_info(record):
    """The name, type and size of a finished job's file (loaded with the record), or None."""
    if record.status != "finished" or record.file is None:
        return None
    return {"filename": record.file.filename, "mimetype": record.file.content_type, "size": record.file.size}


def job_doc(record, endpoint="jobs_api.job_file"):
    """What the page and the API show of a job; ``file.url`` downloads its file (``endpoint``)."""
    info = job_file_info(record)
    if info is not None:
        info["url"] = url_for(endpoint, job_id=record.id)
    return {"id": record.id, "kind": record.kind.rsplit(":", 1)[-1], "status": record.status,
            "progress": record.progress, "result": record.result, "error": record.error, "file": info}


def send_job_file(record):
    """The file of a finished job the caller started (the guard checked); 404 while it runs."""
    if record.status != "finished" or record.file is None:
        raise NotFound(_("This job has no file."))
    return files.send(record.file)


@bp.route("/jobs/<job_id>")
@record_view("job")
def job_page(job):
    record = job
    return render_template("job.html", job=job_doc(record, "core.job_file_page"), back=safe_next(request.args.get("back")))


@bp.route("/jobs/<job_id>/file")
@record_view("job")
def job_file_page(job):
    return send_job_file(job)


@blp.route("/jobs/<job_id>", methods=["GET"])
@blp.response(200, JobSchema)
@blp.alt_response(404, description="No such job, or started by someone else")
@record_view("job")
def job_status(job):
    return job_doc(job)


@blp.route("/jobs/<job_id>/file", methods=["GET"])
@blp.response(200, description="The file the job produced")
@blp.alt_response(404, description="No such job, started by someone else, not finished, or without a file")
@record_view("job")
def job_file(job):
    return send_job_file(job)


# --- the inbox ---------------------------------------------------------------------------------------

NOTIFICATION = resources.register("notification", inbox.Notification, key=int, owner=lambda n: None,
                                  load=lambda session, nid: session.get(inbox.Notification, nid),
                                  visible=lambda session, user, n: n.user_id == user.id)


class NotificationSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    kind = ma.fields.String(required=True, metadata={"description": "what happened: activity.promoted, ..."})
    title = ma.fields.String(required=True, metadata={"description": "in the caller's language"})
    body = ma.fields.String(required=True, metadata={"description": "someone's own words, or empty"})
    link = ma.fields.String(allow_none=True, required=True, metadata={"description": "a path on this site"})
    created_at = ma.fields.DateTime(required=True)
    read_at = ma.fields.DateTime(allow_none=True, required=True)


class InboxSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(NotificationSchema), required=True)
    page = ma.fields.Integer(required=True)
    per_page = ma.fields.Integer(required=True)
    total = ma.fields.Integer(required=True)
    unread = ma.fields.Integer(required=True, metadata={"description": "how many are unread, whatever the page"})


class InboxArgs(PageArgs):
    unread = ma.fields.Boolean(load_default=False)


def notification_doc(n):
    return {"id": n.id, "kind": n.kind, "title": n.title, "body": n.body, "link": n.link,
            "created_at": n.created_at, "read_at": n.read_at}


@bp.app_template_global()
def unread_notifications():
    """The signed-in person's unread count, for the header (one query, once per page)."""
    if not current_user.is_authenticated:
        return 0
    if "unread_notifications" not in g:
        g.unread_notifications = inbox.unread_count(db.session, current_user.id)
    return g.unread_notifications


@bp.route("/me/notifications", methods=["GET", "POST"])
@signed_in
def notifications():
    if request.method == "POST":
        inbox.mark_read(db.session, current_user.id)
        return redirect(url_for("core.notifications"))
    unread = request.args.get("unread") == "1"
    page = paginate(db.session, inbox.inbox_stmt(current_user.id, unread=unread),
                    request.args.get("page", 1, type=int), 30)
    return render_template("notifications.html", page=page, unread=unread)


@bp.route("/me/notifications/<int:notification_id>")
@record_view("notification")
def open_notification(notification):
    """Opening a message marks it read and goes where it points."""
    inbox.mark_read(db.session, current_user.id, notification.id)
    return redirect(safe_next(notification.link, "core.notifications"))


@blp.route("/me/notifications", methods=["GET"])
@blp.arguments(InboxArgs, location="query")
@blp.response(200, InboxSchema)
@signed_in
def notifications_api(args):
    """My inbox: every module's messages, unread first, newest first; ``unread`` counts the unread ones."""
    page = paginate(db.session, inbox.inbox_stmt(current_user.id, unread=args["unread"]), args["page"],
                    args["per_page"])
    return {**page.doc([notification_doc(n) for n in page.items]),
            "unread": inbox.unread_count(db.session, current_user.id)}


@blp.route("/me/notifications/<int:notification_id>/read", methods=["POST"])
@blp.response(204)
@blp.alt_response(404, description="No such message of the caller's")
@record_view("notification")
def read_notification(notification):
    inbox.mark_read(db.session, current_user.id, notification.id)


@blp.route("/me/notifications/read", methods=["POST"])
@blp.response(204)
@signed_in
def read_all_notifications():
    """Mark every message of mine read."""
    inbox.mark_read(db.session, current_user.id)
