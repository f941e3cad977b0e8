"""Membership, Follow, RosterEntry and MemberFile.

A user holds at most one active membership and at most one pending request (a join or a transfer),
both enforced by partial unique indexes; an ID number is active in at most one membership too. A
member's "home" is the tenant of their active membership: what they see (DESIGN.md idea 3) is built
from its path.

ID numbers are never stored in plaintext: ``id_cipher`` holds them encrypted (AES-GCM, ``crypto``),
``id_hash`` is a keyed hash (blind index) to find them by.
"""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from union_saas.core import files
from union_saas.core.db import Base, created_at_column
from union_saas.tenancy.content import TenantOwned

STATUSES = ("pending", "active", "rejected", "closed")
KINDS = ("join", "transfer")
FILE_KINDS = ("upload", "report", "export")


class Membership(TenantOwned, Base):
    __tablename__ = "membership"
    __table_args__ = (
        sa.CheckConstraint(f"status IN {STATUSES}", name="status"),
        sa.CheckConstraint(f"kind IN {KINDS}", name="kind"),
        sa.Index("uq_membership_one_active", "user_id", unique=True,
                 sqlite_where=sa.text("status = 'active'"), postgresql_where=sa.text("status = 'active'")),
        sa.Index("uq_membership_one_pending", "user_id", unique=True,
                 sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'")),
        sa.Index("uq_membership_active_id_hash", "id_hash", unique=True,
                 sqlite_where=sa.text("status = 'active'"), postgresql_where=sa.text("status = 'active'")),
        sa.Index("ix_membership_tenant_status", "tenant_id", "status"),
        sa.Index("ix_membership_user_created", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    created_at: Mapped[datetime] = created_at_column()
    decided_at: Mapped[datetime | None]
    # A join, or a transfer from ``from_membership_id`` (which stays active until this one is approved).
    kind: Mapped[str] = mapped_column(sa.String(16), default="join", server_default="join")
    from_membership_id: Mapped[int | None] = mapped_column(sa.ForeignKey("membership.id"))
    real_name: Mapped[str | None] = mapped_column(sa.String(60))
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    id_hash: Mapped[str | None] = mapped_column(sa.String(64))
    id_cipher: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    id_masked: Mapped[str | None] = mapped_column(sa.String(18))
    # Set when the union's roster holds this name and ID number.
    verified_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    reason: Mapped[str | None] = mapped_column(sa.String(500))

    user = relationship("User", foreign_keys=[user_id], lazy="raise")
    decided_by = relationship("User", foreign_keys=[decided_by_id], lazy="raise")
    from_membership = relationship("Membership", remote_side=[id], foreign_keys=[from_membership_id], lazy="raise")

    @property
    def verified(self) -> bool:
        return self.verified_at is not None


class Follow(TenantOwned, Base):
    """A user follows a tenant (a follower is not a member; they are counted apart)."""

    __tablename__ = "follow"
    __table_args__ = (sa.UniqueConstraint("user_id", "tenant_id", name="uq_follow_user_tenant"),
                      sa.Index("ix_follow_tenant", "tenant_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = created_at_column()



class RosterEntry(TenantOwned, Base):
    """One person on a union's own roster, as uploaded by its office (they may have no account yet)."""

    __tablename__ = "roster_entry"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "id_hash", name="uq_roster_entry_tenant_id_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(60))
    id_hash: Mapped[str] = mapped_column(sa.String(64))
    id_cipher: Mapped[bytes] = mapped_column(sa.LargeBinary)
    id_masked: Mapped[str] = mapped_column(sa.String(18))
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    work_unit: Mapped[str | None] = mapped_column(sa.String(120))
    member_number: Mapped[str | None] = mapped_column(sa.String(40))
    # The account matched to this row (a membership of that user with this name and ID number).
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime | None]


class MemberFile(Base):
    """A roster upload waiting for its job, or a report or export for download; its file encrypted."""

    __tablename__ = "member_file"
    __table_args__ = (sa.CheckConstraint(f"kind IN {FILE_KINDS}", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tenant.id"))
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    job_id: Mapped[str | None] = mapped_column(sa.ForeignKey("job_record.id"), index=True)
    file_id: Mapped[int] = files.file_column()
    created_at: Mapped[datetime] = created_at_column()

    tenant = relationship("Tenant", foreign_keys=[tenant_id], lazy="raise")
    file = relationship(files.StoredFile, lazy="joined", innerjoin=True)
