"""Job status: a page with a progress bar, and its API twin ``GET /api/v1/jobs/<id>``."""
import marshmallow as ma
from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from union_saas.access.guards import signed_in
from union_saas.core.api import Blueprint as ApiBlueprint
from union_saas.core.errors import NotFound
from union_saas.core.jobs import RESULT_LABELS, JobRecord
from union_saas.core.web import safe_next
from union_saas.extensions import db

bp = Blueprint("core", __name__)
blp = ApiBlueprint("jobs_api", __name__, url_prefix="/api/v1", description="Background jobs")


class JobSchema(ma.Schema):
    id = ma.fields.String(required=True)
    kind = ma.fields.String(required=True)
    status = ma.fields.String(required=True)
    progress = ma.fields.Integer(required=True)
    result = ma.fields.Raw(allow_none=True)
    error = ma.fields.String(allow_none=True)


@bp.app_template_global()
def job_result_label(key):
    return RESULT_LABELS.get(key, key)


def own_job(job_id) -> JobRecord:
    """A job is visible to the person who started it, and to nobody else."""
    record = db.session.get(JobRecord, job_id)
    if record is None or record.owner_id != current_user.id:
        raise NotFound(_("No such job."))
    return record


def job_doc(record):
    return {"id": record.id, "kind": record.kind.rsplit(":", 1)[-1], "status": record.status,
            "progress": record.progress, "result": record.result, "error": record.error}


@bp.route("/jobs/<job_id>")
@signed_in
def job_page(job_id):
    record = own_job(job_id)
    return render_template("job.html", job=job_doc(record), back=safe_next(request.args.get("back")))


@blp.route("/jobs/<job_id>", methods=["GET"])
@blp.response(200, JobSchema)
@blp.alt_response(404, description="No such job, or started by someone else")
@signed_in
def job_status(job_id):
    return job_doc(own_job(job_id))
