"""Job status: a page with a progress bar, and its API twin ``GET /api/v1/jobs/<id>``; the file a job
produced: ``/jobs/<id>/file`` and ``GET /api/v1/jobs/<id>/file``."""
import io

import marshmallow as ma
import sqlalchemy as sa
from flask import Blueprint, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from union_saas.access.guards import signed_in
from union_saas.core.api import Blueprint as ApiBlueprint
from union_saas.core.errors import NotFound
from union_saas.core.jobs import RESULT_LABELS, JobFile, JobRecord, file_expiry_cutoff
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
                             .where(JobFile.job_id == record.id, JobFile.created_at >= file_expiry_cutoff())).first()
    return None if row is None else {"filename": row.filename, "mimetype": row.mimetype, "size": row.size}


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
    from union_saas.access import engine
    from union_saas.core.jobs import _function

    permission = getattr(_function(record.kind), "file_permission", None)
    return bool(permission) and engine.can_at(db.session, current_user, permission, record.tenant_id)


def send_job_file(job_id):
    """The file of a finished job the caller started, while they may still see what is in it and until it
    expires; 404 otherwise (and for anyone else, or while it runs)."""
    record = own_job(job_id)
    row = None
    if record.status == "finished" and may_still_see(record):
        row = db.session.scalar(sa.select(JobFile).where(JobFile.job_id == record.id,
                                                         JobFile.created_at >= file_expiry_cutoff())
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
