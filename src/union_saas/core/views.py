"""Job status: a page with a progress bar, and its API twin ``GET /api/v1/jobs/<id>``; the file a job
produced: ``/jobs/<id>/file`` and ``GET /api/v1/jobs/<id>/file``. Health, for load balancers and
orchestrators: ``/healthz`` (the process answers) and ``/readyz`` (what it needs answers too)."""
import io

import marshmallow as ma
import sqlalchemy as sa
from flask import (
    Blueprint,
    current_app,
    jsonify,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from union_saas.access.guards import public, signed_in
from union_saas.core.api import Blueprint as ApiBlueprint
from union_saas.core.db import database_unavailable
from union_saas.core.errors import NotFound
from union_saas.core.jobs import RESULT_LABELS, JobFile, JobRecord, redis_connection
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
    record = db.session.get(JobRecord, job_id)
    if record is None or record.owner_id != current_user.id:
        raise NotFound(_("No such job."))
    return record


def job_file_info(record):
    """The name, type and size of a finished job's file (one query), or None."""
    if record.status != "finished":
        return None
    row = db.session.execute(sa.select(JobFile.filename, JobFile.mimetype, JobFile.size)
                             .where(JobFile.job_id == record.id)).first()
    return None if row is None else {"filename": row.filename, "mimetype": row.mimetype, "size": row.size}


def job_doc(record, endpoint="jobs_api.job_file"):
    """What the page and the API show of a job; ``file.url`` downloads its file (``endpoint``)."""
    info = job_file_info(record)
    if info is not None:
        info["url"] = url_for(endpoint, job_id=record.id)
    return {"id": record.id, "kind": record.kind.rsplit(":", 1)[-1], "status": record.status,
            "progress": record.progress, "result": record.result, "error": record.error, "file": info}


def send_job_file(job_id):
    """The file of a finished job the caller started; 404 for anyone else, or while it runs."""
    record = own_job(job_id)
    row = None
    if record.status == "finished":
        row = db.session.scalar(sa.select(JobFile).where(JobFile.job_id == record.id)
                                .options(sa.orm.undefer(JobFile.content)))
    if row is None:
        raise NotFound(_("This job has no file."))
    return send_file(io.BytesIO(row.content), as_attachment=True, download_name=row.filename,
                     mimetype=row.mimetype, max_age=0)


@bp.route("/jobs/<job_id>")
@signed_in
def job_page(job_id):
    record = own_job(job_id)
    return render_template("job.html", job=job_doc(record, "core.job_file_page"), back=safe_next(request.args.get("back")))


@bp.route("/jobs/<job_id>/file")
@signed_in
def job_file_page(job_id):
    return send_job_file(job_id)


@blp.route("/jobs/<job_id>", methods=["GET"])
@blp.response(200, JobSchema)
@blp.alt_response(404, description="No such job, or started by someone else")
@signed_in
def job_status(job_id):
    return job_doc(own_job(job_id))


@blp.route("/jobs/<job_id>/file", methods=["GET"])
@blp.response(200, description="The file the job produced")
@blp.alt_response(404, description="No such job, started by someone else, not finished, or without a file")
@signed_in
def job_file(job_id):
    return send_job_file(job_id)


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
