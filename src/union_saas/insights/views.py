"""Insights pages: /manage/<slug>/insights, read from the rollups, and the refresh command."""
import click
import marshmallow as ma
from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from union_saas.access.guards import tenant_view
from union_saas.activities.models import CATEGORY_LABELS
from union_saas.core import jobs
from union_saas.core.errors import ValidationFailed
from union_saas.extensions import db
from union_saas.insights import schemas, services, tasks
from union_saas.insights.models import FIGURES
from union_saas.tenancy import sections
from union_saas.tenancy.models import Tenant

bp = Blueprint("insights", __name__, template_folder="templates", static_folder="static",
               static_url_path="/insights/static")

sections.manage_tab("insights.overview", _l("Insights"), "insights.view", 60)

# Column headings of the per-child table (and of the headline figures), in FIGURES order.
LABELS = {
    "members_pending": _l("Pending"), "members_active": _l("Active members"), "members_closed": _l("Closed"),
    "members_rejected": _l("Rejected applications"), "members_verified": _l("Verified"), "followers": _l("Followers"),
    "activities_held": _l("Activities held"), "activities_upcoming": _l("Upcoming activities"),
    "participations": _l("Participations"), "checkins": _l("Check-ins"),
    "notices_addressed": _l("Notices addressed"), "notices_read": _l("Notices read"),
    "tasks_assigned": _l("Tasks assigned"), "tasks_on_time": _l("Tasks reported on time"),
    "verification_rate": _l("Verification rate"),
}


def table_args(args):
    try:
        return schemas.InsightsArgs().load(args)
    except ma.ValidationError as error:
        raise ValidationFailed(_("Please correct the marked fields."), errors=error.messages) from None


@bp.route("/manage/<slug>/insights")
@tenant_view("insights.view")
def overview(tenant):
    args = table_args(request.args.to_dict())
    headline, rows = services.overview(db.session, tenant, args["sort"], args["dir"] == "desc")
    trends = services.trends(db.session, tenant)
    chart_data = {**trends, "labels": {"members_joined": _("Members joined"), "participations": _("Participations")},
                  "categories": [{**c, "label": str(CATEGORY_LABELS.get(c["category"], c["category"]))}
                                 for c in trends["categories"]]}
    return render_template("insights/overview.html", tenant=tenant, headline=headline, rows=rows,
                           sort=args["sort"], dir=args["dir"], figures=FIGURES, labels=LABELS, chart_data=chart_data)


@bp.route("/manage/<slug>/insights/refresh", methods=["POST"])
@tenant_view("insights.view")
def refresh(tenant):
    job = jobs.submit(db.session, tasks.refresh, tenant.id, owner=current_user, tenant=tenant)
    return redirect(url_for("core.job_page", job_id=job.id, back=url_for("insights.overview", slug=tenant.slug)))


@bp.cli.command("refresh")
@click.option("--root", default=None, help="Slug of one federation (default: all).")
def refresh_command(root):
    """Recompute the rollups (cron or rq-scheduler runs this, e.g. every 10 minutes)."""
    import sqlalchemy as sa

    stmt = sa.select(Tenant).where(Tenant.parent_id.is_(None))
    if root:
        stmt = stmt.where(Tenant.slug == root)
    roots = db.session.scalars(stmt).all()
    if not roots:
        raise click.ClickException(f"no federation {root!r}")
    ids = [jobs.submit(db.session, tasks.refresh, r.id).id for r in roots]
    db.session.commit()
    jobs.dispatch_pending()  # to RQ, or run here when jobs run inline
    for job_id in ids:
        record = db.session.get(jobs.JobRecord, job_id)
        click.echo(f"insights refresh job {job_id}: {record.status} {record.result or ''}")
