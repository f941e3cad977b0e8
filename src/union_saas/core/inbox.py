"""One inbox per person: every module's messages to a worker (activities, membership decisions, office
notices for members, groups, benefits, posts, polls) arrive here, and ``/me/notifications`` shows them.

A module declares the kinds it sends, each with the title the reader sees in their own language
(``kind("activity.promoted", _l("A place freed up: you are now confirmed for %(title)s."))``), and writes
with ``notify`` (a few people) or ``notify_select`` (a fan-out: one INSERT ... SELECT, however many).
The parameters of a title are kept with the message: it reads the same later, whatever changed since.
"""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from union_saas.core.db import Base, created_at_column, utcnow

KINDS: dict = {}  # kind -> lazy title with %(name)s parameters


def kind(name, title):
    """Declare a kind of message and its title (a lazy string, translated when read)."""
    KINDS[name] = title
    return name


class Notification(Base):
    """A message to one person: what happened (``kind`` and its ``params``), free text, where to look."""

    __tablename__ = "notification"
    __table_args__ = (sa.Index("ix_notification_user_read_created", "user_id", "read_at", "created_at"),
                      sa.Index("ix_notification_subject", "subject_type", "subject_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    root_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tenant.id"))  # the federation it concerns
    kind: Mapped[str] = mapped_column(sa.String(40))
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    body: Mapped[str] = mapped_column(sa.Text, default="")  # someone's own words (an organiser's message)
    link: Mapped[str | None] = mapped_column(sa.String(500))  # a path on this site
    # What it is about (an activity, a membership...): for the module's own queries.
    subject_type: Mapped[str | None] = mapped_column(sa.String(32))
    subject_id: Mapped[int | None]
    created_at: Mapped[datetime] = created_at_column()
    read_at: Mapped[datetime | None]

    @property
    def title(self) -> str:
        template = KINDS.get(self.kind)
        if template is None:
            return self.kind
        try:
            return str(template) % (self.params or {})
        except (KeyError, TypeError, ValueError):
            return str(template)


def _row(user_id, name, params, body, link, subject, root_id, now):
    subject_type, subject_id = subject or (None, None)
    return {"user_id": user_id, "kind": name, "params": params or {}, "body": body or "", "link": link,
            "subject_type": subject_type, "subject_id": subject_id, "root_id": root_id, "created_at": now}


def notify(session, user_ids, name, *, params=None, body="", link=None, subject=None, root_id=None) -> int:
    """Put a message of kind ``name`` in the inbox of each of ``user_ids``; returns how many."""
    if name not in KINDS:
        raise ValueError(f"undeclared notification kind {name!r}")
    now = utcnow()
    rows = [_row(uid, name, params, body, link, subject, root_id, now) for uid in dict.fromkeys(user_ids)]
    if rows:
        session.execute(sa.insert(Notification), rows)
    return len(rows)


def notify_select(session, user_ids_select, name, *, params=None, body="", link=None, subject=None,
                  root_id=None) -> int:
    """One message of kind ``name`` to each user the one-column ``user_ids_select`` yields (INSERT ... SELECT)."""
    if name not in KINDS:
        raise ValueError(f"undeclared notification kind {name!r}")
    subject_type, subject_id = subject or (None, None)
    columns = Notification.__table__.c
    users = user_ids_select.subquery()
    select = sa.select(
        users.c[0], sa.literal(name, columns.kind.type), sa.literal(params or {}, columns.params.type),
        sa.literal(body or "", columns.body.type), sa.literal(link, columns.link.type),
        sa.literal(subject_type, columns.subject_type.type), sa.literal(subject_id, columns.subject_id.type),
        sa.literal(root_id, columns.root_id.type), sa.literal(utcnow(), columns.created_at.type))
    result = session.execute(sa.insert(Notification).from_select(
        ["user_id", "kind", "params", "body", "link", "subject_type", "subject_id", "root_id", "created_at"],
        select).returning(Notification.id))
    return len(result.all())


def inbox_stmt(user_id, *, unread=False):
    """The person's messages: unread first, newest first."""
    stmt = (sa.select(Notification).where(Notification.user_id == user_id)
            .order_by(Notification.read_at.is_not(None), Notification.created_at.desc(), Notification.id.desc()))
    if unread:
        stmt = stmt.where(Notification.read_at.is_(None))
    return stmt


def unread_count(session, user_id) -> int:
    return session.scalar(sa.select(sa.func.count()).where(Notification.user_id == user_id,
                                                           Notification.read_at.is_(None)))


def mark_read(session, user_id, notification_id=None) -> None:
    """Mark one message (or all) of the person read; idempotent."""
    stmt = sa.update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if notification_id is not None:
        stmt = stmt.where(Notification.id == notification_id)
    session.execute(stmt.values(read_at=utcnow()).execution_options(synchronize_session=False))
