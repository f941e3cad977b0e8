"""The append-only audit log: who did what, where, when, with detail."""
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column

from union_saas.core.db import Base, created_at_column

# The sentence the audit page writes for each action, in the reader's language; every domain adds the actions
# it records (a test reads the code for every ``action=`` and wants its sentence here). Placeholders: ``actor``
# (who did it), ``union`` (where), ``target`` (what the entry names), each key of the entry's ``detail``, and
# what the domains' ``params`` functions add. ``"action:variant"`` keys are sentences a params function may
# choose by setting ``_variant``.
AUDIT_LABELS = {
    "tenant.create": _l("%(actor)s created the union %(name)s (%(kind)s)."),
    "tenant.edit": _l("%(actor)s changed the details of %(union)s: %(changes)s."),
    "tenant.archive": _l("%(actor)s archived %(union)s."),
    "tenant.restore": _l("%(actor)s restored %(union)s."),
    "tenant.move": _l("%(actor)s moved %(union)s under %(parent)s."),
    "tenant.import": _l("%(actor)s imported sub-unions into %(union)s (created: %(created)s, updated: %(updated)s)."),
    "grant.create": _l("%(actor)s gave %(target)s the role %(role)s at %(union)s."),
    "grant.revoke": _l("%(actor)s took the role %(role)s at %(union)s away from %(target)s."),
    "grant.create.refused": _l("%(actor)s tried to give %(target)s the role %(role)s at %(union)s, beyond their "
                               "own rights: refused."),
    "grant.revoke.refused": _l("%(actor)s tried to take the role %(role)s at %(union)s away from %(target)s, "
                               "beyond their own rights: refused."),
}
# [(action prefix, fn(session, entries) -> {entry id: {placeholder: text}})]: what a sentence needs that the
# entry does not hold (a member's name, an activity's title, a union's name for a slug), for a page of entries
# at once (a query or two per function, never one per entry).
AUDIT_PARAMS: list = []
UNKNOWN = "…"


def params(prefix=""):
    """Register ``fn(session, entries)`` for the entries whose action starts with ``prefix``."""
    def decorate(fn):
        AUDIT_PARAMS.append((prefix, fn))
        return fn

    return decorate


class _Params(dict):
    def __missing__(self, key):
        return UNKNOWN


def plain(value) -> str:
    """A detail value as a reader sees it."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, (list, tuple)):
        return ", ".join(plain(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {plain(v)}" for k, v in value.items())
    return str(value)


def describe_all(session, entries) -> dict:
    """{entry id: its sentence in the reader's language} for ``entries`` (actor and tenant loaded)."""
    entries = list(entries)
    table = {}
    for entry in entries:
        actor = entry.actor
        p = _Params({key: plain(value) for key, value in (entry.detail or {}).items()})
        p.update(actor=(actor.display_name or actor.username) if actor else gettext("The platform"),
                 union=entry.tenant.name if entry.tenant_id is not None else "—", target=entry.target or "—")
        table[entry.id] = p
    for prefix, fn in AUDIT_PARAMS:
        mine = [e for e in entries if e.action.startswith(prefix)]
        if mine:
            for entry_id, extra in fn(session, mine).items():
                table[entry_id].update(extra)
    out = {}
    for entry in entries:
        p = table[entry.id]
        variant = p.pop("_variant", None)
        template = AUDIT_LABELS.get(f"{entry.action}:{variant}") if variant else None
        template = template or AUDIT_LABELS.get(entry.action)
        if template is None:
            out[entry.id] = f"{p['actor']}: {entry.action}"
            continue
        try:
            out[entry.id] = str(template) % p
        except (TypeError, ValueError):  # a sentence badly translated: never a 500 on the audit page
            out[entry.id] = f"{p['actor']}: {entry.action}"
    return out


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
