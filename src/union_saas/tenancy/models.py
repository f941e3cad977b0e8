"""Tenant: one node of the forest, with a materialised path of zero-padded ids."""
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from union_saas.core.db import Base, created_at_column

SEGMENT = 8  # digits per path segment: room for 99,999,999 tenants on one platform
KINDS = ("federation", "street", "community", "enterprise", "social_org")
STATUSES = ("active", "archived")
KIND_LABELS = {
    "federation": _l("Federation"),
    "street": _l("Street / town union"),
    "community": _l("Community / village union"),
    "enterprise": _l("Enterprise union"),
    "social_org": _l("Partner organisation"),
}
STATUS_LABELS = {"active": _l("Active"), "archived": _l("Archived")}


def segment(tenant_id: int) -> str:
    return f"{tenant_id:0{SEGMENT}d}"


def path_ids(path: str) -> list[int]:
    """The ids of a path, root first, own id last: ancestors with no query."""
    return [int(part) for part in path.strip("/").split("/") if part]


def ancestor_paths(path: str) -> list[str]:
    """Every prefix of ``path`` that is a tenant's path, root first, ``path`` itself last."""
    parts = path.strip("/").split("/")
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def subtree_clause(column, path: str):
    """``column`` lies in the subtree at ``path``: one indexed range, on any collation."""
    return sa.and_(column >= path, column < path + "~")


class Tenant(Base):
    __tablename__ = "tenant"
    __table_args__ = (
        sa.CheckConstraint(f"kind IN {KINDS}", name="kind"),
        sa.CheckConstraint(f"status IN {STATUSES}", name="status"),
        sa.Index("ix_tenant_parent_name", "parent_id", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tenant.id"))
    root_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tenant.id"), index=True)
    path: Mapped[str] = mapped_column(sa.String(255), unique=True)
    depth: Mapped[int] = mapped_column(default=0)
    slug: Mapped[str] = mapped_column(sa.String(63), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    kind: Mapped[str] = mapped_column(sa.String(16))
    status: Mapped[str] = mapped_column(sa.String(16), default="active")
    # Denormalised count of live children, kept by the services, so a tree of 5,000 opens lazily.
    children_count: Mapped[int] = mapped_column(default=0)
    contact_name: Mapped[str | None] = mapped_column(sa.String(60))
    contact_phone: Mapped[str | None] = mapped_column(sa.String(32))
    contact_email: Mapped[str | None] = mapped_column(sa.String(120))
    address: Mapped[str | None] = mapped_column(sa.String(200))
    description: Mapped[str | None] = mapped_column(sa.Text)
    timezone: Mapped[str] = mapped_column(sa.String(40), default="Asia/Shanghai")
    created_at: Mapped[datetime] = created_at_column()

    parent = sa.orm.relationship("Tenant", remote_side=[id], foreign_keys=[parent_id], lazy="raise")

    @property
    def is_root(self) -> bool:
        return self.parent_id is None

    @property
    def ancestor_ids(self) -> list[int]:
        """Ids from the root down to the parent."""
        return path_ids(self.path)[:-1]

    @property
    def kind_label(self):
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def status_label(self):
        return STATUS_LABELS.get(self.status, self.status)

    def is_in_subtree_of(self, other: "Tenant") -> bool:
        return self.path.startswith(other.path)

    def __repr__(self):
        return f"<Tenant {self.slug} {self.path}>"
