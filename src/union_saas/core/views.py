"""What every domain shares with a person: the status of their jobs (a page with a progress bar, and its
API twin ``GET /api/v1/jobs/<id>``), the file a job produced (``/jobs/<id>/file``), and their inbox
(``/me/notifications``, ``GET /api/v1/me/notifications``). Health, for load balancers and orchestrators:
``/healthz`` (the process answers) and ``/readyz`` (what it needs answers too)."""
import marshmallow as ma
import sqlalchemy as sa
from flask import (
    Blueprint,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from swagger_ui_bundle import swagger_ui_path

from union_saas.access import engine, resources
from union_saas.access.guards import public, record_view, signed_in
from union_saas.core import files, inbox
from union_saas.core.api import Blueprint as ApiBlueprint
from union_saas.core.db import database_unavailable
from union_saas.core.errors import NotFound
from union_saas.core.jobs import (
    RESULT_LABELS,
    JobRecord,
    _function,
    file_expiry_cutoff,
    place_of,
    redis_connection,
)
from union_saas.core.pagination import PageArgs, paginate
from union_saas.core.web import safe_next
from union_saas.extensions import db

bp = Blueprint("core", __name__)
# Swagger UI from its Python package (no CDN), for /api/v1/docs.
docs = Blueprint("api_docs_ui", __name__, static_folder=swagger_ui_path, static_url_path="/api/v1/docs/static")
blp = ApiBlueprint("jobs_api", __name__, url_prefix="/api/v1", description="Background jobs and my inbox")


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
    """The label of a result's key; None for keys meant for programs (ids, lists), which pages leave out."""
    return RESULT_LABELS.get(key)


def own_job(job_id) -> JobRecord:
    """A job is visible to the person who started it, and to nobody else."""
    return resources.fetch(db.session, current_user, "job", job_id)


def load_job(session, job_id):
    return session.get(JobRecord, job_id)


JOB = resources.register("job", JobRecord, key=str, owner=lambda record: None,
                         load=lambda session, job_id: load_job(session, job_id),
                         visible=lambda session, user, record: record.owner_id == user.id,
                         inside=lambda session, record, tenant: record.tenant_id == tenant.id)


def job_file_info(record):
    """The name, type and size of a finished job's file (loaded with the record), or None."""
    if record.status != "finished" or record.file is None:
        return None
    if record.file.created_at < file_expiry_cutoff():
        return None
    return {"filename": record.file.filename, "mimetype": record.file.content_type, "size": record.file.size}


def job_doc(record, endpoint="jobs_api.job_file"):
    """What the page and the API show of a job; ``file.url`` downloads its file (``endpoint``)."""
    info = job_file_info(record)
    if info is not None:
        info["url"] = url_for(endpoint, job_id=record.id)
    return {"id": record.id, "kind": record.kind.rsplit(":", 1)[-1], "status": record.status,
            "progress": record.progress, "result": record.result, "error": record.error, "file": info}


def may_still_see(record):
    """Whether the job's owner still holds the permission its file needs at the job's tenant (asked now:
    a grant revoked since the job ran takes the file away too)."""
    if record.tenant_id is None:
        return True  # a file about its owner only
    permission = getattr(_function(record.kind), "file_permission", None)
    return bool(permission) and engine.can_at(db.session, current_user, permission, record.tenant_id)


def send_job_file(record):
    """The file of a finished job the caller started (the guard checked), while they may still see what is in
    it and until it expires; 404 otherwise (and while it runs)."""
    if job_file_info(record) is None or not may_still_see(record):
        raise NotFound(_("This job has no file."))
    return files.send(record.file)


@bp.route("/jobs/<job_id>")
@record_view("job")
def job_page(job):
    """A job's progress, in the place it was started from: its title, the union's management tabs when its
    starter manages the union, and a link back (``?back=``, else the union's manage home)."""
    record = job
    try:
        title = getattr(_function(record.kind), "job_title", None)
    except (KeyError, ImportError):
        title = None
    place = place_of(record, current_user) or {}
    context = {k: v for k, v in place.items() if k not in ("template", "back")}
    back = request.args.get("back") or place.get("back")
    return render_template(place.get("template", "job.html"), job=job_doc(record, "core.job_file_page"),
                           job_title=title, back=safe_next(back), **{"tenant": None, **context})


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


# --- the API's documentation ------------------------------------------------------------------------

@docs.route("/api/v1/docs")
@public
def api_docs():
    """The API's OpenAPI document, readable and tryable (Swagger UI; sign in with a bearer token)."""
    return render_template("api_docs.html", spec_url=url_for("api-docs.openapi_json"))


# --- health ------------------------------------------------------------------------------------------

@bp.route("/healthz")
@public
def healthz():
    """The process answers (it asks nothing of the database or Redis)."""
    return {"status": "ok"}


def migration_heads():
    """The head revisions of the migrations this code ships (read once per process)."""
    from alembic.script import ScriptDirectory

    state = current_app.extensions.setdefault("union_saas.health", {})
    if "heads" not in state:
        state["heads"] = set(ScriptDirectory(current_app.extensions["migrate"].directory).get_heads())
    return state["heads"]


def readiness():
    """Each thing a request may need, and whether it answers: ``ok`` or what is wrong."""
    from redis.exceptions import RedisError

    checks = {}
    try:
        applied = set(db.session.execute(sa.text("SELECT version_num FROM alembic_version")).scalars())
    except sa.exc.DBAPIError as error:
        db.session.rollback()
        if database_unavailable(error):
            checks["database"], checks["migrations"] = "unreachable", "unknown"
        else:
            checks["database"], checks["migrations"] = "ok", "not migrated"
    else:
        heads = migration_heads()
        checks["database"] = "ok"
        checks["migrations"] = "ok" if applied == heads else (
            f"at {', '.join(sorted(applied)) or 'none'}, head {', '.join(sorted(heads))}")
    connection = redis_connection()
    if connection is None:
        checks["redis"] = "ok"  # jobs run inline: no Redis is used
    else:
        try:
            connection.ping()
            checks["redis"] = "ok"
        except RedisError:
            checks["redis"] = "unreachable"
    return checks


@bp.route("/readyz")
@public
def readyz():
    """The database and Redis answer and the database's schema is at the migrations' head; else 503."""
    checks = readiness()
    ready = all(value == "ok" for value in checks.values())
    return jsonify(status="ready" if ready else "unavailable", checks=checks), 200 if ready else 503
