"""Who sees what a union publishes: the viewer of a request, and the resources of published content.

``viewer(session, user)`` is built once per request: the person, their home union (active membership)
and the federations they follow. Published content (anything with ``tenancy.content.Published``) is
visible to the members its ``scope`` reaches (``tenancy.content``) when its status says so, and, in any
status, to whoever holds its managing permission at its union. A domain registers such a model with
``published(...)`` and lists it with ``visible_clause``; nothing else writes the rule.
"""
from dataclasses import dataclass

import sqlalchemy as sa
from flask import g, has_request_context

from union_saas.access import engine, resources
from union_saas.members.models import Follow, Membership
from union_saas.tenancy.content import Audience, audience_clause
from union_saas.tenancy.models import Tenant


@dataclass(frozen=True)
class Viewer:
    """A person as the audience rule and the pages see them: their home union, or the federations they follow."""

    user: object
    home: Tenant | None
    audience: Audience

    @property
    def ancestors_and_home(self) -> list[int]:
        return list(self.audience.home_and_ancestors)

    @property
    def followed_roots(self) -> list[int]:
        return list(self.audience.followed_roots)

    @property
    def is_member(self) -> bool:
        return self.home is not None


ANONYMOUS = Viewer(None, None, Audience())

_HOME = (sa.select(Tenant).join(Membership, Membership.tenant_id == Tenant.id)
         .where(Membership.user_id == sa.bindparam("uid"), Membership.status == "active"))
_FOLLOWED = sa.select(Follow.root_id).where(Follow.user_id == sa.bindparam("uid")).distinct()


def load_viewer(session, user) -> Viewer:
    """The viewer of ``user`` (two queries at most: the home, and when there is none, the follows)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ANONYMOUS
    home = session.scalar(_HOME, {"uid": user.id})
    if home is not None:
        return Viewer(user, home, Audience(home.id, home.path))
    return Viewer(user, None, Audience(followed_roots=tuple(session.scalars(_FOLLOWED, {"uid": user.id}))))


def viewer(session, user) -> Viewer:
    """The viewer of ``user`` for this request, loaded once."""
    if not has_request_context():
        return load_viewer(session, user)
    key = getattr(user, "id", None) if getattr(user, "is_authenticated", False) else None
    cache = g.setdefault("viewers", {})
    if key not in cache:
        cache[key] = load_viewer(session, user)
    return cache[key]


def forget():
    """Drop the request's viewers after a membership changed in it."""
    if has_request_context():
        g.pop("viewers", None)


def managed_clause(model, user, manage):
    """Rows of ``model`` whose union lies where ``user`` holds ``manage`` (any status), or None."""
    scopes = engine.subject(user).scopes(manage) if user is not None else []
    if not scopes:
        return None
    return model.tenant_id.in_(engine.filter(sa.select(Tenant.id), user, manage))


def visible_clause(model, v: Viewer, manage, *, statuses=None):
    """Rows of ``model`` that ``v`` may see: in a shown status and reached by the scope, or managed by ``v``.

    ``statuses``: default the model's ``LISTED`` (what lists show)."""
    parts = []
    audience = audience_clause(model, v.audience)
    if audience is not None:
        parts.append(sa.and_(model.status.in_(statuses or model.LISTED), audience))
    managed = managed_clause(model, v.user, manage)
    if managed is not None:
        parts.append(managed)
    return sa.or_(*parts) if parts else sa.false()


def may_see(v: Viewer, record, manage) -> bool:
    """``visible_clause`` for one loaded record (with its tenant), opened: no query."""
    if record.status in type(record).SHOWN and v.audience.reaches(record):
        return True
    return v.user is not None and engine.can(v.user, manage, record.tenant)


def published(name, model, manage, **options):
    """Register ``model`` (a ``Published`` model) as the resource ``name``, managed through ``manage``."""

    def visible(session, user, record):
        return may_see(viewer(session, user), record, manage)

    return resources.register(name, model, visible=visible, manage=manage, scoped=True, **options)
