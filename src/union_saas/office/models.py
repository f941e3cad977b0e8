"""Notices with read receipts, tasks with assignments, and in-app notifications of offices.

Receipts and assignments are rows keyed by the addressed tenant and stored with that tenant's path
at the time they were made, so that every rollup is one grouped query over a path range (the child
segment of the path), and a tenant moved later does not carry the notice into its new branch.
"""
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from union_saas.core import files
from union_saas.core.db import Base, created_at_column
from union_saas.tenancy.content import TenantOwned

PRIORITIES = ("normal", "urgent")
AUDIENCES = ("offices", "members", "both")
TARGETS = ("children", "subtree", "list")
FIELD_KINDS = ("text", "number", "file")
ASSIGNMENT_STATUSES = ("open", "submitted", "accepted", "returned")

PRIORITY_LABELS = {"normal": _l("Normal"), "urgent": _l("Urgent")}
AUDIENCE_LABELS = {"offices": _l("Union offices"), "members": _l("Members"), "both": _l("Offices and members")}
STATUS_LABELS = {"open": _l("Open"), "submitted": _l("Submitted"), "accepted": _l("Accepted"),
                 "returned": _l("Returned")}
KIND_LABELS = {"text": _l("Text"), "number": _l("Number"), "file": _l("File")}


def _in(values):
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


# An assignment waits for its union (open, or returned to it), or is done (submitted, then accepted).
OPEN = ("open", "returned")
DONE = ("submitted", "accepted")


class Notice(TenantOwned, Base):
    __tablename__ = "office_notice"
    __table_args__ = (
        sa.CheckConstraint(f"priority IN {_in(PRIORITIES)}", name="priority"),
        sa.CheckConstraint(f"audience IN {_in(AUDIENCES)}", name="audience"),
        sa.CheckConstraint(f"target IN {_in(TARGETS)}", name="target"),
        sa.Index("ix_office_notice_tenant_sent", "tenant_id", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The sender's path when it was sent: the receipts below it are found from this prefix.
    tenant_path: Mapped[str] = mapped_column(sa.String(255))
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    body_html: Mapped[str] = mapped_column(sa.Text, default="")
    priority: Mapped[str] = mapped_column(sa.String(16), default="normal")
    audience: Mapped[str] = mapped_column(sa.String(16), default="offices")
    requires_ack: Mapped[bool] = mapped_column(default=False)
    target: Mapped[str] = mapped_column(sa.String(16))
    target_ids: Mapped[list] = mapped_column(sa.JSON, default=list)
    addressed_count: Mapped[int] = mapped_column(default=0)
    job_id: Mapped[str | None] = mapped_column(sa.String(36))
    sent_at: Mapped[datetime] = created_at_column()

    author = relationship("User", foreign_keys=[author_id], lazy="raise")

    @property
    def urgent(self):
        return self.priority == "urgent"


class NoticeReceipt(TenantOwned, Base):
    """One addressed office of a notice: read and acknowledged by someone whose grant is there."""

    __tablename__ = "office_notice_receipt"
    __table_args__ = (
        sa.UniqueConstraint("notice_id", "tenant_id", name="uq_office_notice_receipt_notice_tenant"),
        sa.Index("ix_office_notice_receipt_notice_path", "notice_id", "tenant_path"),
        sa.Index("ix_office_notice_receipt_tenant_read", "tenant_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(sa.ForeignKey("office_notice.id", ondelete="CASCADE"))
    tenant_path: Mapped[str] = mapped_column(sa.String(255))
    read_at: Mapped[datetime | None]
    read_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    acked_at: Mapped[datetime | None]
    acked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    reminded_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at_column()

    notice = relationship("Notice", lazy="raise")


class NoticeRead(Base):
    """One person of an addressed office who opened (and perhaps acknowledged) the notice."""

    __tablename__ = "office_notice_read"
    __table_args__ = (
        sa.UniqueConstraint("notice_id", "tenant_id", "user_id", name="uq_office_notice_read_person"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(sa.ForeignKey("office_notice.id", ondelete="CASCADE"))
    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tenant.id"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    read_at: Mapped[datetime] = created_at_column()
    acked_at: Mapped[datetime | None]

    user = relationship("User", foreign_keys=[user_id], lazy="raise")


class Task(TenantOwned, Base):
    __tablename__ = "office_task"
    __table_args__ = (
        sa.CheckConstraint(f"target IN {_in(TARGETS)}", name="target"),
        sa.Index("ix_office_task_tenant_created", "tenant_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_path: Mapped[str] = mapped_column(sa.String(255))
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    title: Mapped[str] = mapped_column(sa.String(200))
    instructions: Mapped[str] = mapped_column(sa.Text, default="")
    instructions_html: Mapped[str] = mapped_column(sa.Text, default="")
    due_at: Mapped[datetime]
    fields: Mapped[list] = mapped_column(sa.JSON, default=list)
    target: Mapped[str] = mapped_column(sa.String(16))
    target_ids: Mapped[list] = mapped_column(sa.JSON, default=list)
    job_id: Mapped[str | None] = mapped_column(sa.String(36))
    created_at: Mapped[datetime] = created_at_column()


    @property
    def number_fields(self):
        return [f["name"] for f in self.fields if f["kind"] == "number"]


class Assignment(TenantOwned, Base):
    """A task given to one office: open -> submitted -> accepted, or returned and submitted again."""

    __tablename__ = "office_assignment"
    __table_args__ = (
        sa.UniqueConstraint("task_id", "tenant_id", name="uq_office_assignment_task_tenant"),
        sa.CheckConstraint(f"status IN {_in(ASSIGNMENT_STATUSES)}", name="status"),
        sa.Index("ix_office_assignment_task_path", "task_id", "tenant_path"),
        sa.Index("ix_office_assignment_tenant_status", "tenant_id", "status"),
        sa.Index("ix_office_assignment_parent", "parent_assignment_id"),
        sa.Index("ix_office_assignment_status_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("office_task.id", ondelete="CASCADE"))
    tenant_path: Mapped[str] = mapped_column(sa.String(255))
    parent_assignment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("office_assignment.id"))
    # Copied from the task so that "due tomorrow" and "overdue" are one indexed range.
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(sa.String(16), default="open")
    cascaded: Mapped[bool] = mapped_column(default=False)
    report: Mapped[dict | None] = mapped_column(sa.JSON)
    submitted_at: Mapped[datetime | None]
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    reason: Mapped[str | None] = mapped_column(sa.Text)
    reminded_before_at: Mapped[datetime | None]
    reminded_due_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at_column()

    task = relationship("Task", lazy="raise")


class Attachment(Base):
    """A file of a report (in the file store)."""

    __tablename__ = "office_attachment"
    __table_args__ = (sa.Index("ix_office_attachment_assignment", "assignment_id", "field"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(sa.ForeignKey("office_assignment.id", ondelete="CASCADE"))
    field: Mapped[str] = mapped_column(sa.String(60))
    file_id: Mapped[int] = files.file_column()
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = created_at_column()

    assignment = relationship("Assignment", lazy="raise")
    file = relationship(files.StoredFile, lazy="joined", innerjoin=True)


class NoticeAttachment(Base):
    """A file sent with a notice (in the file store)."""

    __tablename__ = "office_notice_attachment"
    __table_args__ = (sa.Index("ix_office_notice_attachment_notice", "notice_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(sa.ForeignKey("office_notice.id", ondelete="CASCADE"))
    file_id: Mapped[int] = files.file_column()
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = created_at_column()

    notice = relationship("Notice", lazy="raise")
    file = relationship(files.StoredFile, lazy="joined", innerjoin=True)


NOTIFICATION_KINDS = ("notice.reminder", "task.due_soon", "task.due_today")


class OfficeNotification(TenantOwned, Base):
    """An in-app message to an office (all who manage it see it in its inbox)."""

    __tablename__ = "office_notification"
    __table_args__ = (
        sa.CheckConstraint(f"kind IN {_in(NOTIFICATION_KINDS)}", name="kind"),
        sa.Index("ix_office_notification_tenant_created", "tenant_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    notice_id: Mapped[int | None] = mapped_column(sa.ForeignKey("office_notice.id", ondelete="CASCADE"))
    assignment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("office_assignment.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = created_at_column()


def _audit_labels():
    from union_saas.core.audit import AUDIT_LABELS

    AUDIT_LABELS.update({
        "office.notice.send": _l("%(actor)s sent the notice “%(target)s” (unions addressed: %(addressed)s)."),
        "office.notice.remind": _l("%(actor)s reminded the offices that have not read “%(target)s” (offices reminded: %(reminded)s)."),
        "office.task.assign": _l("%(actor)s assigned the task “%(target)s” (unions addressed: %(addressed)s)."),
        "office.task.cascade": _l("%(actor)s passed the task “%(target)s” on to the unions below %(union)s."),
        "office.report.submit": _l("%(actor)s submitted the report of %(union)s on “%(target)s”."),
        "office.report.accept": _l("%(actor)s accepted the report of %(union)s on “%(target)s”."),
        "office.report.return": _l("%(actor)s returned the report of %(union)s on “%(target)s”: %(reason)s"),
    })


_audit_labels()
