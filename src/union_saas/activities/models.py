"""Activity and SignUp (what is said to participants goes to their inbox: ``core.inbox``).

An activity carries its counters (``confirmed_count``, ``waitlist_count``, ``waitlist_seq``): a sign-up
changes them under a lock on the activity's row, so capacity holds whatever the concurrency, and
``uq_signup_activity_user`` makes a second sign-up of the same person impossible.
"""
import re
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from union_saas.core import files
from union_saas.core.db import Base, created_at_column, utcnow
from union_saas.tenancy.content import REACH_STATES, SCOPES, Published

STATUSES = ("draft", "published", "cancelled")
CATEGORIES = ("culture", "sports", "entertainment", "learning", "volunteering", "online")
SIGNUP_STATUSES = ("confirmed", "waitlisted", "cancelled", "removed")
LIVE_SIGNUP = ("confirmed", "waitlisted")

# A tag (not a Markdown autolink such as <https://...>), or a script URL: refused in a description (422).
RAW_HTML = re.compile(r"<(?!(?:https?://|mailto:)[^>\s]*>)\s*/?\s*[a-zA-Z!?]|javascript\s*:|data\s*:\s*text/html",
                      re.IGNORECASE)

STATUS_LABELS = {"draft": _l("Draft"), "published": _l("Published"), "cancelled": _l("Cancelled")}
CATEGORY_LABELS = {
    "culture": _l("Culture"), "sports": _l("Sports"), "entertainment": _l("Entertainment"),
    "learning": _l("Learning"), "volunteering": _l("Volunteering"), "online": _l("Online"),
}
SIGNUP_LABELS = {"confirmed": _l("Confirmed"), "waitlisted": _l("On the waitlist"),
                 "cancelled": _l("Cancelled"), "removed": _l("Removed by the organiser")}


class Activity(Published, Base):
    __tablename__ = "activity"
    LISTED = ("published",)
    SHOWN = ("published", "cancelled")

    __table_args__ = (
        sa.CheckConstraint(f"scope IN {SCOPES}", name="scope"),
        sa.CheckConstraint(f"reach IS NULL OR reach IN {REACH_STATES}", name="reach"),
        sa.CheckConstraint(f"status IN {STATUSES}", name="status"),
        sa.CheckConstraint(f"category IN {CATEGORIES}", name="category"),
        sa.CheckConstraint("capacity IS NULL OR capacity >= 1", name="capacity"),
        sa.CheckConstraint("capacity IS NULL OR confirmed_count <= capacity", name="not_oversold"),
        sa.CheckConstraint("confirmed_count >= 0 AND waitlist_count >= 0", name="counts"),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        # The member feed: published activities of a federation, by scope and tenant; the upcoming ones
        # (the default view) are one index range for each arm of the visibility condition.
        sa.Index("ix_activity_upcoming", "root_id", "status", "scope", "tenant_id", "ends_at"),
        sa.Index("ix_activity_tenant_starts", "tenant_id", "starts_at"),
        sa.Index("ix_activity_reminders", "status", "starts_at"),
        # The federation's review queue and its count in the navigation: only what waits.
        sa.Index("ix_activity_reach_pending", "root_id", "created_at", sqlite_where=sa.text("reach = 'pending'"),
                 postgresql_where=sa.text("reach = 'pending'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(120))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    description_html: Mapped[str] = mapped_column(sa.Text, default="")
    cover_id: Mapped[int | None] = files.file_column(nullable=True, ondelete="SET NULL")
    category: Mapped[str] = mapped_column(sa.String(16), default="culture")
    series: Mapped[str | None] = mapped_column(sa.String(80))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    location: Mapped[str | None] = mapped_column(sa.String(200))
    online_url: Mapped[str | None] = mapped_column(sa.String(500))
    capacity: Mapped[int | None]
    signup_opens_at: Mapped[datetime | None]
    signup_closes_at: Mapped[datetime | None]
    members_only: Mapped[bool] = mapped_column(default=True)
    status: Mapped[str] = mapped_column(sa.String(16), default="published")
    confirmed_count: Mapped[int] = mapped_column(default=0)
    waitlist_count: Mapped[int] = mapped_column(default=0)
    # The last waitlist position handed out; positions only grow, the live rank is counted.
    waitlist_seq: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    # The interest group it belongs to (the column comes with groups_0001); ``group_only``: seen by the
    # group's members only (``services.GROUPS``), else by its scope as any activity of its union.
    group_id: Mapped[int | None] = mapped_column(sa.ForeignKey("interest_group.id", ondelete="SET NULL"), index=True)
    group_only: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    @property
    def remaining(self):
        """Places left, or None when unlimited."""
        return None if self.capacity is None else max(0, self.capacity - self.confirmed_count)

    @property
    def status_label(self):
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def category_label(self):
        return CATEGORY_LABELS.get(self.category, self.category)

    def __repr__(self):
        return f"<Activity {self.id} {self.title!r}>"


class SignUp(Base):
    __tablename__ = "activity_signup"
    __table_args__ = (
        sa.UniqueConstraint("activity_id", "user_id", name="uq_signup_activity_user"),
        sa.CheckConstraint(f"status IN {SIGNUP_STATUSES}", name="status"),
        sa.Index("ix_signup_activity_status_position", "activity_id", "status", "position"),
        sa.Index("ix_signup_user_status", "user_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(sa.ForeignKey("activity.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    root_id: Mapped[int] = mapped_column(sa.ForeignKey("tenant.id"))
    # The participant's union when they signed up (None: a follower with no membership).
    home_tenant_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tenant.id"))
    status: Mapped[str] = mapped_column(sa.String(16))
    # Waitlist order: the activity's waitlist_seq when this person joined the waitlist.
    position: Mapped[int | None]
    created_at: Mapped[datetime] = created_at_column()
    confirmed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    checked_in_at: Mapped[datetime | None]
    checked_in_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    activity = relationship("Activity", lazy="raise")
    user = relationship("User", foreign_keys=[user_id], lazy="raise")
    home_tenant = relationship("Tenant", foreign_keys=[home_tenant_id], lazy="raise")

    rank = None  # not stored: the rank on the waitlist, when a service has just counted it

    @property
    def status_label(self):
        return SIGNUP_LABELS.get(self.status, self.status)


# What participants are told (``core.inbox`` kinds ``activity.<key>``), with the activity's title.
NOTIFICATION_KINDS = {
    "promoted": _l("A place freed up: you are now confirmed for %(title)s."),
    "cancelled": _l("%(title)s has been cancelled."),
    "removed": _l("The organiser removed you from %(title)s."),
    "reminder": _l("Reminder: %(title)s starts within a day."),
    "message": _l("A message from the organiser of %(title)s."),
}
