"""The append-only audit log: who did what, where, when, with detail."""
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column

from union_saas.core.db import Base, created_at_column

# How the audit page names each action; every domain adds the actions it records.
AUDIT_LABELS = {
    "tenant.create": _l("Union created"),
    "tenant.edit": _l("Union edited"),
    "tenant.archive": _l("Union archived"),
    "tenant.restore": _l("Union restored"),
    "tenant.move": _l("Union moved"),
    "tenant.import": _l("Sub-unions imported"),
    "grant.create": _l("Role granted"),
    "grant.revoke": _l("Role revoked"),
    "grant.create.refused": _l("Grant refused (beyond the granter's rights)"),
    "grant.revoke.refused": _l("Revoke refused (beyond the revoker's rights)"),
}


class AuditEntry(Base):
    """One event. ``tenant_path`` is the path when it happened, so the ancestors of that time see it."""

    __tablename__ = "audit_entry"
    __table_args__ = (sa.Index("ix_audit_entry_root_path_at", "root_id", "tenant_path", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = created_at_column()
    root_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tenant.id"))
    tenant_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tenant.id"))
    tenant_path: Mapped[str | None] = mapped_column(sa.String(255))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    action: Mapped[str] = mapped_column(sa.String(64))
    target: Mapped[str | None] = mapped_column(sa.String(255))
    detail: Mapped[dict] = mapped_column(sa.JSON, default=dict)

    actor = sa.orm.relationship("User", lazy="raise")
    tenant = sa.orm.relationship("Tenant", foreign_keys=[tenant_id], lazy="raise")

    def doc(self):
        return {"at": self.at, "actor": self.actor.username if self.actor else None, "action": self.action,
                "target": self.target, "tenant": self.tenant.slug if self.tenant else None, "detail": self.detail}


def record(session, *, action, actor=None, tenant=None, target=None, detail=None):
    """Add an audit entry to the session's transaction."""
    entry = AuditEntry(
        action=action,
        actor_id=getattr(actor, "id", actor),
        tenant_id=tenant.id if tenant is not None else None,
        root_id=tenant.root_id if tenant is not None else None,
        tenant_path=tenant.path if tenant is not None else None,
        target=target,
        detail=detail or {},
    )
    session.add(entry)
    return entry


@event.listens_for(Session, "before_flush")
def _append_only(session, flush_context, instances):
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEntry) and (obj in session.deleted or session.is_modified(obj)):
            raise RuntimeError("the audit log is append-only")
