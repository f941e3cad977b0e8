"""Membership and Follow.

A user holds at most one active membership and at most one pending request (a join or a transfer),
both enforced by partial unique indexes. A member's "home" is the tenant of their active membership:
what they see (DESIGN.md idea 3) is built from its path.
"""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from union_saas.core.db import Base, created_at_column

STATUSES = ("pending", "active", "rejected", "closed")


class Membership(Base):
    __tablename__ = "membership"
    __table_args__ = (
        sa.CheckConstraint(f"status IN {STATUSES}", name="status"),
        sa.Index("uq_membership_one_active", "user_id", unique=True,
                 sqlite_where=sa.text("status = 'active'"), postgresql_where=sa.text("status = 'active'")),
        sa.Index("uq_membership_one_pending", "user_id", unique=True,
                 sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'")),
        sa.Index("ix_membership_tenant_status", "tenant_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tenant.id"))
    root_id: Mapped[int] = mapped_column(sa.ForeignKey("tenant.id"))
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    created_at: Mapped[datetime] = created_at_column()
    decided_at: Mapped[datetime | None]

    user = relationship("User", foreign_keys=[user_id], lazy="raise")
    tenant = relationship("Tenant", foreign_keys=[tenant_id], lazy="raise")


class Follow(Base):
    """A user follows a tenant (a follower is not a member; they are counted apart)."""

    __tablename__ = "follow"
    __table_args__ = (sa.UniqueConstraint("user_id", "tenant_id", name="uq_follow_user_tenant"),
                      sa.Index("ix_follow_tenant", "tenant_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tenant.id"))
    root_id: Mapped[int] = mapped_column(sa.ForeignKey("tenant.id"))
    created_at: Mapped[datetime] = created_at_column()

    tenant = relationship("Tenant", foreign_keys=[tenant_id], lazy="raise")
