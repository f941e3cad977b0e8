"""Jobs of the groups domain: the .xlsx of an award round's results, with each juror's scores."""
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
from union_saas.groups import services


@job("default", file_permission="group.manage")
def export_results(record, round_id):
    session = db.session
    rnd = services.load_round(session, round_id)
    if rnd is None:
        raise NotFound(_("Not found."))
    owner = session.get(User, record.owner_id)
    if owner is None or not engine.can(owner, services.MANAGE, rnd.tenant):
        raise Forbidden(_("Your role here does not allow this."))
    with force_locale(owner.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        return write_results(session, record, rnd)


def write_results(session, record, rnd):
    ranked = services.published_results(session, rnd)
    scores = {}
    for nomination_id, username, name, value, comment in services.scores_for_export(session, rnd):
        scores.setdefault(nomination_id, []).append((username, name, value, comment))
    book = xlsx.Book(zone=zone_of(rnd.tenant))
    results = book.sheet(_("Award results"), [_("Category"), _("Rank"), _("Group"), _("Union"), _("Mean score"),
                                        _("Scores"), _("Activities held"), _("Participants"), _("Check-ins"),
                                        _("Awarded")])
    detail = book.sheet(_("Jurors' scores"), [_("Category"), _("Group"), _("Juror"), _("Username"), _("Score"),
                                              _("Juror's remarks")])
    rows = 0
    for category in ranked:
        for r in category["nominations"]:
            d = r["dossier"]
            results.append([category["name"], r["rank"], r["group_name"], r["tenant_name"], r["mean"],
                            r["scores_count"], d["activities_held"], d["participants"], d["checkins"],
                            _("Yes") if r["awarded"] else _("No")])
            rows += 1
            for username, name, value, comment in scores.get(r["nomination"], []):
                detail.append([category["name"], r["group_name"], name, username, value, comment])
    record.attach_file(session, f"award-round-{rnd.id}-results.xlsx", xlsx.MIMETYPE, book.save())
    return {"rows": rows}
