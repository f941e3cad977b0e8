"""Resources: every record a route may name, registered once with how it is found, which tenant owns it
and who may see it.

A route names its resource and the permission it needs (``guards.record_view("activity", "activity.manage")``)
or only that the record must be visible to the caller (``guards.record_view("activity")``); the guard loads
the record, asks this module, and hands the view the authorised object:

- no such record, or not visible to the caller: 404, one text for every miss (no existence leak);
- its union managed by the caller (any grant there or above), but the permission is not held: 403.

``create_app`` refuses to start when a route names an unknown resource or permission, or a resource lacks
its owner or its audience (``check``). The isolation matrix is generated from this registry and the routes.
"""
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from union_saas.access import engine
from union_saas.access.policy import perm
from union_saas.core import forms
from union_saas.core.errors import Forbidden, NotFound

MAX_ID = 2**31 - 1  # ids are 32-bit integers in the database: a larger one names nothing


def miss():
    """The one answer to every record the caller may not see, whether it exists or not."""
    return NotFound(_("Not found."))


def refuse():
    return Forbidden(_("Your role here does not allow this."))


@dataclass(frozen=True)
class Resource:
    """A kind of record routes may name: ``/activities/<int:activity_id>`` names an ``activity``."""

    name: str
    model: type
    owner: Callable  # record -> the Tenant that owns it (loaded by ``load``: no query)
    visible: Callable  # (session, user, record) -> may ``user`` see it
    load: Callable  # (session, id) -> the record, or None
    arg: str  # the URL argument that carries its id
    manage: str | None = None  # the permission that manages it
    # (session, user, record, permission) -> bool, when a permission is not simply checked at the owner
    # (a report is accepted by the task's assigner, not by the assignee's office)
    allows: Callable | None = None
    # (session, record, tenant) -> bool: the record belongs to ``tenant`` (a route ``/manage/<slug>/.../<id>``);
    # default: ``tenant`` owns it
    inside: Callable | None = None
    # Visible to everyone in the audience of its ``scope`` (DESIGN.md idea 3): for the isolation matrix
    scoped: bool = False
    key: type = int  # what names a record in a path: a database id, or a string (a job's uuid)
    extra: dict = field(default_factory=dict)

    def find(self, session, record_id):
        """The record of ``record_id`` whatever the caller, or None (ids beyond the column name nothing)."""
        if self.key is int and (not isinstance(record_id, int) or not 0 < record_id <= MAX_ID):
            return None
        if self.key is str and (not isinstance(record_id, str) or len(record_id) > 64):
            return None
        return self.load(session, record_id)

    def within(self, session, record, tenant) -> bool:
        if self.inside is not None:
            return self.inside(session, record, tenant)
        return self.owner(record).id == tenant.id

    def may(self, session, user, record, permission) -> bool:
        if self.allows is not None:
            return self.allows(session, user, record, permission)
        return engine.can(user, permission, self.owner(record))


REGISTRY: dict[str, Resource] = {}


def _load_with_tenant(model):
    options = (joinedload(model.tenant),) if hasattr(model, "tenant") else ()

    def load(session, record_id):
        return session.scalar(sa.select(model).options(*options).where(model.id == record_id))

    return load


def register(name, model, *, visible=None, owner=None, load=None, arg=None, manage=None, allows=None,
             inside=None, scoped=False, key=int, **extra) -> Resource:
    """Register the resource ``name`` of ``model``.

    ``owner`` defaults to the record's ``tenant`` relationship, which the default ``load`` joins; ``visible``
    must be given (who may see it is a rule of its domain), except for records only their managers see:
    ``visible="managers"`` (whoever holds any grant at or above the owner).
    """
    if name in REGISTRY and REGISTRY[name].model is not model:
        raise RuntimeError(f"resource {name!r} registered twice")
    if manage is not None:
        perm(manage)
    if owner is None and hasattr(model, "tenant"):
        owner = _tenant_of
    if visible == "managers":
        visible = _managers_of(owner)
    resource = Resource(name=name, model=model, owner=owner, visible=visible,
                        load=load or _load_with_tenant(model), arg=arg or f"{name}_id", manage=manage,
                        allows=allows, inside=inside, scoped=scoped, key=key, extra=extra)
    REGISTRY[name] = resource
    forms.LOADERS.setdefault(model, resource.load)  # a form shown again loads it again, as routes load it
    return resource


def _tenant_of(record):
    return record.tenant


def _managers_of(owner):
    def visible(session, user, record):
        return engine.manages(user, owner(record))

    return visible


def get(name) -> Resource:
    try:
        return REGISTRY[name]
    except KeyError:
        raise RuntimeError(f"no resource {name!r} is registered") from None


def authorise(session, user, resource, record, permission=None):
    """``record`` if ``user`` may see it (and hold ``permission`` on it); else 404, or 403 when they see it."""
    if permission is None:
        if not resource.visible(session, user, record):
            raise miss()
        return record
    if resource.may(session, user, record, permission):
        return record
    if engine.manages(user, resource.owner(record)):
        raise refuse()  # they see the union's management pages: the record is no secret to them
    raise miss()


def fetch(session, user, name, record_id, permission=None):
    """Load the record ``name`` of ``record_id`` for ``user``: what the guards do, for jobs and services."""
    resource = get(name)
    record = resource.find(session, record_id)
    if record is None:
        raise miss()
    return authorise(session, user, resource, record, permission)


def check():
    """Every resource says who owns it and who may see it (``create_app`` calls this)."""
    problems = []
    for name, resource in sorted(REGISTRY.items()):
        if resource.owner is None:
            problems.append(f"resource {name!r} has no owner (which tenant owns a record)")
        if resource.visible is None:
            problems.append(f"resource {name!r} has no audience (who may see a record)")
    if problems:
        raise RuntimeError("; ".join(problems))
