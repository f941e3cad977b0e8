"""Grant: a role given to a user at a tenant, valid there and everywhere below it."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from union_saas.core.db import Base, created_at_column
from union_saas.tenancy.content import TenantOwned


class Grant(TenantOwned, Base):
    __tablename__ = "access_grant"
    __table_args__ = (
        # At most one live grant of a role to a user at a tenant.
        sa.Index("uq_access_grant_live", "user_id", "role", "tenant_id", unique=True,
                 sqlite_where=sa.text("revoked_at IS NULL"), postgresql_where=sa.text("revoked_at IS NULL")),
        sa.Index("ix_access_grant_tenant_live", "tenant_id", "revoked_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    role: Mapped[str] = mapped_column(sa.String(40))
    granted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    # The level the grant was made from: the tenant of the grant through which its granter held
    # grant.manage there (their office), or the federation for the operator's first admin. Only someone
    # who could have made the grant from that level revokes it. NULL (older grants): the grant's own tenant.
    granted_at_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tenant.id"))
    created_at: Mapped[datetime] = created_at_column()
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    user = relationship("User", foreign_keys=[user_id], lazy="raise")
    granted_by = relationship("User", foreign_keys=[granted_by_id], lazy="raise")
    granted_at = relationship("Tenant", foreign_keys=[granted_at_id], lazy="raise")
