"""Jobs of the activities domain: the .xlsx export of sign-ups, and the day-before reminders."""
import io

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from union_saas.access import engine
from union_saas.accounts.models import User
from union_saas.activities import services
from union_saas.activities.models import Activity
from union_saas.core.db import utcnow
from union_saas.core.errors import Forbidden, NotFound
from union_saas.core.jobs import XLSX, job, periodic, submit
from union_saas.extensions import db
from union_saas.tenancy.models import Tenant

BATCH = 1000


@job("default", file_permission="activity.manage")
def export_signups(record, activity_id):
    """Write the sign-up list of an activity to an .xlsx file, attached to the job for its owner."""
    session = db.session
    activity = session.get(Activity, activity_id)
    if activity is None:
        raise NotFound(_("No such activity."))
    owner = session.get(User, record.owner_id)
    if owner is None or not engine.can(owner, "activity.manage", session.get(Tenant, activity.tenant_id)):
        raise Forbidden(_("Your role here does not allow this."))
    # A worker has no request to pick a language from: the owner's, else the platform's.
    with force_locale(owner.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        return _write_export(session, record, activity)


def _write_export(session, record, activity):
    from openpyxl import Workbook

    total = activity.confirmed_count + activity.waitlist_count
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Sign-ups"))
    sheet.append([_("Name"), _("Username"), _("Union"), _("Status"), _("Waitlist position"), _("Signed up at"),
                  _("Checked in at")])
    done = 0
    stmt = services.signups_stmt(activity).where(services.SignUp.status.in_(("confirmed", "waitlisted")))
    for signup in session.scalars(stmt.execution_options(yield_per=BATCH)):
        sheet.append([signup.user.display_name, signup.user.username,
                      signup.home_tenant.name if signup.home_tenant else "", str(signup.status_label),
                      signup.position if signup.status == "waitlisted" else None,
                      signup.created_at.replace(tzinfo=None), signup.checked_in_at.replace(tzinfo=None)
                      if signup.checked_in_at else None])
        done += 1
        if done % BATCH == 0:
            record.set_progress(session, done, total)
    out = io.BytesIO()
    book.save(out)
    record.attach_file(session, f"activity-{activity.id}-signups.xlsx", XLSX, out.getvalue())
    return {"rows": done}


@periodic(cron="0 * * * *")
def hourly_reminders(session):
    """Queue the day-before reminders (every hour, on the hour)."""
    submit(session, send_reminders)


@job("fanout")
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


