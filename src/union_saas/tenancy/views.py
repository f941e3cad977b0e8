"""Pages of the tenant tree: the site home, a tenant's public home, the tree in /manage, /admin."""
import functools

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from union_saas.access import engine
from union_saas.access.guards import (
    operator_only,
    public,
    signed_in,
    tenant_public,
    tenant_view,
)
from union_saas.core import jobs
from union_saas.core.errors import DomainError, ValidationFailed
from union_saas.core.forms import form_page, load
from union_saas.extensions import db
from union_saas.tenancy import lookups, schemas, sections, services, tasks
from union_saas.tenancy.models import KIND_LABELS, KINDS, Tenant

bp = Blueprint("tenancy", __name__, template_folder="templates")


@jobs.place
def _job_in_its_union(record, user):
    """A job started at a union its viewer manages keeps the union's management tabs and links back to them."""
    tenant = db.session.get(Tenant, record.tenant_id) if record.tenant_id else None
    if tenant is None or not engine.manages(user, tenant):
        return None
    return {"template": "job_manage.html", "tenant": tenant, "back": url_for("tenancy.manage", slug=tenant.slug)}


def kind_options():
    return [(k, KIND_LABELS[k]) for k in KINDS if k != "federation"]


def load_form(schema, form, fields):
    """Validate a page's form with the API's schema: same rules, same messages."""
    return load(schema, schemas.strip_blanks({k: form.get(k, "") for k in fields}))


@bp.route("/unions")
@public
def home():
    """Every union of the platform: search by name, the federations, the unions the caller manages."""
    import sqlalchemy as sa

    federations = db.session.scalars(sa.select(Tenant).where(Tenant.parent_id.is_(None), Tenant.status == "active")
                                     .order_by(Tenant.name).limit(100)).all()
    query = request.args.get("q", "").strip()[:60]
    results = []
    if query:
        results = db.session.scalars(sa.select(Tenant).where(Tenant.status == "active", Tenant.name.contains(query, autoescape=True))
                                     .order_by(Tenant.depth, Tenant.name).limit(30)).all()
    managed = []
    roots = engine.subject(current_user).managed_roots() if current_user.is_authenticated else []
    if roots:
        managed = db.session.scalars(sa.select(Tenant).where(Tenant.path.in_(roots)).order_by(Tenant.path)).all()
    return render_template("tenancy/home.html", federations=federations, query=query, results=results,
                           managed=managed)


@bp.route("/t/<slug>")
@tenant_public
def public_home(tenant):
    return render_template("tenancy/public_home.html", tenant=tenant,
                           ancestors=services.ancestors(db.session, tenant),
                           children=services.children(db.session, tenant, limit=100),
                           sections=sections.render_context(tenant, current_user))


@bp.route("/manage")
@signed_in
def manage_index():
    return redirect(url_for("tenancy.home"))


def render_manage(tenant, *, values=None, errors=None, detail=None, form=None):
    per_page = current_app.config["TENANT_TREE_PAGE"]
    held = engine.permissions_at(current_user, tenant)
    kids = services.children(db.session, tenant, include_archived=True, limit=per_page + 1)
    return render_template(
        "tenancy/manage.html", tenant=tenant, ancestors=services.ancestors(db.session, tenant), todos=todos(tenant),
        children=kids[:per_page], more=len(kids) > per_page, held=held, kind_options=kind_options(),
        values=values or {}, errors=errors or {}, detail=detail, form=form,
        manages=lambda t: engine.manages(current_user, t),
    )


def manage_form(form):
    """The manage page shown again with the errors of its form ``form`` (create, edit, move, import)."""
    return functools.partial(render_manage, form=form)


@bp.route("/manage/<slug>")
@tenant_view("tenant.view")
def manage(tenant):
    return render_manage(tenant)


@bp.route("/manage/<slug>/children")
@tenant_view("tenant.view")
def tree_children(tenant):
    """A lazy tree node: one page of children, as an HTML fragment."""
    per_page = current_app.config["TENANT_TREE_PAGE"]
    last = max(1, -(-tenant.children_count // per_page))  # never past the last page (nor a huge offset)
    page = min(max(1, request.args.get("page", 1, type=int)), last)
    kids = services.children(db.session, tenant, include_archived=True, limit=per_page + 1,
                             offset=(page - 1) * per_page)
    return render_template("tenancy/_tree_nodes.html", tenant=tenant, children=kids[:per_page],
                           more=len(kids) > per_page, page=page)


def slug_preview():
    """``{slug}``: the link name a union called ``?name=`` would get (the create forms' preview)."""
    data = load(schemas.SlugQuerySchema(), {"name": request.args.get("name", "").strip()})
    return jsonify({"slug": services.suggest_slug(db.session, data["name"])})


@bp.route("/manage/<slug>/children/slug")
@tenant_view("tenant.create_child")
def child_slug(tenant):
    return slug_preview()


CREATE_FIELDS = ("slug", "name", "kind", "contact_name", "contact_phone", "contact_email", "address")
EDIT_FIELDS = ("name", "contact_name", "contact_phone", "contact_email", "address", "description")


@bp.route("/manage/<slug>/children/new", methods=["POST"])
@tenant_view("tenant.create_child")
@form_page(manage_form("create"))
def create_child(tenant):
    data = load_form(schemas.TenantCreateSchema(), request.form, CREATE_FIELDS)
    child = services.create_child(db.session, current_user, tenant, **data)
    flash(_("%(name)s was created.", name=child.name))
    return redirect(url_for("tenancy.manage", slug=tenant.slug))


@bp.route("/manage/<slug>/edit", methods=["POST"])
@tenant_view("tenant.edit")
@form_page(manage_form("edit"))
def edit(tenant):
    fields = EDIT_FIELDS + (("status",) if request.form.get("status") else ())
    data = load_form(schemas.TenantPatchSchema(), request.form, fields)
    services.update(db.session, current_user, tenant, data)
    flash(_("Saved."))
    return redirect(url_for("tenancy.manage", slug=tenant.slug))


@bp.route("/manage/<slug>/move", methods=["POST"])
@tenant_view("tenant.edit")
@form_page(manage_form("move"))
def move(tenant):
    data = load_form(schemas.MoveSchema(), request.form, ("parent",))
    services.move(db.session, current_user, tenant, lookups.move_target(data["parent"], tenant))
    flash(_("Moved."))
    return redirect(url_for("tenancy.manage", slug=tenant.slug))


@bp.route("/manage/<slug>/import", methods=["POST"])
@tenant_view("tenant.create_child")
@form_page(manage_form("import"), values=dict)
def import_children(tenant):
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ValidationFailed(errors={"file": [_("Choose a YAML file.")]})
    data = services.check_tree_upload(db.session, upload, tenant)
    record = jobs.submit(db.session, tasks.import_tree, tenant.id, data, owner=current_user, tenant=tenant)
    return redirect(url_for("core.job_page", job_id=record.id, back=url_for("tenancy.manage", slug=tenant.slug)))


@bp.route("/admin/federations/slug")
@operator_only
def federation_slug():
    return slug_preview()


@bp.route("/admin/federations", methods=["GET", "POST"])
@operator_only
def admin_federations():
    import sqlalchemy as sa

    from union_saas.access.services import appoint_first_admin
    from union_saas.accounts.services import get_by_username

    values, errors, detail, status = {}, {}, None, 200
    if request.method == "POST":
        values = request.form
        try:
            data = load_form(schemas.FederationCreateSchema(), request.form,
                             ("slug", "name", "admin_username", "contact_name", "contact_phone", "address"))
            admin = get_by_username(db.session, data.pop("admin_username"))
            tenant = services.create_federation(db.session, current_user, **data)
            appoint_first_admin(db.session, current_user, tenant, admin)
        except DomainError as error:
            db.session.rollback()
            errors, detail, status = error.errors, error.detail, error.status
            if status == 404:
                errors, status = {"admin_username": [_("No user with this name: ask them to register first.")]}, 422
        else:
            flash(_("%(name)s was created; %(user)s administers it.", name=tenant.name, user=admin.username))
            return redirect(url_for("tenancy.admin_federations"))
    federations = db.session.scalars(sa.select(Tenant).where(Tenant.parent_id.is_(None)).order_by(Tenant.name)).all()
    return render_template("tenancy/admin_federations.html", federations=federations, values=values,
                           errors=errors, detail=detail), status


sections.manage_tab("tenancy.manage", _l("Overview"), "tenant.view", 10)


def todos(tenant):
    """The to-do lines of ``tenant`` for the current user, counted once per request (the overview and the
    tabs' badges share them)."""
    cache = g.setdefault("manage_todos", {})
    if tenant.id not in cache:
        cache[tenant.id] = lookups.todo_docs(tenant, engine.permissions_at(current_user, tenant))
    return cache[tenant.id]


@bp.app_template_global()
def manage_tabs(tenant):
    """The tabs of ``tenant``'s management pages that the current user may open, with the count of what
    waits behind each (the to-do lines counted into it)."""
    held = engine.permissions_at(current_user, tenant)
    badges = {}
    for item in todos(tenant):
        if item["tab"]:
            badges[item["tab"]] = badges.get(item["tab"], 0) + item["count"]
    return [{"endpoint": tab.endpoint, "label": tab.label, "count": badges.get(tab.endpoint, 0)}
            for tab in sections.MANAGE_TABS if tab.permission in held and (tab.shown is None or tab.shown(tenant))]


@bp.app_template_global()
def tenant_ancestors(tenant):
    """Ancestors of ``tenant``, root first: the breadcrumb of management tabs whose view did not load them."""
    return services.ancestors(db.session, tenant)


@bp.app_template_global()
def manages_tenant(tenant):
    return engine.manages(current_user, tenant)
