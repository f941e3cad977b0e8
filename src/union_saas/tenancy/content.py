"""What every tenant-owned record shares: the owning columns (``TenantOwned``), and for content a union
publishes, its ``scope`` and ``status`` (``Published``) with the one audience rule of DESIGN.md idea 3.

The rule, once: content of scope

- ``tenant`` reaches the members of its union,
- ``subtree`` reaches the members of its union and of every union below it,
- ``platform`` reaches everyone in its federation (members, and followers without a membership), once its
  ``reach`` is ``approved`` (API.md, federation-wide reach: what a union below the root asks for stays
  ``pending``, and reaches as ``subtree`` does, until an organiser of the root decides; ``rejected`` stays so).

``Audience`` is who a person is for that rule (their home union's path, the federations they follow);
``audience_clause`` is the rule as one SQL condition (no join, no recursion: ids parsed from the home's
path) and ``Audience.reaches`` the same rule for a record already loaded (no query). Both read ``REACH``.
"""
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from union_saas.tenancy.models import path_ids

SCOPES = ("tenant", "subtree", "platform")
SCOPE_LABELS = {
    "tenant": _l("This union only"),
    "subtree": _l("This union and every union below it"),
    "platform": _l("The whole federation"),
}


class TenantOwned:
    """``tenant_id`` (the union that owns the record), ``root_id`` (its federation: the distribution key) and
    the ``tenant`` relationship (load it in the query: ``lazy="raise"``)."""

    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tenant.id"))
    root_id: Mapped[int] = mapped_column(sa.ForeignKey("tenant.id"))

    @declared_attr
    def tenant(cls):
        return relationship("Tenant", foreign_keys=lambda: [cls.__table__.c.tenant_id], lazy="raise")


REACH_STATES = ("pending", "approved", "rejected")
REACH_LABELS = {"pending": _l("Waiting for the federation's review"), "approved": _l("Federation-wide"),
                "rejected": _l("Not approved for the whole federation")}


class Published(TenantOwned):
    """Content a union publishes to an audience: ``scope``, ``status``, and for ``platform`` its ``reach``.

    A model names the statuses in which members see it: ``LISTED`` in lists and feeds, ``SHOWN`` when opened
    (a cancelled activity is no longer listed, but its page still says it was cancelled).
    """

    LISTED: tuple = ()
    SHOWN: tuple = ()

    scope: Mapped[str] = mapped_column(sa.String(16), default="tenant")
    status: Mapped[str] = mapped_column(sa.String(16))
    # Null unless scope is platform: then pending, approved or rejected by an organiser of the root.
    reach: Mapped[str | None] = mapped_column(sa.String(16))
    reach_reason: Mapped[str | None] = mapped_column(sa.String(500))
    reach_decided_at: Mapped[datetime | None]

    @declared_attr
    def reach_decided_by_id(cls) -> Mapped[int | None]:
        return mapped_column(sa.ForeignKey("user.id"))

    @property
    def scope_label(self):
        return SCOPE_LABELS.get(self.scope, self.scope)

    @property
    def reach_label(self):
        return REACH_LABELS.get(self.reach) if self.reach else None

    @property
    def effective_scope(self) -> str:
        """The scope the audience rule applies: a federation-wide wish not (yet) approved reaches its subtree."""
        return "subtree" if self.scope == "platform" and self.reach != "approved" else self.scope


# effective scope -> (the column a record is matched on, the viewer's ids that column must hold)
REACH = {
    "tenant": ("tenant_id", lambda a: (a.home_id,) if a.home_id else ()),
    "subtree": ("tenant_id", lambda a: a.home_and_ancestors),
    "platform": ("root_id", lambda a: a.federations),
}


@dataclass(frozen=True)
class Audience:
    """Who a person is for the audience rule: their home union (its path), or the federations they follow."""

    home_id: int | None = None
    home_path: str | None = None
    followed_roots: tuple = ()

    @property
    def home_and_ancestors(self) -> tuple:
        return tuple(path_ids(self.home_path)) if self.home_path else ()

    @property
    def federations(self) -> tuple:
        if self.home_path:
            return (path_ids(self.home_path)[0],)
        return tuple(self.followed_roots)

    def reaches(self, record) -> bool:
        """Does the rule let this person see ``record`` (whatever its status)? No query."""
        rule = REACH.get(record.effective_scope)
        return rule is not None and getattr(record, rule[0]) in rule[1](self)


def effective_scope_is(model, scope):
    """SQL for ``Published.effective_scope == scope``."""
    if scope == "platform":
        return sa.and_(model.scope == "platform", model.reach == "approved")
    if scope == "subtree":
        return sa.or_(model.scope == "subtree", sa.and_(model.scope == "platform", sa.or_(
            model.reach.is_(None), model.reach.in_(("pending", "rejected")))))
    return model.scope == scope


def audience_clause(model, audience: Audience):
    """The rows of ``model`` whose scope reaches ``audience``: one SQL condition, or None when none can."""
    arms = []
    for scope, (column, ids) in REACH.items():
        values = ids(audience)
        if values:
            column = getattr(model, column)
            arms.append(sa.and_(effective_scope_is(model, scope),
                                column == values[0] if len(values) == 1 else column.in_(values)))
    return sa.or_(*arms) if arms else None
