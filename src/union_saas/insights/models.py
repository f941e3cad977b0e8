"""Rollups: for every tenant, the figures of its whole subtree, kept by the refresh job."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from union_saas.core.db import Base

# The figures, in the order pages and exports show them.
FIGURES = (
    "members_pending", "members_active", "members_closed", "members_rejected", "members_verified",
    "followers", "activities_held", "activities_upcoming", "participations", "checkins",
    "notices_addressed", "notices_read", "tasks_assigned", "tasks_on_time",
)


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
