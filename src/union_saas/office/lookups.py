"""What the API and the pages of the office share: loading a record the caller may see, and its shape."""
import sqlalchemy as sa
from flask_babel import gettext as _
from flask_login import current_user

from union_saas.access import engine
from union_saas.core import files
from union_saas.core.errors import Forbidden, NotFound
from union_saas.extensions import db
from union_saas.office import schemas, services
from union_saas.tenancy.models import Tenant
from union_saas.tenancy.services import get_by_slug


def notice_scope(notice, under_slug, permission=None):
    """(notice, under, prefix) for the receipts rollup; 404 unless the caller may see it.

    ``permission``: also required at ``under`` (``notice.send`` to remind).
    """
    if under_slug:
        try:
            under = get_by_slug(db.session, under_slug)
        except NotFound:
            raise NotFound(_("No such notice.")) from None
    else:
        under = db.session.get(Tenant, notice.tenant_id)
    prefix = services.notice_rollup_scope(db.session, current_user, notice, under)
    if permission and not engine.can(current_user, permission, under):
        raise Forbidden(_("Your role here does not allow this."))
    return notice, under, prefix


def slugs_of(ids):
    ids = set(ids)
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(Tenant.id, Tenant.slug).where(Tenant.id.in_(ids))).all())


def inbox_docs(rows):
    """Inbox items (notice, receipt) with the sender's slug and the notice's counts (three queries in all)."""
    notices = [n for n, _r in rows]
    slugs = slugs_of(n.tenant_id for n in notices)
    counts = services.notice_counts(db.session, [n.id for n in notices])
    return [{**schemas.notice_doc(n, slugs.get(n.tenant_id), counts.get(n.id, (0, 0))),
             "read_at": r.read_at, "acked_at": r.acked_at} for n, r in rows]


def member_docs(notices):
    slugs = slugs_of(n.tenant_id for n in notices)
    return [{"id": n.id, "tenant": slugs.get(n.tenant_id), "title": n.title, "body": n.body,
             "body_html": n.body_html, "priority": n.priority, "sent_at": n.sent_at} for n in notices]


def task_scope(task, under_slug):
    """(task, under, prefix) for the progress rollup; 404 unless the caller may see it."""
    if under_slug:
        try:
            under = get_by_slug(db.session, under_slug)
        except NotFound:
            raise NotFound(_("No such task.")) from None
    else:
        under = db.session.get(Tenant, task.tenant_id)
    return task, under, services.progress_scope(db.session, current_user, task, under)


def recent_exports(task, tenant):
    """The caller's last finished exports of ``task`` that have their file (one query)."""
    from union_saas.core.jobs import JobRecord
    from union_saas.office.tasks import export_reports

    records = db.session.scalars(sa.select(JobRecord).where(
        JobRecord.file_id.is_not(None), JobRecord.owner_id == current_user.id, JobRecord.tenant_id == tenant.id,
        JobRecord.kind == export_reports.job_name, JobRecord.status == "finished")
        .order_by(JobRecord.created_at.desc()).limit(20)).all()
    return [r for r in records if r.args and r.args[0] == task.id][:3]


def send_notice_file(attachment):
    """A file of a notice (the guard checked that the caller may read the notice)."""
    return files.send(attachment.file)
