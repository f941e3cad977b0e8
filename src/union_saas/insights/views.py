"""Insights pages: /manage/<slug>/insights, read from the rollups, and the refresh command."""
import click
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from union_saas.access.guards import tenant_view
from union_saas.activities.models import CATEGORY_LABELS
from union_saas.core import jobs
from union_saas.core.forms import load
from union_saas.extensions import db, limiter
from union_saas.insights import schemas, services, tasks
from union_saas.insights.models import FIGURES, LABELS
from union_saas.tenancy import sections

bp = Blueprint("insights", __name__, template_folder="templates", static_folder="static",
               static_url_path="/insights/static")

sections.manage_tab("insights.overview", _l("Insights"), "insights.view", 60)


def table_args(args):
    return load(schemas.InsightsArgs(), args)


@bp.route("/manage/<slug>/insights")
@tenant_view("insights.view")
def overview(tenant):
    args = table_args(request.args.to_dict())
    headline, rows = services.overview(db.session, tenant, args["sort"], args["dir"] == "desc")
    trends = services.trends(db.session, tenant)
    chart_data = {**trends, "labels": {"members_joined": str(LABELS["members_joined"]),
                                       "participations": str(LABELS["participations"])},
                  "categories": [{**c, "label": str(CATEGORY_LABELS.get(c["category"], c["category"]))}
                                 for c in trends["categories"]]}
    return render_template("insights/overview.html", tenant=tenant, headline=headline, rows=rows,
                           items=services.headline_items(headline), sort=args["sort"], dir=args["dir"],
                           figures=FIGURES, labels=LABELS, chart_data=chart_data)


def _refresh_asker():
    if current_user.is_authenticated:
        return f"insights-refresh:{current_user.id}"
    from flask_limiter.util import get_remote_address

    return f"insights-refresh:{get_remote_address()}"  # refused by the guard anyway


@bp.route("/manage/<slug>/insights/refresh", methods=["POST"])
@limiter.limit(tasks.refresh_limit, key_func=_refresh_asker)
@tenant_view("insights.view")
def refresh(tenant):
    """Ask for fresh figures: coalesced per federation (``tasks.queue_refresh``) and limited per person."""
    back = url_for("insights.overview", slug=tenant.slug)
    job, queued = tasks.queue_refresh(db.session, tenant, owner=current_user)
    if not queued:
        if job.status in ("queued", "started"):
            flash(_("A refresh of the figures is already waiting to run; they will be up to date in a moment."))
        else:
            flash(_("The figures were refreshed a few minutes ago; they are up to date."))
        return redirect(back)
    return redirect(url_for("core.job_page", job_id=job.id, back=back))


@bp.route("/manage/<slug>/insights/export", methods=["POST"])
@tenant_view("insights.view")
def export(tenant):
    """The page as an .xlsx file (same columns, same order), written by a job whose bar the job page shows."""
    args = table_args(request.form.to_dict())
    job = jobs.submit(db.session, tasks.export, tenant.id, args["sort"], args["dir"], str(get_locale()),
                      owner=current_user, tenant=tenant)
    back = url_for("insights.overview", slug=tenant.slug, sort=args["sort"], dir=args["dir"])
    return redirect(url_for("core.job_page", job_id=job.id, back=back))


@bp.cli.command("refresh")
@click.option("--root", default=None, help="Slug of one federation (default: all).")
def refresh_command(root):
    """Queue a refresh of the figures (the workers also do every 10 minutes: ``flask jobs schedule``)."""
    roots = services.federations(db.session, root)
    if not roots:
        raise click.ClickException(f"no federation {root!r}")
    ids = [tasks.queue_refresh(db.session, r)[0].id for r in roots]
    db.session.commit()
    jobs.dispatch_pending()  # to RQ, or run here when jobs run inline
    for job_id in ids:
        record = db.session.get(jobs.JobRecord, job_id)
        click.echo(f"insights refresh job {job_id}: {record.status} {record.result or ''}")
