"""Jobs of the office: fan-outs (notices, tasks, cascades), the report export, due-date reminders.

Each job reloads what it needs and asks again whether its starter may still do this: permissions may
have changed since it was queued. Re-running a fan-out creates nothing twice (unique keys, insert-if-missing).
"""
import io

from flask_babel import lazy_gettext as _l

from union_saas.access import engine
from union_saas.accounts.models import User
from union_saas.core import xlsx
from union_saas.core.errors import Forbidden
from union_saas.core.i18n import zone_of
from union_saas.core.jobs import job, periodic
from union_saas.extensions import db
from union_saas.office import services
from union_saas.office.models import Notice
from union_saas.tenancy.models import Tenant


def _still_allowed(session, record, permission, tenant_id):
    tenant = session.get(Tenant, tenant_id)
    actor = session.get(User, record.owner_id) if record.owner_id else None
    if tenant is None or actor is None or not engine.load_subject(session, actor).can(permission, tenant.path):
        raise Forbidden(f"the sender may no longer use {permission} here")
    return tenant, actor


@job("fanout", title=_l("Sending the notice"))
def send_notice(record, notice_id):
    """Make one receipt per addressed office of a notice."""
    session = db.session
    notice = session.get(Notice, notice_id)
    if notice is None:
        raise Forbidden("the notice is gone")
    _still_allowed(session, record, "notice.send", notice.tenant_id)
    return services.fan_out_notice(session, notice,
                                   progress=lambda done, total: record.set_progress(session, done, total))


@job("fanout", title=_l("Assigning the task"))
def assign_task(record, task_id):
    """Make one assignment per addressed office of a task."""
    from union_saas.office.models import Task

    session = db.session
    task = session.get(Task, task_id)
    if task is None:
        raise Forbidden("the task is gone")
    sender, _actor = _still_allowed(session, record, "task.assign", task.tenant_id)
    return services.fan_out_task(session, task, sender, task.target, task.target_ids,
                                 progress=lambda done, total: record.set_progress(session, done, total))


@job("fanout", title=_l("Passing the task on"))
def cascade_assignment(record, assignment_id, target, target_ids):
    """Pass an assignment on below its office: assignments of the same task, linked to it."""
    from union_saas.office.models import Assignment, Task

    session = db.session
    parent = session.get(Assignment, assignment_id)
    if parent is None:
        raise Forbidden("the assignment is gone")
    tenant, _actor = _still_allowed(session, record, "task.assign", parent.tenant_id)
    task = session.get(Task, parent.task_id)
    return services.fan_out_task(session, task, tenant, target, target_ids, parent=parent,
                                 progress=lambda done, total: record.set_progress(session, done, total))


@job("default", file_permission="task.assign", title=_l("Exporting the reports"))
def export_reports(record, task_id):
    """Write every report of a task to an .xlsx file (one row per assigned union, parents first), attached
    to the job for its owner."""
    from union_saas.office.models import Task

    session = db.session
    task = session.get(Task, task_id)
    if task is None:
        raise Forbidden("the task is gone")
    tenant, actor = _still_allowed(session, record, "task.assign", task.tenant_id)
    out = io.BytesIO()
    rows = services.write_export(session, task, out, locale=actor.locale, zone=zone_of(tenant),
                                 progress=lambda done, total: record.report_progress(session, done, total))
    record.attach_file(session, f"task-{task.id}-reports.xlsx", xlsx.MIMETYPE, out.getvalue())
    return {"rows": rows}


@periodic(cron="0 8 * * *")
def daily_due_reminders(session):
    """Remind offices of tasks due tomorrow or today (daily, at 08:00)."""
    return services.send_due_reminders(session)


def send_due_reminders():
    """Remind the offices whose assignments are due tomorrow or today, and commit.

    ``flask office send-reminders`` calls it by hand; the workers run ``daily_due_reminders``. Idempotent.
    """
    from flask import has_app_context

    if not has_app_context():
        from union_saas import create_app

        with create_app().app_context():
            return send_due_reminders()
    sent = services.send_due_reminders(db.session)
    db.session.commit()
    return sent
