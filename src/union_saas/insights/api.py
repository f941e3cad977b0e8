"""Insights API: the twin of /manage/<slug>/insights, and its .xlsx export."""
from flask_babel import get_locale
from flask_login import current_user

from union_saas.access.guards import tenant_view
from union_saas.core import jobs
from union_saas.core.api import Blueprint
from union_saas.extensions import db
from union_saas.insights import schemas, services, tasks

blp = Blueprint("insights_api", __name__, url_prefix="/api/v1", description="Figures of a subtree")


@blp.route("/tenants/<slug>/insights", methods=["GET"])
@blp.arguments(schemas.InsightsArgs, location="query")
@blp.response(200, schemas.InsightsSchema)
@tenant_view("insights.view")
def insights(args, tenant):
    """Headline figures of the subtree and one row per child union (from the rollups), and the trends."""
    headline, rows = services.overview(db.session, tenant, args["sort"], args["dir"] == "desc")
    return schemas.document(tenant, headline, rows, services.trends(db.session, tenant))


@blp.route("/tenants/<slug>/insights/export", methods=["POST"])
@blp.arguments(schemas.InsightsArgs)
@blp.response(202, schemas.InsightsExportSchema)
@tenant_view("insights.view")
def export(args, tenant):
    """Queue the .xlsx export of what ``GET .../insights`` answers with the same ``sort`` and ``dir``; follow
    the job at ``GET /api/v1/jobs/<job>``, then fetch its file."""
    job = jobs.submit(db.session, tasks.export, tenant.id, args["sort"], args["dir"], str(get_locale()),
                      owner=current_user, tenant=tenant)
    return {"job": job.id}
