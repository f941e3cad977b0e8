"""Delegation: granting and revoking roles, never beyond what the actor holds."""
import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from union_saas.access import engine, resources
from union_saas.access.models import Grant
from union_saas.access.policy import perm
from union_saas.core.audit import params, record
from union_saas.core.db import utcnow
from union_saas.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from union_saas.tenancy.models import Tenant, subtree_clause

GRANT_MANAGE = perm("grant.manage")


def _require_delegable(session, actor, tenant, role, action, target):
    """Raise Forbidden (and keep an audit entry of the refusal) unless ``actor`` may hand out ``role``."""
    held = engine.permissions_at(actor, tenant)
    missing = sorted(role.permissions - held) if GRANT_MANAGE in held else [GRANT_MANAGE]
    if missing:
        raise Forbidden(
            _("You may only grant or revoke roles whose permissions you hold here yourself."),
            errors={"role": [_("Beyond your own rights here: %(p)s.", p=", ".join(missing))]},
            audit={"action": f"{action}.refused", "actor": actor, "tenant": tenant, "target": target,
                   "detail": {"role": role.name, "missing": missing}},
        )


def grant_role(session, actor, tenant, user, role_name, *, expires_at=None) -> Grant:
    role = engine.policy().role(role_name)
    if role is None:
        raise ValidationFailed(errors={"role": [_("No such role: %(r)s.", r=role_name)]})
    if tenant.kind not in role.kinds:
        raise ValidationFailed(errors={"role": [_("This role cannot be given at a union of this kind.")]})
    _require_delegable(session, actor, tenant, role, "grant.create", user.username)
    existing = session.scalar(sa.select(Grant.id).where(Grant.user_id == user.id, Grant.role == role.name,
                                                        Grant.tenant_id == tenant.id, Grant.revoked_at.is_(None)))
    if existing:
        message = _("%(user)s already holds this role here.", user=user.username)
        raise Conflict(message, errors={"username": [message]})
    # The level it is made from: the granter's own grant that lets them manage grants here (the nearest).
    office = engine.explain(session, actor, GRANT_MANAGE, tenant)
    grant = Grant(user_id=user.id, role=role.name, tenant_id=tenant.id, root_id=tenant.root_id,
                  granted_by_id=actor.id, granted_at_id=office.tenant_id if office else tenant.id,
                  expires_at=expires_at)
    try:
        with session.begin_nested():
            session.add(grant)
    except IntegrityError:
        message = _("%(user)s already holds this role here.", user=user.username)
        raise Conflict(message, errors={"username": [message]}) from None
    record(session, action="grant.create", actor=actor, tenant=tenant, target=user.username,
           detail={"role": role.name, "grant": grant.id})
    engine.forget()
    return grant


def revoke(session, actor, grant) -> list[str]:
    """Revoke ``grant``: only someone who could have made it at the level it was made from (or the platform
    operator) may; never the last grant that lets anyone manage the union's rights. Returns who still
    manages its rights there ("username at slug"), for the caller to say."""
    tenant = session.get(Tenant, grant.tenant_id)
    role = engine.policy().role(grant.role)
    if grant.revoked_at is not None:
        raise Conflict(_("This grant was already revoked."))
    user_name = grant.user.username if "user" in grant.__dict__ else str(grant.user_id)
    level = session.get(Tenant, grant.granted_at_id) if grant.granted_at_id else tenant
    if not getattr(actor, "is_operator", False):
        if role is not None:
            _require_delegable(session, actor, level, role, "grant.revoke", user_name)
        elif not engine.can(actor, GRANT_MANAGE, level):
            raise Forbidden(_("Not allowed."))
    remaining = other_managers(session, tenant, grant)
    if role is not None and GRANT_MANAGE in role.permissions and not remaining:
        message = _("%(user)s is the last one who manages the rights of %(union)s: appoint another "
                    "administrator first.", user=user_name, union=tenant.name)
        raise Conflict(message, errors={"grant": [message]})
    grant.revoked_at = utcnow()
    grant.revoked_by_id = actor.id
    session.flush()
    record(session, action="grant.revoke", actor=actor, tenant=tenant, target=user_name,
           detail={"role": grant.role, "grant": grant.id})
    engine.forget()
    return remaining


def other_managers(session, tenant, grant=None, limit=5) -> list[str]:
    """Who else holds ``grant.manage`` at ``tenant`` (through a live grant there or above, as an active
    user), nearest first: ``["username at slug", ...]``."""
    User = Grant.user.property.mapper.class_  # the account model (access imports no accounts)
    roles = [r.name for r in engine.policy().roles.values() if GRANT_MANAGE in r.permissions]
    stmt = (sa.select(User.username, Tenant.slug).select_from(Grant)
            .join(User, User.id == Grant.user_id).join(Tenant, Tenant.id == Grant.tenant_id)
            .where(Grant.tenant_id.in_(tenant.ancestor_ids + [tenant.id]), Grant.role.in_(roles),
                   Grant.revoked_at.is_(None), sa.or_(Grant.expires_at.is_(None), Grant.expires_at > utcnow()),
                   User.active.is_(True))
            .order_by(Tenant.depth.desc(), Grant.id).limit(limit))
    if grant is not None:
        stmt = stmt.where(Grant.id != grant.id)
    return [f"{username} at {slug}" for username, slug in session.execute(stmt)]


def get_grant(session, grant_id) -> Grant:
    grant = session.scalar(sa.select(Grant).options(joinedload(Grant.user), joinedload(Grant.tenant),
                                                    joinedload(Grant.granted_by))
                           .where(Grant.id == grant_id, Grant.revoked_at.is_(None)))
    if grant is None:
        raise NotFound(_("No such grant."))
    return grant


def grants_stmt(tenant, *, include_subtree=False):
    """Live grants at ``tenant`` (and below it), with user, tenant and granter loaded in the same query."""
    stmt = (sa.select(Grant).join(Tenant, Tenant.id == Grant.tenant_id)
            .options(joinedload(Grant.user), joinedload(Grant.granted_by), joinedload(Grant.tenant))
            .where(Grant.revoked_at.is_(None)))
    if include_subtree:
        stmt = stmt.where(subtree_clause(Tenant.path, tenant.path))
    else:
        stmt = stmt.where(Grant.tenant_id == tenant.id)
    return stmt.order_by(Tenant.path, Grant.role, Grant.id)


def grants_above(session, tenant):
    """Live grants at the ancestors of ``tenant``: who already holds power here from above."""
    ids = tenant.ancestor_ids
    if not ids:
        return []
    stmt = (sa.select(Grant).options(joinedload(Grant.user), joinedload(Grant.tenant), joinedload(Grant.granted_by))
            .where(Grant.tenant_id.in_(ids), Grant.revoked_at.is_(None)).order_by(Grant.id))
    return list(session.scalars(stmt))


def user_grants(session, user):
    """The user's live grants with their tenants, in one query."""
    stmt = (sa.select(Grant).options(joinedload(Grant.tenant))
            .where(Grant.user_id == user.id, Grant.revoked_at.is_(None),
                   sa.or_(Grant.expires_at.is_(None), Grant.expires_at > utcnow()))
            .order_by(Grant.id))
    return list(session.scalars(stmt))


def appoint_first_admin(session, operator, federation, user) -> Grant:
    """The platform operator appoints a new federation's first administrator."""
    grant = Grant(user_id=user.id, role="federation_admin", tenant_id=federation.id, root_id=federation.id,
                  granted_by_id=operator.id)
    session.add(grant)
    session.flush()
    record(session, action="grant.create", actor=operator, tenant=federation, target=user.username,
           detail={"role": "federation_admin", "grant": grant.id, "first_admin": True})
    engine.forget()
    return grant


def explain_doc(session, user, permission, tenant):
    """``{allowed, grant}`` for the explain call, with the grant's tenant and granter named."""
    ref = engine.explain(session, user, permission, tenant)
    if ref is None:
        return {"allowed": False, "grant": None}
    grant = get_grant(session, ref.id)
    return {"allowed": True, "grant": {"id": grant.id, "role": grant.role, "tenant": grant.tenant.slug,
                                       "granted_by": grant.granted_by.username if grant.granted_by else None}}


def audit_stmt(tenant):
    """The audit entries of ``tenant``'s subtree (as the tree stood when each was written), newest first."""
    from union_saas.core.audit import AuditEntry

    return (sa.select(AuditEntry).options(joinedload(AuditEntry.actor), joinedload(AuditEntry.tenant))
            .where(AuditEntry.root_id == tenant.root_id, subtree_clause(AuditEntry.tenant_path, tenant.path))
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()))


def _load_grant(session, grant_id):
    return session.scalar(sa.select(Grant).options(joinedload(Grant.user), joinedload(Grant.tenant),
                                                   joinedload(Grant.granted_by))
                          .where(Grant.id == grant_id, Grant.revoked_at.is_(None)))


def _grant_visible(session, user, grant):
    return user.is_operator or engine.manages(user, grant.tenant)


def _grant_allows(session, user, grant, permission):
    """The operator may revoke any grant; anyone else needs the permission at the grant's union (and the
    service checks the level the grant was made from)."""
    return user.is_operator or engine.can(user, permission, grant.tenant)


GRANT = resources.register("grant", Grant, visible=_grant_visible, allows=_grant_allows, manage=GRANT_MANAGE,
                           load=_load_grant)


@params("grant.")
def _audit_params(session, entries):
    """The role's name as the policy labels it, in the reader's language."""
    from flask_babel import get_locale

    User = Grant.user.property.mapper.class_  # the account model, through the grant (access imports no accounts)
    locale = str(get_locale())
    usernames = {e.target for e in entries if e.target}
    names = dict(session.execute(sa.select(User.username, User.display_name)
                                 .where(User.username.in_(usernames))).all()) if usernames else {}
    out = {}
    for entry in entries:
        name = (entry.detail or {}).get("role")
        role = engine.policy().role(name) if name else None
        person = names.get(entry.target)
        out[entry.id] = {"role": role.label(locale) if role else (name or "—"),
                         "target": f"{person} ({entry.target})" if person and person != entry.target
                         else (entry.target or "—")}
    return out
