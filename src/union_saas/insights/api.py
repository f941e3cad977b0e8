"""Insights API: the twin of /manage/<slug>/insights."""
from union_saas.access.guards import tenant_view
from union_saas.core.api import Blueprint
from union_saas.extensions import db
from union_saas.insights import schemas, services

blp = Blueprint("insights_api", __name__, url_prefix="/api/v1", description="Figures of a subtree")


@blp.route("/tenants/<slug>/insights", methods=["GET"])
@blp.arguments(schemas.InsightsArgs, location="query")
@blp.response(200, schemas.InsightsSchema)
@tenant_view("insights.view")
def insights(args, tenant):
    """Headline figures of the subtree and one row per child union (from the rollups), and the trends."""
    headline, rows = services.overview(db.session, tenant, args["sort"], args["dir"] == "desc")
    return schemas.document(tenant, headline, rows, services.trends(db.session, tenant))
