"""How routes ask the engine: Flask-Principal's ``TenantPermission`` and the route decorators.

Every route carries one of these decorators; ``create_app`` stops if one does not, or if it names a
permission missing from ``policies/`` or a resource nobody registered (``core.web.check_routes``).

- ``tenant_view(permission, record=None)``: loads ``<slug>`` into ``tenant``; 404 if the caller manages
  nothing there (no existence leak), 403 if they manage it but lack ``permission``. With ``record``, also
  loads that resource's record named in the path, 404 unless it belongs to the tenant and the caller sees it.
- ``record_view(resource, permission=None)``: loads the record named in the path (``<int:activity_id>``)
  into ``activity``; 404 unless the caller may see it; with ``permission``, 403 unless they hold it.
- ``tenant_public(signed_in=False)``: a union's public face (``/t/<slug>/...``, ``/api/v1/tenants/<slug>``
  for what any member may do there): loads ``tenant`` (archived unions only for those who manage them).
- ``signed_in``, ``public``, ``operator_only``: routes open to those callers, declared as such.
"""
from functools import wraps

from flask import request
from flask_babel import gettext as _
from flask_login import current_user
from flask_principal import Permission

from union_saas.access import engine, resources
from union_saas.access.policy import perm
from union_saas.core.errors import Forbidden, NotFound
from union_saas.extensions import db, login_manager
from union_saas.tenancy.services import get_by_slug


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
            raise resources.miss()
        raise Forbidden(_("Your role here does not allow this."))


def require_visible(tenant, user=None):
    """A tenant's public face: active ones to everyone, archived ones only to those who manage it."""
    user = user or current_user
    if tenant.status != "active" and not engine.manages(user, tenant):
        raise resources.miss()
    return tenant


def _declare(view, kind, permission=None, resource=None):
    view.access = (kind, permission)
    view.resource = resource
    return view


def signed_in(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return view(*args, **kwargs)

    return _declare(wrapper, "signed_in")


def public(view):
    return _declare(view, "public")


def operator_only(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.is_operator:
            raise resources.miss()
        return view(*args, **kwargs)

    return _declare(wrapper, "operator")


def _tenant(slug):
    try:
        return get_by_slug(db.session, slug)
    except NotFound:
        raise resources.miss() from None


def _record(name, kwargs):
    """Pop the id of resource ``name`` from the view's arguments and load it (None when there is none)."""
    resource = resources.get(name)
    return resource, resource.find(db.session, kwargs.pop(resource.arg))


def tenant_view(permission, record=None):
    """Load ``<slug>`` as ``tenant`` and require ``permission`` there; with ``record``, also its record."""
    perm(permission)

    def decorate(view):
        @wraps(view)
        def wrapper(*args, slug, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            tenant = _tenant(slug)
            require(permission, tenant)
            if record is not None:
                resource, found = _record(record, kwargs)
                if (found is None or not resource.within(db.session, found, tenant)
                        or not resource.visible(db.session, current_user, found)):
                    raise resources.miss()
                kwargs[resource.name] = found
            return view(*args, tenant=tenant, **kwargs)

        return _declare(wrapper, "tenant", permission, record)

    return decorate


def record_view(resource, permission=None):
    """Load the record of ``resource`` named in the path; 404 unless visible, 403 without ``permission``."""
    if permission is not None:
        perm(permission)

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            found_in, found = _record(resource, kwargs)
            if found is None:
                raise resources.miss()
            kwargs[found_in.name] = resources.authorise(db.session, current_user, found_in, found, permission)
            return view(*args, **kwargs)

        return _declare(wrapper, "record", permission, resource)

    return decorate


def tenant_public(view=None, *, signed_in=False):
    """A union's public pages ``/t/<slug>/...``: ``tenant`` loaded, visible to the caller (anyone, or anyone
    signed in)."""

    def decorate(fn):
        @wraps(fn)
        def wrapper(*args, slug, **kwargs):
            if signed_in and not current_user.is_authenticated:
                return login_manager.unauthorized()
            return fn(*args, tenant=require_visible(_tenant(slug)), **kwargs)

        return _declare(wrapper, "tenant_signed_in" if signed_in else "tenant_public")

    return decorate(view) if view is not None else decorate


def is_api_request():
    return request.path.startswith("/api/")


# Routes that need no declaration: the OpenAPI document, static files.
EXEMPT_ENDPOINTS = {"api-docs.openapi_json"}


def check_routes(app):
    """Stop the app if a route says neither who may call it nor that it is open, or names a resource nobody
    registered; then every resource must say who owns it and who sees it, and every permission named must
    be in ``policies/``."""
    missing, unknown = [], []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in EXEMPT_ENDPOINTS or rule.endpoint == "static" or rule.endpoint.endswith(".static"):
            continue
        view = app.view_functions[rule.endpoint]
        if not getattr(view, "access", None):
            missing.append(f"{rule.rule} ({rule.endpoint})")
        elif getattr(view, "resource", None) and view.resource not in resources.REGISTRY:
            unknown.append(f"{rule.rule} ({rule.endpoint}): resource {view.resource!r}")
    if missing:
        raise RuntimeError("routes without an access declaration: " + ", ".join(sorted(missing)))
    if unknown:
        raise RuntimeError("routes naming an unregistered resource: " + ", ".join(sorted(unknown)))
    resources.check()
