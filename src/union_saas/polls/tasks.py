"""Jobs of the polls domain: the .xlsx export of a poll's results and receipts, for its organisers."""
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from union_saas.access import engine
from union_saas.accounts.models import User
from union_saas.core import xlsx
from union_saas.core.errors import Forbidden, NotFound
from union_saas.core.i18n import zone_of
from union_saas.core.jobs import job
from union_saas.extensions import db
from union_saas.polls import services
from union_saas.polls.models import PHASE_LABELS
from union_saas.tenancy.models import Tenant

BATCH = 2000


@job("default", file_permission="poll.manage")
def export_results(record, poll_id):
    """Results (bars as numbers, with the jury's part for a contest) and every receipt, in one workbook."""
    session = db.session
    poll = services._load_poll(session, poll_id)
    if poll is None:
        raise NotFound(_("Not found."))
    owner = session.get(User, record.owner_id)
    tenant = session.get(Tenant, poll.tenant_id)
    if owner is None or not engine.can(owner, services.MANAGE, tenant):
        raise Forbidden(_("Your role here does not allow this."))
    with force_locale(owner.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        return _write(session, record, poll, zone_of(tenant))


def _write(session, record, poll, zone):
    from union_saas.core.db import utcnow

    services.load_options(session, poll)
    res = services.results(session, poll)
    book = xlsx.Book(zone=zone)
    heading = [_("Option"), _("Votes"), _("Share of voters")]
    if poll.kind == "contest":
        heading += [_("Public points"), _("Jury score"), _("Score")]
    sheet = book.sheet(_("Results"), heading)
    for row in res["options"]:
        cells = [row["label"], row["votes"], xlsx.percent(row["share"])]
        if poll.kind == "contest":
            cells += [row["public_points"], row["jury_score"], row["score"]]
        sheet.append(cells)
    summary = book.sheet(_("Summary"), [_("Poll"), _("Status"), _("Voters"), _("Eligible members"), _("Turnout"),
                                        _("Opens"), _("Closes"), _("Formula")])
    phase = "annulled" if poll.status == "annulled" else poll.phase(utcnow())
    summary.append([poll.title, str(PHASE_LABELS[phase]), res["voters"], res["eligible"], xlsx.percent(res["turnout"]),
                    poll.opens_at, poll.closes_at, services.formula(poll) or ""])
    done = 0
    if phase == "open" or phase == "scheduled":
        # Receipts listed while votes come in would tie a new receipt to whoever just voted: only once closed.
        record.attach_file(session, f"poll-{poll.id}-results.xlsx", xlsx.MIMETYPE, book.save())
        return {"rows": 0}
    receipts = book.sheet(_("Receipts"), [_("Receipt")])
    for receipt in session.scalars(services.receipts_stmt(poll).execution_options(yield_per=BATCH)):
        receipts.append([receipt])
        done += 1
        if done % BATCH == 0:
            record.report_progress(session, done, res["voters"])
    record.attach_file(session, f"poll-{poll.id}-results.xlsx", xlsx.MIMETYPE, book.save())
    return {"rows": done}
