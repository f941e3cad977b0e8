"""Jobs of benefits: the automatic draw at the draw time, the pass-on after the claim deadline, the export."""
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from union_saas.access import engine
from union_saas.accounts.models import User
from union_saas.benefits import services
from union_saas.benefits.models import Giveaway
from union_saas.core import xlsx
from union_saas.core.db import utcnow
from union_saas.core.errors import Conflict, Forbidden, NotFound
from union_saas.core.i18n import zone_of
from union_saas.core.jobs import job, periodic, submit
from union_saas.extensions import db
from union_saas.tenancy.models import Tenant


@periodic(every=60)
def due_giveaways(session):
    """Every minute: queue the draws whose window has closed and the pass-ons whose deadline has passed."""
    now = utcnow()
    if session.scalar(services.due_draws_stmt(now).limit(1)) is not None:
        submit(session, draw_due)
    if session.scalar(services.due_pass_ons_stmt(now).limit(1)) is not None:
        submit(session, pass_on_due)


@job("fanout")
def draw_due(record):
    """Draw every lottery whose window has closed. Idempotent: a drawn giveaway is never drawn again (the
    draw marks it by a conditional UPDATE), so a doubled or repeated run changes nothing."""
    session = db.session
    drawn = 0
    for giveaway_id in list(session.scalars(services.due_draws_stmt(utcnow()))):
        giveaway = session.get(Giveaway, giveaway_id, populate_existing=True)
        try:
            services.draw(session, None, giveaway)
        except Conflict:
            session.rollback()
            continue
        session.commit()
        drawn += 1
    return {"drawn": drawn}


@job("fanout")
def pass_on_due(record):
    """Pass unclaimed tickets on to the reserve after the claim deadline. Idempotent (``passed_on_at``)."""
    session = db.session
    passed = 0
    for giveaway_id in list(session.scalars(services.due_pass_ons_stmt(utcnow()))):
        passed += services.pass_on(session, giveaway_id)
        session.commit()
    return {"passed_on": passed}


@job("default", file_permission="benefit.manage")
def export_claims(record, tenant_id):
    """The subtree's subsidy claims and their totals per year and union, as .xlsx attached to the job."""
    session = db.session
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound(_("No such union."))
    owner = session.get(User, record.owner_id)
    if owner is None or not engine.can(owner, "benefit.manage", tenant):
        raise Forbidden(_("Your role here does not allow this."))
    with force_locale(owner.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        book = xlsx.Book(zone=zone_of(tenant))
        totals = book.sheet(_("Totals"), [_("Year"), _("Union"), _("Claims"), _("Requested (yuan)"),
                                          _("Granted (yuan)"), _("Waiting")])
        for row in services.breakdown(session, tenant):
            totals.append([row["year"], row["tenant"], row["claims"], float(row["requested"]),
                           float(row["granted"]), row["waiting"]])
        claims = book.sheet(_("Claims"), [_("Activity"), _("Union"), _("Ended at"), _("Confirmed"), _("Checked in"),
                                          _("Requested (yuan)"), _("Granted (yuan)"), _("Status"), _("Reason")])
        done = 0
        for claim in session.scalars(services.claims_stmt(tenant).execution_options(yield_per=500)):
            claims.append([claim.activity.title, claim.tenant.name, claim.activity_ended_at, claim.evidence_confirmed,
                           claim.evidence_checked_in, float(claim.amount_requested),
                           float(claim.amount_granted) if claim.amount_granted is not None else None,
                           str(claim.status_label), claim.reason or ""])
            done += 1
        record.attach_file(session, f"subsidies-{tenant.slug}.xlsx", xlsx.MIMETYPE, book.save())
    return {"rows": done}
