"""Help requests: a case (``HelpCase``), its messages, attachments and events (the timeline), and the
federation's clocks per category (``HelpSetting``).

A case is owned by the union handling it now (``tenant_id``, ``tenant_path``); ``home_path`` is the path of
the union it was filed at, so that every union it climbed from (all of them lie between the two) keeps
reading it: a queue of a subtree is one range of ``home_path``. The clocks are columns, written at filing
and at each event: ``climb_at`` (the first-response deadline while no handler has answered at this level:
what the scheduler climbs on) and ``due_at`` (the earliest running deadline; NULL once resolved), so
"overdue" is one indexed range.
"""
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from union_saas.core import files
from union_saas.core.db import Base, created_at_column, utcnow
from union_saas.tenancy.content import TenantOwned

CATEGORIES = ("legal", "hardship", "workplace", "other")
URGENCIES = ("normal", "urgent")
STATUSES = ("open", "in_progress", "waiting_member", "resolved", "closed")
ACTIVE = ("open", "in_progress", "waiting_member")
EVENT_KINDS = ("filed", "assigned", "status", "escalated", "responded", "reopened", "rated")

CATEGORY_LABELS = {"legal": _l("Legal advice"), "hardship": _l("Hardship assistance"),
                   "workplace": _l("Workplace problem"), "other": _l("Other")}
URGENCY_LABELS = {"normal": _l("Normal"), "urgent": _l("Urgent")}
STATUS_LABELS = {"open": _l("Waiting for an answer"), "in_progress": _l("In progress"), "waiting_member": _l("Waiting for the member"),
                 "resolved": _l("Resolved"), "closed": _l("Closed")}
EVENT_LABELS = {"filed": _l("Filed"), "assigned": _l("Assigned to a handler"), "status": _l("Status changed"),
                "escalated": _l("Escalated"), "responded": _l("First response"), "reopened": _l("Reopened"),
                "rated": _l("Rated")}

# Clocks when the federation has not set its own: (first response in hours, resolution in days).
DEFAULT_CLOCKS = {"legal": (24.0, 14.0), "hardship": (24.0, 7.0), "workplace": (48.0, 14.0), "other": (72.0, 30.0)}
REOPEN_DAYS = 14


class HelpCase(TenantOwned, Base):
    __tablename__ = "help_case"
    __table_args__ = (
        sa.CheckConstraint(f"category IN {CATEGORIES}", name="category"),
        sa.CheckConstraint(f"urgency IN {URGENCIES}", name="urgency"),
        sa.CheckConstraint(f"status IN {STATUSES}", name="status"),
        sa.CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 5)", name="rating"),
        # A queue page: the cases filed in a subtree, the overdue ones one range of due_at.
        sa.Index("ix_help_case_home_due", "home_path", "due_at"),
        sa.Index("ix_help_case_home_created", "home_path", "created_at"),
        sa.Index("ix_help_case_requester", "requester_id", "created_at"),
        # What the scheduler climbs: only cases waiting for a first response.
        sa.Index("ix_help_case_climb", "climb_at", sqlite_where=sa.text("climb_at IS NOT NULL"),
                 postgresql_where=sa.text("climb_at IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_path: Mapped[str] = mapped_column(sa.String(255))  # the path of the union handling it now
    home_id: Mapped[int] = mapped_column(sa.ForeignKey("tenant.id"))  # where it was filed
    home_path: Mapped[str] = mapped_column(sa.String(255))
    requester_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    category: Mapped[str] = mapped_column(sa.String(16))
    title: Mapped[str] = mapped_column(sa.String(120))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    urgency: Mapped[str] = mapped_column(sa.String(8), default="normal")
    status: Mapped[str] = mapped_column(sa.String(16), default="open")
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Clocks (API.md, Help requests): set at filing, at each climb and at reopening.
    first_response_due: Mapped[datetime]
    first_response_at: Mapped[datetime | None]  # a handler's first public message at the current level
    resolution_due: Mapped[datetime]
    climb_at: Mapped[datetime | None]  # first_response_due while unanswered and active, else NULL
    due_at: Mapped[datetime | None]  # the earliest running deadline while active, else NULL
    escalation_count: Mapped[int] = mapped_column(default=0)
    resolved_at: Mapped[datetime | None]
    reopened_count: Mapped[int] = mapped_column(default=0)
    rating: Mapped[int | None]
    rating_comment: Mapped[str | None] = mapped_column(sa.String(1000))
    rated_at: Mapped[datetime | None]

    home = relationship("Tenant", foreign_keys=[home_id], lazy="raise")
    requester = relationship("User", foreign_keys=[requester_id], lazy="raise")
    assignee = relationship("User", foreign_keys=[assignee_id], lazy="raise")

    @property
    def active(self):
        return self.status in ACTIVE

    def breached_at(self, now):
        return self.due_at is not None and self.due_at <= now

    @property
    def category_label(self):
        return CATEGORY_LABELS.get(self.category, self.category)

    @property
    def status_label(self):
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def urgency_label(self):
        return URGENCY_LABELS.get(self.urgency, self.urgency)

    def __repr__(self):
        return f"<HelpCase {self.id} {self.status}>"


class HelpMessage(Base):
    """A message on a case: the requester's, or a handler's (``internal``: a note the requester never sees)."""

    __tablename__ = "help_message"
    __table_args__ = (sa.Index("ix_help_message_case", "case_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("help_case.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    body: Mapped[str] = mapped_column(sa.Text)
    internal: Mapped[bool] = mapped_column(default=False)
    by_handler: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = created_at_column()

    author = relationship("User", lazy="raise")


class HelpAttachment(Base):
    """A file of a case (evidence, a contract, a payslip), encrypted at rest like members' files."""

    __tablename__ = "help_attachment"
    __table_args__ = (sa.Index("ix_help_attachment_case", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("help_case.id", ondelete="CASCADE"))
    file_id: Mapped[int] = files.file_column()
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = created_at_column()

    case = relationship("HelpCase", lazy="raise")
    file = relationship(files.StoredFile, lazy="joined", innerjoin=True)


class HelpEvent(Base):
    """One line of a case's timeline; escalations (``escalated``) keep where from, where to, why, and whether
    the scheduler did it."""

    __tablename__ = "help_event"
    __table_args__ = (sa.CheckConstraint(f"kind IN {EVENT_KINDS}", name="kind"),
                      sa.Index("ix_help_event_case", "case_id", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("help_case.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(16))
    at: Mapped[datetime] = created_at_column()
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    from_tenant_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tenant.id"))
    to_tenant_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tenant.id"))
    automatic: Mapped[bool] = mapped_column(default=False)
    reason: Mapped[str | None] = mapped_column(sa.String(1000))
    value: Mapped[str | None] = mapped_column(sa.String(40))  # the new status, the assignee's username...

    actor = relationship("User", lazy="raise")
    from_tenant = relationship("Tenant", foreign_keys=[from_tenant_id], lazy="raise")
    to_tenant = relationship("Tenant", foreign_keys=[to_tenant_id], lazy="raise")

    @property
    def label(self):
        return EVENT_LABELS.get(self.kind, self.kind)


class HelpSetting(Base):
    """A federation's clocks for one category (the defaults apply where none is set)."""

    __tablename__ = "help_setting"
    __table_args__ = (sa.UniqueConstraint("root_id", "category", name="uq_help_setting_root_category"),
                      sa.CheckConstraint(f"category IN {CATEGORIES}", name="category"),
                      sa.CheckConstraint("first_response_hours > 0 AND resolution_days > 0", name="positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    root_id: Mapped[int] = mapped_column(sa.ForeignKey("tenant.id"))
    category: Mapped[str] = mapped_column(sa.String(16))
    first_response_hours: Mapped[float] = mapped_column(sa.Float)
    resolution_days: Mapped[float] = mapped_column(sa.Float)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


# What people are told (``core.inbox`` kinds ``assistance.<key>``), with the case's title.
NOTIFICATION_KINDS = {
    "filed": _l("A new help request: %(title)s."),
    "answered": _l("Your union answered your help request %(title)s."),
    "replied": _l("The member replied on %(title)s."),
    "status": _l("Your help request %(title)s is now: %(status)s."),
    "assigned": _l("A help request was assigned to you: %(title)s."),
    "escalated": _l("A help request climbed to your union: %(title)s."),
    "moved": _l("Your help request %(title)s was passed on to %(union)s."),
    "reopened": _l("A help request was reopened: %(title)s."),
}
