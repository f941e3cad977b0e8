"""Jobs of the activities domain: the .xlsx export of sign-ups, and the day-before reminders."""
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from union_saas.access import engine
from union_saas.accounts.models import User
from union_saas.activities import services
from union_saas.activities.models import Activity
from union_saas.core import xlsx
from union_saas.core.db import utcnow
from union_saas.core.errors import Forbidden, NotFound
from union_saas.core.i18n import zone_of
from union_saas.core.jobs import job, periodic, submit
from union_saas.extensions import db
from union_saas.tenancy.models import Tenant

BATCH = 1000


@job("default", file_permission="activity.manage", title=_l("Exporting the sign-ups"))
def export_signups(record, activity_id):
    """Write the sign-up list of an activity to an .xlsx file, attached to the job for its owner."""
    session = db.session
    activity = session.get(Activity, activity_id)
    if activity is None:
        raise NotFound(_("No such activity."))
    owner = session.get(User, record.owner_id)
    tenant = session.get(Tenant, activity.tenant_id)
    if owner is None or not engine.can(owner, "activity.manage", tenant):
        raise Forbidden(_("Your role here does not allow this."))
    # A worker has no request to pick a language from: the owner's, else the platform's.
    with force_locale(owner.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        return _write_export(session, record, activity, zone_of(tenant))


def _write_export(session, record, activity, zone):
    total = activity.confirmed_count + activity.waitlist_count
    book = xlsx.Book(zone=zone)
    sheet = book.sheet(_("Sign-ups"), [_("Name"), _("Username"), _("Union"), _("Status"), _("Waitlist position"),
                                       _("Signed up at"), _("Checked in at")])
    done = 0
    stmt = services.signups_stmt(activity).where(services.SignUp.status.in_(("confirmed", "waitlisted")))
    for signup in session.scalars(stmt.execution_options(yield_per=BATCH)):
        sheet.append([signup.user.display_name, signup.user.username,
                      signup.home_tenant.name if signup.home_tenant else "", signup.status_label,
                      signup.position if signup.status == "waitlisted" else None,
                      signup.created_at, signup.checked_in_at])
        done += 1
        if done % BATCH == 0:
            record.report_progress(session, done, total)
    record.attach_file(session, f"activity-{activity.id}-signups.xlsx", xlsx.MIMETYPE, book.save())
    return {"rows": done}


@periodic(cron="0 * * * *")
def hourly_reminders(session):
    """Queue the day-before reminders (every hour, on the hour)."""
    submit(session, send_reminders)


@job("fanout", title=_l("Sending reminders"))
def send_reminders(record, now_iso=None):
    """Remind everyone confirmed, the day before. The workers queue it hourly (``hourly_reminders``; by
    hand: ``flask activities send-reminders``); each activity is reminded once (``reminded_at``), so a
    missed or doubled run does no harm."""
    from datetime import datetime

    session = db.session
    now = datetime.fromisoformat(now_iso) if now_iso else utcnow()
    activities = told = 0
    while True:
        batch = list(session.scalars(services.due_reminders_stmt(now).limit(50)))
        if not batch:
            break
        for activity in batch:
            told += services.send_reminder(session, activity, now)
            activities += 1
        session.commit()
    return {"activities": activities, "reminded": told}


