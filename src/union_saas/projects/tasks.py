"""Jobs of calls for community projects: the ledger as .xlsx."""
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
from union_saas.projects import services
from union_saas.projects.models import Milestone, ProjectCall
from union_saas.tenancy.models import Tenant

BATCH = 500


@job("default", file_permission="project.manage")
def export_ledger(record, call_id):
    """The call's ledger (one row per funded project, then one per milestone), attached to the job."""
    session = db.session
    call = session.get(ProjectCall, call_id)
    if call is None:
        raise NotFound(_("Not found."))
    owner = session.get(User, record.owner_id)
    tenant = session.get(Tenant, call.tenant_id)
    if owner is None or not engine.can(owner, "project.manage", tenant):
        raise Forbidden(_("Your role here does not allow this."))
    with force_locale(owner.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        return _write(session, record, call, tenant)


def _write(session, record, call, tenant):
    book = xlsx.Book(zone=zone_of(tenant))
    ledger = book.sheet(_("Ledger"), [_("Project"), _("Union"), _("Tier"), _("Granted (yuan)"),
                                      _("Disbursed (yuan)"), _("Remaining (yuan)")])
    granted = disbursed = rows = 0
    for p in session.scalars(services.funded_stmt(call).execution_options(yield_per=BATCH)):
        ledger.append([p.title, p.tenant.name, p.awarded_tier.name if p.awarded_tier else "", p.granted / 100,
                       p.disbursed / 100, p.remaining / 100])
        granted, disbursed, rows = granted + p.granted, disbursed + p.disbursed, rows + 1
    ledger.append([])
    ledger.append([_("Total"), "", "", granted / 100, disbursed / 100, (granted - disbursed) / 100])
    ledger.append([_("Budget"), "", "", call.budget_total / 100, "", (call.budget_total - granted) / 100])
    milestones = book.sheet(_("Milestones"), [_("Project"), _("Milestone"), _("Amount (yuan)"), _("Due"),
                                              _("Status"), _("Reported at"), _("Approved at")])
    titles = {}
    stmt = (session.query(Milestone).filter(Milestone.call_id == call.id)
            .order_by(Milestone.proposal_id, Milestone.due_on, Milestone.id))
    from union_saas.projects.models import Proposal

    for pid, title in session.query(Proposal.id, Proposal.title).filter(Proposal.call_id == call.id,
                                                                        Proposal.status == "funded"):
        titles[pid] = title
    for m in stmt.yield_per(BATCH):
        milestones.append([titles.get(m.proposal_id, ""), m.title, m.amount / 100, m.due_on, m.status_label,
                           m.reported_at, m.approved_at])
    record.attach_file(session, f"project-call-{call.id}-ledger.xlsx", xlsx.MIMETYPE, book.save())
    return {"rows": rows}
