"""What every tenant-owned record shares: the owning columns (``TenantOwned``), and for content a union
publishes, its ``scope`` and ``status`` (``Published``) with the one audience rule of DESIGN.md idea 3.

The rule, once: content of scope

- ``tenant`` reaches the members of its union,
- ``subtree`` reaches the members of its union and of every union below it,
- ``platform`` reaches everyone in its federation (members, and followers without a membership).

``Audience`` is who a person is for that rule (their home union's path, the federations they follow);
``audience_clause`` is the rule as one SQL condition (no join, no recursion: ids parsed from the home's
path) and ``Audience.reaches`` the same rule for a record already loaded (no query). Both read ``REACH``.
"""
from dataclasses import dataclass

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


class Published(TenantOwned):
    """Content a union publishes to an audience: ``scope`` and ``status``.

    A model names the statuses in which members see it: ``LISTED`` in lists and feeds, ``SHOWN`` when opened
    (a cancelled activity is no longer listed, but its page still says it was cancelled).
    """

    LISTED: tuple = ()
    SHOWN: tuple = ()

    scope: Mapped[str] = mapped_column(sa.String(16), default="tenant")
    status: Mapped[str] = mapped_column(sa.String(16))

    @property
    def scope_label(self):
        return SCOPE_LABELS.get(self.scope, self.scope)


# scope -> (the column a record is matched on, the viewer's ids that column must hold)
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
        rule = REACH.get(record.scope)
        return rule is not None and getattr(record, rule[0]) in rule[1](self)


def audience_clause(model, audience: Audience):
    """The rows of ``model`` whose scope reaches ``audience``: one SQL condition, or None when none can."""
    arms = []
    for scope, (column, ids) in REACH.items():
        values = ids(audience)
        if values:
            column = getattr(model, column)
            arms.append(sa.and_(model.scope == scope,
                                column == values[0] if len(values) == 1 else column.in_(values)))
    return sa.or_(*arms) if arms else None
