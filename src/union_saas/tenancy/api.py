"""Tenants API (API.md, Tenants)."""
from flask_login import current_user

from union_saas.access import engine
from union_saas.access.guards import operator_only, tenant_public, tenant_view
from union_saas.accounts.services import get_by_username
from union_saas.core import jobs
from union_saas.core.api import Blueprint
from union_saas.core.errors import NotFound
from union_saas.core.pagination import PageArgs, page_schema, paginate
from union_saas.extensions import db
from union_saas.tenancy import lookups, schemas, services, tasks

blp = Blueprint("tenancy_api", __name__, url_prefix="/api/v1", description="The tenant tree")


def doc(tenant):
    ancestors = {t.id: t.slug for t in services.ancestors(db.session, tenant)}
    return schemas.tenant_doc(tenant, ancestors)


@blp.route("/tenants/<slug>", methods=["GET"])
@blp.response(200, schemas.TenantSchema)
@blp.alt_response(404, description="No such tenant, or not visible to the caller")
@tenant_public(signed_in=True)
def get_tenant(tenant):
    return doc(tenant)


@blp.route("/tenants/<slug>/children", methods=["GET"])
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(schemas.TenantSchema))
@blp.alt_response(404, description="No such tenant, or not visible to the caller")
@tenant_public(signed_in=True)
def list_children(args, tenant):
    stmt = services.children_stmt(tenant, include_archived=engine.manages(current_user, tenant))
    page = paginate(db.session, stmt, args["page"], args["per_page"])
    ancestors = {t.id: t.slug for t in services.ancestors(db.session, tenant)}
    ancestors[tenant.id] = tenant.slug
    return page.doc([schemas.tenant_doc(t, ancestors) for t in page.items])


@blp.route("/tenants/<slug>/todo", methods=["GET"])
@blp.response(200, schemas.TodoListSchema)
@tenant_view("tenant.view")
def todo(tenant):
    """What waits at the union for the caller (the manage home's overview): reviews, unread notices, open
    tasks, federation-wide requests and each module's own, with counts and links."""
    items = lookups.todo_docs(tenant, engine.permissions_at(current_user, tenant))
    return {"items": items, "total": sum(item["count"] for item in items)}


@blp.route("/tenants/<slug>/children/slug", methods=["GET"])
@blp.arguments(schemas.SlugQuerySchema, location="query")
@blp.response(200, schemas.SlugSuggestionSchema)
@tenant_view("tenant.create_child")
def child_slug(args, tenant):
    """The link name a new sub-union called ``name`` would get when the body leaves ``slug`` out."""
    return {"slug": services.suggest_slug(db.session, args["name"])}


@blp.route("/tenants/<slug>/children", methods=["POST"])
@blp.arguments(schemas.TenantCreateSchema)
@blp.response(201, schemas.TenantSchema)
@blp.alt_response(409, description="Slug taken")
@tenant_view("tenant.create_child")
def create_child(data, tenant):
    return doc(services.create_child(db.session, current_user, tenant, **data))


@blp.route("/tenants/<slug>", methods=["PATCH"])
@blp.arguments(schemas.TenantPatchSchema)
@blp.response(200, schemas.TenantSchema)
@blp.alt_response(409, description="Cannot archive a union with active sub-unions")
@tenant_view("tenant.edit")
def patch_tenant(data, tenant):
    return doc(services.update(db.session, current_user, tenant, data))


@blp.route("/tenants/<slug>/move", methods=["POST"])
@blp.arguments(schemas.MoveSchema)
@blp.response(200, schemas.TenantSchema)
@blp.alt_response(409, description="Into its own subtree, or across federations")
@tenant_view("tenant.edit")
def move_tenant(data, tenant):
    new_parent = lookups.move_target(data["parent"], tenant)
    return doc(services.move(db.session, current_user, tenant, new_parent))


@blp.route("/tenants/<slug>/children/import", methods=["POST"])
@blp.arguments(schemas.ImportFileSchema, location="files")
@blp.response(202, schemas.JobAcceptedSchema)
@tenant_view("tenant.create_child")
def import_children(files, tenant):
    data = services.check_tree_upload(db.session, files["file"], tenant)
    record = jobs.submit(db.session, tasks.import_tree, tenant.id, data, owner=current_user, tenant=tenant)
    return {"job": record.id}


@blp.route("/admin/federations/slug", methods=["GET"])
@blp.arguments(schemas.SlugQuerySchema, location="query")
@blp.response(200, schemas.SlugSuggestionSchema)
@operator_only
def federation_slug(args):
    """The link name a new federation called ``name`` would get when the body leaves ``slug`` out."""
    return {"slug": services.suggest_slug(db.session, args["name"])}


@blp.route("/admin/federations", methods=["POST"])
@blp.arguments(schemas.FederationCreateSchema)
@blp.response(201, schemas.TenantSchema)
@blp.alt_response(404, description="No such admin user")
@blp.alt_response(409, description="Slug taken")
@operator_only
def create_federation(data):
    try:
        admin = get_by_username(db.session, data.pop("admin_username"))
    except NotFound as error:  # the body names it admin_username
        raise NotFound(error.detail, errors={"admin_username": error.errors["username"]}) from None
    tenant = services.create_federation(db.session, current_user, **data)
    from union_saas.access.services import appoint_first_admin

    appoint_first_admin(db.session, current_user, tenant, admin)
    return doc(tenant)
