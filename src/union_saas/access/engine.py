"""``can``, ``filter`` and ``explain``: the only questions the code asks about permissions.

A user's live grants are loaded in one query (once per request, cached on ``flask.g``); a check is
then pure in-memory matching of the tenant's ancestor paths (parsed from its path) against the
paths of the grants, whatever the size of the tree.
"""
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app, g, has_app_context

from union_saas.access.models import Grant
from union_saas.core.db import utcnow
from union_saas.tenancy.models import SEGMENT, Tenant, ancestor_paths, subtree_clause


@dataclass(frozen=True)
class GrantRef:
    """What a check needs to know of a grant (no ORM object, no lazy loads)."""

    id: int
    role: str
    tenant_id: int
    tenant_path: str
    root_id: int
    granted_by_id: int | None
    created_at: datetime
    tenant_slug: str | None = None


class Subject:
    """A user's live grants, indexed by the path of the tenant each was given at."""

    def __init__(self, user, grants, policy):
        self.user = user
        self.grants = grants
        self.is_operator = bool(getattr(user, "is_operator", False))
        self._by_path = defaultdict(set)
        for grant in grants:
            role = policy.role(grant.role)
            if role is not None:  # a role since removed from policies/ gives nothing
                self._by_path[grant.tenant_path] |= role.permissions

    def permissions_at(self, path: str) -> frozenset:
        held = set()
        for prefix in ancestor_paths(path):
            held |= self._by_path.get(prefix, set())
        return frozenset(held)

    def can(self, permission: str, path: str) -> bool:
        # The ancestors' paths are the prefixes of ``path`` that end after a segment: segments have a
        # fixed width, so they are sliced, not parsed (a check is ~1 µs; see bench/RESULTS.md).
        if not self._by_path:
            return False
        get = self._by_path.get
        for end in range(SEGMENT + 2, len(path) + 1, SEGMENT + 1):
            held = get(path[:end])
            if held is not None and permission in held:
                return True
        return False

    def holds_at(self, permission: str, path: str) -> bool:
        """Holds ``permission`` by a grant at ``path`` itself, not inherited from above: acts as that office."""
        return permission in self._by_path.get(path, ())

    def manages(self, path: str) -> bool:
        """Holds any grant at ``path`` or above it: may see the tenant's management pages."""
        return any(prefix in self._by_path for prefix in ancestor_paths(path))

    def scopes(self, permission: str) -> list[str]:
        """The paths under which ``permission`` is held, none inside another."""
        paths = sorted(p for p, perms in self._by_path.items() if permission in perms)
        minimal = []
        for path in paths:
            if not minimal or not path.startswith(minimal[-1]):
                minimal.append(path)
        return minimal

    def managed_roots(self) -> list[str]:
        paths = sorted(self._by_path)
        minimal = []
        for path in paths:
            if not minimal or not path.startswith(minimal[-1]):
                minimal.append(path)
        return minimal


def policy():
    return current_app.extensions["union_saas.policy"]


def check_permission_name(permission):
    if permission not in policy().permissions:
        raise ValueError(f"unknown permission {permission!r}: declare it in policies/")


GRANT_COLUMNS = (Grant.id, Grant.role, Grant.tenant_id, Tenant.path, Tenant.root_id, Grant.granted_by_id,
                 Grant.created_at, Tenant.slug)


def _live(user_id_column, now):
    return sa.and_(Grant.user_id == user_id_column, Grant.revoked_at.is_(None),
                   sa.or_(Grant.expires_at.is_(None), Grant.expires_at > now))


def live_grants_stmt(user_id):
    return (sa.select(*GRANT_COLUMNS).join(Tenant, Tenant.id == Grant.tenant_id)
            .where(_live(user_id, utcnow())).order_by(Tenant.depth, Grant.id))


def load_subject(session, user) -> Subject:
    if user is None or not getattr(user, "is_authenticated", False):
        return Subject(None, [], policy())
    grants = [GrantRef(*row) for row in session.execute(live_grants_stmt(user.id))]
    return Subject(user, grants, policy())


_USER_WITH_GRANTS = {}


def _user_with_grants_stmt(user_model, condition=None):
    """Built once (a statement costs more Python to build than to run): parameters ``uid`` and ``now``, and
    those of ``condition`` (a function of the user model returning a clause, e.g. "this session is live")."""
    key = (user_model, condition)
    if key not in _USER_WITH_GRANTS:
        grants = (sa.select(*GRANT_COLUMNS, Tenant.depth).join(Tenant, Tenant.id == Grant.tenant_id)
                  .where(_live(sa.bindparam("uid"), sa.bindparam("now", type_=Grant.expires_at.type))).subquery())
        stmt = (sa.select(user_model, *(c for c in grants.c if c.name != "depth"))
                .outerjoin(grants, sa.true()).where(user_model.id == sa.bindparam("uid"))
                .order_by(grants.c.depth, grants.c.id))
        if condition is not None:
            stmt = stmt.where(condition(user_model))
        _USER_WITH_GRANTS[key] = stmt
    return _USER_WITH_GRANTS[key]


def load_user_with_grants(session, user_model, user_id, *, condition=None, params=None):
    """The user of id ``user_id`` and their live grants, in one query (the user loader of each request):
    ``(user, grants)``, or ``(None, [])``. ``condition`` (with its ``params``) must hold too, in the same
    query. ``remember`` the subject once the user is accepted."""
    rows = session.execute(_user_with_grants_stmt(user_model, condition),
                           {"uid": user_id, "now": utcnow(), **(params or {})}).all()
    if not rows:
        return None, []
    return rows[0][0], [GrantRef(*row[1:]) for row in rows if row[1] is not None]


def remember(user, grants):
    """Cache ``user``'s subject for the request, from grants loaded with the user."""
    if has_app_context():
        g.setdefault("access_subjects", {})[user.id] = Subject(user, grants, policy())


def subject(user) -> Subject:
    """The user's subject, loaded once per request."""
    from union_saas.extensions import db

    if not has_app_context():
        raise RuntimeError("the access engine needs an app context")
    cache = g.setdefault("access_subjects", {})
    key = getattr(user, "id", None) if getattr(user, "is_authenticated", False) else None
    if key not in cache:
        cache[key] = load_subject(db.session, user)
    return cache[key]


def forget(user=None):
    """Drop cached subjects after grants change in this request."""
    if has_app_context():
        g.pop("access_subjects", None)


def can(user, permission: str, tenant) -> bool:
    check_permission_name(permission)
    return subject(user).can(permission, tenant.path)


def can_at(session, user, permission: str, tenant_id) -> bool:
    """``can`` at a tenant named by its id (one query for its path); False when there is no such tenant."""
    check_permission_name(permission)
    path = session.scalar(sa.select(Tenant.path).where(Tenant.id == tenant_id))
    return path is not None and subject(user).can(permission, path)


def manages(user, tenant) -> bool:
    return subject(user).manages(tenant.path)


def holds_at(user, permission: str, tenant) -> bool:
    """``user`` holds ``permission`` through a grant at ``tenant`` itself: they act as that union's office (a
    read or a report counts for it), not as an ancestor's officer looking in."""
    check_permission_name(permission)
    return subject(user).holds_at(permission, tenant.path)


def permissions_at(user, tenant) -> frozenset:
    return subject(user).permissions_at(tenant.path)


def filter(stmt, user, permission: str, path_column=Tenant.path):
    """Restrict ``stmt`` to rows whose tenant path lies where ``user`` holds ``permission``."""
    check_permission_name(permission)
    scopes = subject(user).scopes(permission)
    if not scopes:
        return stmt.where(sa.false())
    return stmt.where(sa.or_(*(subtree_clause(path_column, path) for path in scopes)))


def managed_filter(stmt, user, path_column=Tenant.path):
    """Restrict ``stmt`` to tenants the user manages (holds any grant at or above)."""
    scopes = subject(user).managed_roots()
    if not scopes:
        return stmt.where(sa.false())
    return stmt.where(sa.or_(*(subtree_clause(path_column, path) for path in scopes)))


def explain(session, user, permission: str, tenant):
    """The grant that gives ``user`` ``permission`` at ``tenant``: the nearest one, or None."""
    check_permission_name(permission)
    subj = load_subject(session, user)
    chain = ancestor_paths(tenant.path)
    candidates = [gr for gr in subj.grants if gr.tenant_path in chain
                  and (role := policy().role(gr.role)) is not None and permission in role.permissions]
    if not candidates:
        return None
    return max(candidates, key=lambda gr: (len(gr.tenant_path), -gr.id))
