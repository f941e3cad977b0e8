"""Grants, roles, explain and audit API (API.md, Grants)."""
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from union_saas.access import engine, schemas, services
from union_saas.access.guards import record_view, signed_in, tenant_view
from union_saas.accounts.services import get_by_username
from union_saas.core.api import Blueprint
from union_saas.core.audit import describe_all
from union_saas.core.errors import ValidationFailed
from union_saas.core.pagination import PageArgs, page_schema, paginate
from union_saas.extensions import db

blp = Blueprint("access_api", __name__, url_prefix="/api/v1", description="Delegated management rights")


@blp.route("/tenants/<slug>/grants", methods=["GET"])
@blp.arguments(schemas.GrantListArgs, location="query")
@blp.response(200, page_schema(schemas.GrantSchema))
@tenant_view("grant.manage")
def list_grants(args, tenant):
    stmt = services.grants_stmt(tenant, include_subtree=args.get("include") == "subtree")
    page = paginate(db.session, stmt, args["page"], args["per_page"])
    return page.doc([schemas.grant_doc(g) for g in page.items])


@blp.route("/tenants/<slug>/grants", methods=["POST"])
@blp.arguments(schemas.GrantCreateSchema)
@blp.response(201, schemas.GrantSchema)
@blp.alt_response(403, description="The role has permissions the caller does not hold here")
@blp.alt_response(404, description="No such user")
@blp.alt_response(409, description="Already granted")
@tenant_view("grant.manage")
def create_grant(data, tenant):
    user = get_by_username(db.session, data["username"])
    grant = services.grant_role(db.session, current_user, tenant, user, data["role"])
    return schemas.grant_doc(services.get_grant(db.session, grant.id))


@blp.route("/grants/<int:grant_id>", methods=["DELETE"])
@blp.response(204)
@blp.alt_response(403, description="The role has permissions the caller does not hold here")
@blp.alt_response(404, description="No such grant, or not visible")
@blp.alt_response(409, description="Revoked already, or the last grant managing the union's rights")
@record_view("grant", "grant.manage")
def delete_grant(grant):
    """Revoke a grant: only someone who could have made it from the level it was made at (or the operator);
    409 for the last grant through which anyone manages the union's rights."""
    services.revoke(db.session, current_user, grant)


@blp.route("/roles", methods=["GET"])
@blp.response(200, schemas.RoleListSchema)
@signed_in
def list_roles():
    locale = str(get_locale())
    return {"items": [{"name": r.name, "label": r.label(locale), "labels": r.labels,
                       "permissions": sorted(r.permissions), "kinds": list(r.kinds)}
                      for r in engine.policy().roles.values()]}


@blp.route("/tenants/<slug>/access/explain", methods=["GET"])
@blp.arguments(schemas.ExplainArgs, location="query")
@blp.response(200, schemas.ExplainSchema)
@blp.alt_response(404, description="No such user")
@tenant_view("grant.manage")
def explain(args, tenant):
    if args["permission"] not in engine.policy().permissions:
        raise ValidationFailed(errors={"permission": [_("No such permission.")]})
    user = get_by_username(db.session, args["username"])
    return services.explain_doc(db.session, user, args["permission"], tenant)


@blp.route("/tenants/<slug>/audit", methods=["GET"])
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(schemas.AuditEntrySchema))
@tenant_view("audit.view")
def audit(args, tenant):
    page = paginate(db.session, services.audit_stmt(tenant), args["page"], args["per_page"])
    sentences = describe_all(db.session, page.items)
    return page.doc([{**e.doc(), "text": sentences[e.id]} for e in page.items])
