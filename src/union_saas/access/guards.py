"""How views ask the engine: Flask-Principal's ``TenantPermission`` and the route decorators.

Every route under /manage, /admin and /api/v1 carries one of these decorators; ``create_app`` stops
if one does not (``core.web.check_routes_declare_access``).

- ``tenant_view(permission)``: loads ``<slug>`` into ``tenant``; 404 if the caller manages nothing
  there (no existence leak), 403 if they manage it but lack ``permission``.
- ``record_view(permission)``: the view loads its record and calls ``require(permission, tenant)``.
- ``signed_in``, ``public``, ``operator_only``: open routes, declared as such.
"""
from functools import wraps

from flask import request
from flask_babel import gettext as _
from flask_login import current_user
from flask_principal import Permission

from union_saas.access import engine
from union_saas.access.policy import perm
from union_saas.core.errors import Forbidden, NotFound


class TenantPermission(Permission):
    """Flask-Principal permission whose ``allows`` asks the policy engine about one tenant."""

    def __init__(self, permission, tenant):
        super().__init__()
        self.permission = perm(permission)
        self.tenant = tenant

    def allows(self, identity):
        user = getattr(identity, "user", None)
        return user is not None and engine.can(user, self.permission, self.tenant)


def require(permission, tenant, user=None):
    """404 unless the caller manages ``tenant``; 403 unless they hold ``permission`` there."""
    if user is None:
        user = current_user
        allowed = TenantPermission(permission, tenant).can()  # asks the engine for g.identity's user
    else:
        allowed = engine.can(user, permission, tenant)
    if not allowed:
        if not engine.manages(user, tenant):
            raise NotFound(_("Not found."))
        raise Forbidden(_("Your role here does not allow this."))


def _unauthenticated():
    from union_saas.extensions import login_manager

    return login_manager.unauthorized()


def _declare(view, kind, permission=None):
    view.access = (kind, permission)
    return view


def signed_in(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return _unauthenticated()
        return view(*args, **kwargs)

    return _declare(wrapper, "signed_in")


def public(view):
    return _declare(view, "public")


def operator_only(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return _unauthenticated()
        if not current_user.is_operator:
            raise NotFound(_("Not found."))
        return view(*args, **kwargs)

    return _declare(wrapper, "operator")


def tenant_view(permission):
    """Load ``<slug>`` as ``tenant`` and require ``permission`` there."""
    perm(permission)

    def decorate(view):
        @wraps(view)
        def wrapper(*args, slug, **kwargs):
            from union_saas.extensions import db
            from union_saas.tenancy.services import get_by_slug

            if not current_user.is_authenticated:
                return _unauthenticated()
            tenant = get_by_slug(db.session, slug)
            require(permission, tenant)
            return view(*args, tenant=tenant, **kwargs)

        return _declare(wrapper, "tenant", permission)

    return decorate


def record_view(permission):
    """The view loads its record and calls ``require(permission, record's tenant)`` itself."""
    perm(permission)

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return _unauthenticated()
            return view(*args, **kwargs)

        return _declare(wrapper, "record", permission)

    return decorate


def is_api_request():
    return request.path.startswith("/api/")


def require_visible(tenant, user=None):
    """A tenant's public face: active ones to everyone, archived ones only to those who manage it."""
    user = user or current_user
    if tenant.status != "active" and not engine.manages(user, tenant):
        raise NotFound(_("No such union."))
    return tenant
