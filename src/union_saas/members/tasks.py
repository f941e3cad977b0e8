"""Jobs of the members domain: the .xlsx export of the directory, the roster import."""
from contextlib import contextmanager

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from union_saas.access import engine
from union_saas.accounts.models import User
from union_saas.core import files, signals, xlsx
from union_saas.core.audit import record as audit
from union_saas.core.errors import Forbidden
from union_saas.core.i18n import zone_of
from union_saas.core.jobs import file_expiry_cutoff, job, periodic
from union_saas.extensions import db
from union_saas.members import schemas, services
from union_saas.tenancy.models import Tenant

BATCH = 2000


def load(session, record, tenant_id, permission):
    """The tenant and the job's owner, asking again whether the owner still holds ``permission``."""
    tenant = session.get(Tenant, tenant_id)
    actor = session.get(User, record.owner_id)
    if tenant is None or actor is None or not engine.load_subject(session, actor).can(permission, tenant.path):
        raise Forbidden("the owner of this job may no longer do this here")
    return tenant, actor


@contextmanager
def owner_locale(actor, locale=None):
    """Speak the language the job was asked in (else the owner's, else the default)."""
    with force_locale(locale or actor.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        yield


@job("default", title=_l("Exporting the members"))
def export_members(record, tenant_id, filters, locale=None):
    """The directory as filtered, one row per membership, ID numbers masked."""
    session = db.session
    tenant, actor = load(session, record, tenant_id, "member.view")
    union = session.get(Tenant, filters["union"]) if filters.get("union") else None
    if union is not None and not union.is_in_subtree_of(tenant):
        union = None
    stmt = services.directory_stmt(tenant, subtree=filters.get("subtree", False), status=filters.get("status"),
                                   union=union, verified=filters.get("verified"), q=filters.get("q"))
    total = services.count(session, stmt)
    done = 0
    with owner_locale(actor, locale):
        book = xlsx.Book(zone=zone_of(tenant))
        sheet = book.sheet(_("Members"), [_("Name"), _("ID number"), _("Mobile number"), _("Union"), _("Status"),
                                          _("Verification"), _("Account"), _("Applied"), _("Decided")])
        for chunk in services.chunks(session, stmt, BATCH):
            for m in chunk:
                sheet.append([m.real_name or "", m.id_masked or "", m.phone or "", m.tenant.name,
                              schemas.STATUS_LABELS.get(m.status, m.status),
                              _("On the roster") if m.verified else _("Not verified"), m.user.username,
                              m.created_at, m.decided_at])
            done += len(chunk)
            record.set_progress(session, done, total)
        content = book.save()
    row = services.keep_file(session, kind="export", tenant_id=tenant.id, owner_id=actor.id, job_id=record.id,
                             filename=f"members-{tenant.slug}.xlsx", content=content)
    audit(session, action="member.export", actor=actor, tenant=tenant, target=tenant.slug,
          detail={"rows": done, "subtree": bool(filters.get("subtree"))})
    return {"rows": done, "file": row.id}


@job("imports", title=_l("Importing the roster"))
def import_roster(record, tenant_id, upload_id, locale=None):
    """Import an uploaded roster; the upload (plaintext ID numbers, encrypted at rest) is deleted after."""
    from union_saas.members import importer
    from union_saas.members.models import MemberFile

    session = db.session
    upload = session.get(MemberFile, upload_id)
    if upload is None:
        raise Forbidden("the upload is gone")
    try:
        tenant, actor = load(session, record, tenant_id, "member.import")
        raw = files.read(upload.file)
        kind = "csv" if upload.file.content_type == files.CSV.content_type else "xlsx"
        with owner_locale(actor, locale):
            # Reading and checking commit the progress only: nothing is written before every row is checked.
            def progress(done, total):
                record.set_progress(session, min(done, total) * 8 // 10, total)

            result = importer.import_roster(session, actor, tenant, raw, kind, job_id=record.id, progress=progress)
        services.drop_file(session, upload_id)
        # Listeners (insights: the federation's figures) act in this transaction, once the rows are in.
        signals.bulk_import_finished.send(session, tenant=tenant, kind="roster", rows=result.get("rows", 0))
        return result
    except Exception:
        session.rollback()
        services.drop_file(session, upload_id)
        session.commit()
        raise


@periodic(cron="7 * * * *")
def delete_expired_files(session):
    """Exports and import reports are kept as long as jobs' files (``JOB_FILES_KEPT``), then deleted
    (hourly); an upload whose import never ran is deleted after the same time."""
    from union_saas.members.models import MemberFile

    expired = session.execute(sa.select(MemberFile.id, MemberFile.file_id)
                              .where(MemberFile.created_at < file_expiry_cutoff())).all()
    if expired:
        session.execute(sa.delete(MemberFile).where(MemberFile.id.in_([row.id for row in expired])))
        files.delete(session, *[row.file_id for row in expired if row.file_id])
    return {"deleted": len(expired)}
