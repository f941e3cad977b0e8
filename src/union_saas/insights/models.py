"""Rollups: for every tenant, the figures of its whole subtree, kept by the refresh job.

``Rollup`` holds the headline figures, ``MonthlyRollup`` the last months' trends and ``CategoryRollup`` the
published activities by category, each per tenant and counting its subtree; ``RefreshState`` remembers the
refresh queued for a federation, so that a second one is not queued behind it.
"""
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from union_saas.core.db import Base

# The figures, in the order pages and exports show them.
FIGURES = (
    "members_pending", "members_active", "members_recently_active", "members_closed", "members_rejected", "members_verified",
    "followers", "activities_held", "activities_upcoming", "participations", "checkins",
    "notices_addressed", "notices_read", "tasks_assigned", "tasks_on_time",
)

# Headings of the figures (table columns, headline, exports), each said once.
LABELS = {
    "members_pending": _l("Pending"), "members_active": _l("Active members"),
    "members_recently_active": _l("Active in the last 30 days"), "members_closed": _l("Closed"),
    "members_rejected": _l("Rejected applications"), "members_verified": _l("Verified"), "followers": _l("Followers"),
    "activities_held": _l("Activities held"), "activities_upcoming": _l("Upcoming activities"),
    "participations": _l("Participations"), "checkins": _l("Check-ins"),
    "notices_addressed": _l("Notices addressed"), "notices_read": _l("Notices read"),
    "tasks_assigned": _l("Tasks assigned"), "tasks_on_time": _l("Tasks reported on time"),
    "verification_rate": _l("Verification rate"), "closed_or_rejected": _l("Closed or rejected"),
    "members_joined": _l("Members joined"),
}


class Rollup(Base):
    """One row per tenant: the counts of its subtree (itself included)."""

    __tablename__ = "insights_rollup"
    __table_args__ = (
        sa.Index("ix_insights_rollup_root", "root_id"),
    )

    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tenant.id", ondelete="CASCADE"), primary_key=True)
    root_id: Mapped[int] = mapped_column(sa.ForeignKey("tenant.id", ondelete="CASCADE"))
    tenant_path: Mapped[str] = mapped_column(sa.String(255))
    members_pending: Mapped[int] = mapped_column(default=0)
    members_active: Mapped[int] = mapped_column(default=0)
    # Active members who signed in, or signed up for or checked in to an activity, in the last 30 days.
    members_recently_active: Mapped[int] = mapped_column(default=0, server_default="0")
    members_closed: Mapped[int] = mapped_column(default=0)
    members_rejected: Mapped[int] = mapped_column(default=0)
    members_verified: Mapped[int] = mapped_column(default=0)
    followers: Mapped[int] = mapped_column(default=0)
    activities_held: Mapped[int] = mapped_column(default=0)
    activities_upcoming: Mapped[int] = mapped_column(default=0)
    participations: Mapped[int] = mapped_column(default=0)
    checkins: Mapped[int] = mapped_column(default=0)
    notices_addressed: Mapped[int] = mapped_column(default=0)
    notices_read: Mapped[int] = mapped_column(default=0)
    tasks_assigned: Mapped[int] = mapped_column(default=0)
    tasks_on_time: Mapped[int] = mapped_column(default=0)
    computed_at: Mapped[datetime]

    tenant = relationship("Tenant", foreign_keys=[tenant_id], lazy="raise")

    @property
    def verification_rate(self):
        """Verified active members as a share of active members (None when there are none)."""
        if not self.members_active:
            return None
        return round(self.members_verified / self.members_active, 4)


# The trends kept per month (the page shows the last MONTHS months, the current one included).
MONTHLY_FIGURES = ("members_joined", "participations")
MONTHS = 12


class MonthlyRollup(Base):
    """One row per tenant and month (``YYYY-MM``, in the platform's zone) with something to count."""

    __tablename__ = "insights_monthly"
    __table_args__ = (
        sa.Index("ix_insights_monthly_root", "root_id"),
    )

    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tenant.id", ondelete="CASCADE"), primary_key=True)
    month: Mapped[str] = mapped_column(sa.String(7), primary_key=True)
    root_id: Mapped[int] = mapped_column(sa.ForeignKey("tenant.id", ondelete="CASCADE"))
    members_joined: Mapped[int] = mapped_column(default=0)
    participations: Mapped[int] = mapped_column(default=0)


class CategoryRollup(Base):
    """One row per tenant and activity category: the published activities of the subtree."""

    __tablename__ = "insights_category"
    __table_args__ = (
        sa.Index("ix_insights_category_root", "root_id"),
    )

    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tenant.id", ondelete="CASCADE"), primary_key=True)
    category: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    root_id: Mapped[int] = mapped_column(sa.ForeignKey("tenant.id", ondelete="CASCADE"))
    activities: Mapped[int] = mapped_column(default=0)


class RefreshState(Base):
    """Per federation: the refresh job queued last (not queued again while it waits) and when one last ran."""

    __tablename__ = "insights_refresh_state"

    root_id: Mapped[int] = mapped_column(sa.ForeignKey("tenant.id", ondelete="CASCADE"), primary_key=True)
    job_id: Mapped[str | None] = mapped_column(sa.ForeignKey("job_record.id", ondelete="SET NULL"))
    refreshed_at: Mapped[datetime | None]
