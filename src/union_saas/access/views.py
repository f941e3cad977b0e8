"""Grants page (with "why?") and audit log page of a tenant."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from union_saas.access import engine, schemas, services
from union_saas.access.guards import record_view, tenant_view
from union_saas.accounts.services import get_by_username
from union_saas.core.audit import describe_all
from union_saas.core.errors import DomainError, ValidationFailed
from union_saas.core.forms import form_page, load
from union_saas.core.pagination import paginate
from union_saas.extensions import db
from union_saas.tenancy.sections import manage_tab

bp = Blueprint("access", __name__, template_folder="templates")

manage_tab("access.grants", _l("Management rights"), "grant.manage", 80)
manage_tab("access.audit", _l("Audit log"), "audit.view", 90)


@bp.app_template_global()
def role_label(name):
    role = engine.policy().role(name)
    return role.label(str(get_locale())) if role else name


@bp.app_template_global()
def permission_label(name):
    return engine.policy().label(name, str(get_locale()))


def grantable_roles(tenant):
    """Roles that exist at this kind of tenant and that the current user may hand out here."""
    held = engine.permissions_at(current_user, tenant)
    return [r for r in engine.policy().roles.values() if tenant.kind in r.kinds and r.permissions <= held]


def render_grants(tenant, *, values=None, errors=None, detail=None, explained=None):
    subtree = request.args.get("include") == "subtree"
    page = paginate(db.session, services.grants_stmt(tenant, include_subtree=subtree),
                    request.args.get("page", 1, type=int), 100)
    return render_template("access/grants.html", tenant=tenant, page=page, subtree=subtree,
                           above=services.grants_above(db.session, tenant), roles=grantable_roles(tenant),
                           permissions=sorted(engine.policy().permissions), values=values or {},
                           errors=errors or {}, detail=detail, explained=explained)


@bp.route("/manage/<slug>/grants", methods=["GET"])
@tenant_view("grant.manage")
def grants(tenant):
    explained = None
    if request.args.get("explain_user"):
        try:
            user = get_by_username(db.session, request.args["explain_user"])
            permission = request.args.get("permission", "")
            if permission not in engine.policy().permissions:
                raise ValidationFailed(errors={"permission": [_("No such permission.")]})
            explained = {"user": user, "permission": permission,
                         **services.explain_doc(db.session, user, permission, tenant)}
        except DomainError as error:
            return render_grants(tenant, errors=error.errors, detail=error.detail), error.status
    return render_grants(tenant, explained=explained)


def grant_form():
    return {"username": request.form.get("username", "").strip(), "role": request.form.get("role", "")}


@bp.route("/manage/<slug>/grants", methods=["POST"])
@tenant_view("grant.manage")
@form_page(render_grants, values=grant_form)
def create_grant(tenant):
    data = load(schemas.GrantCreateSchema(), grant_form())
    user = get_by_username(db.session, data["username"])
    services.grant_role(db.session, current_user, tenant, user, data["role"])
    flash(_("%(user)s is now %(role)s here.", user=user.display_name, role=role_label(data["role"])))
    return redirect(url_for("access.grants", slug=tenant.slug))


@bp.route("/manage/grants/<int:grant_id>/revoke", methods=["POST"])
@record_view("grant", "grant.manage")
def revoke(grant):
    back = request.form.get("back_slug") or grant.tenant.slug
    remaining = services.revoke(db.session, current_user, grant)
    if remaining:
        flash(_("Revoked %(role)s of %(user)s; the rights of %(union)s are still managed by: %(who)s.",
                role=role_label(grant.role), user=grant.user.display_name, union=grant.tenant.name,
                who=", ".join(remaining)))
    else:
        flash(_("Revoked %(role)s of %(user)s.", role=role_label(grant.role), user=grant.user.display_name))
    return redirect(url_for("access.grants", slug=back))


@bp.route("/manage/<slug>/audit")
@tenant_view("audit.view")
def audit(tenant):
    page = paginate(db.session, services.audit_stmt(tenant), request.args.get("page", 1, type=int), 50)
    return render_template("access/audit.html", tenant=tenant, page=page,
                           sentences=describe_all(db.session, page.items))



@bp.app_template_global()
def audit_sentence(entry):
    """One entry's sentence (a page of them: ``describe_all``, as the audit page does)."""
    return describe_all(db.session, [entry])[entry.id]
