"""Member pages: find and join a union, my page, follow, transfer; the directory and review in /manage."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from union_saas.access import engine
from union_saas.access.guards import (
    public,
    record_view,
    require,
    require_visible,
    signed_in,
    tenant_view,
)
from union_saas.core import jobs
from union_saas.core.errors import DomainError, NotFound, ValidationFailed
from union_saas.core.pagination import paginate
from union_saas.core.web import safe_next
from union_saas.extensions import db
from union_saas.members import crypto, files, schemas, services, tasks
from union_saas.members.models import STATUSES
from union_saas.tenancy import services as tenancy
from union_saas.tenancy.sections import manage_tab, section

bp = Blueprint("members", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/members")
bp.record_once(lambda state: crypto.init_app(state.app))  # no PII key in production: no start

manage_tab("members.directory", _l("Members"), "member.view", 20)

JOIN_FIELDS = ("real_name", "id_number", "phone")


@bp.app_template_global()
def member_status_label(status):
    return schemas.STATUS_LABELS.get(status, status)


@bp.app_template_global()
def member_kind_label(kind):
    return schemas.KIND_LABELS.get(kind, kind)


@section("members", 5, "members/_section.html")
def home_section(tenant, user):
    """Members and followers, counted apart; join, follow and my-page buttons (three queries)."""
    signed = getattr(user, "is_authenticated", False)
    current = services.current_of(db.session, user) if signed else []
    return {"counts": services.tenant_counts(db.session, tenant),
            "following": services.is_following(db.session, user, tenant) if signed else False,
            "current": current, "joinable": tenant.kind in services.JOINABLE_KINDS}


def visible(slug):
    return require_visible(tenancy.get_by_slug(db.session, slug))


@bp.route("/join")
@public
def find():
    query = request.args.get("q", "").strip()[:60]
    results = services.find_unions(db.session, query)
    parents = {t.id: t for t in tenancy_by_ids({r.parent_id for r in results if r.parent_id})}
    return render_template("members/find.html", query=query, results=results, parents=parents)


def tenancy_by_ids(ids):
    import sqlalchemy as sa

    from union_saas.tenancy.models import Tenant

    return db.session.scalars(sa.select(Tenant).where(Tenant.id.in_(ids))).all() if ids else []


def render_join(tenant, *, values=None, errors=None, detail=None, status=200):
    current = services.current_of(db.session, current_user)
    return render_template("members/join.html", tenant=tenant, current=current,
                           ancestors=tenancy.ancestors(db.session, tenant),
                           values=values or {"phone": current_user.phone or ""}, errors=errors or {},
                           detail=detail), status


@bp.route("/t/<slug>/join", methods=["GET"])
@signed_in
def join_form(slug):
    return render_join(visible(slug))


@bp.route("/t/<slug>/join", methods=["POST"])
@signed_in
def join(slug):
    tenant = visible(slug)
    values = {k: request.form.get(k, "") for k in JOIN_FIELDS}
    try:
        m = services.join(db.session, current_user, tenant, **values)
    except DomainError as error:
        db.session.rollback()
        return render_join(tenant, values=values, errors=error.errors, detail=error.detail, status=error.status)
    if m.status == "active":
        flash(_("Welcome to %(union)s: your name is on its roster, so you are a member now.", union=tenant.name))
    else:
        flash(_("Your application to %(union)s was sent. Its office will review it.", union=tenant.name))
    return redirect(url_for("members.me", slug=tenant.slug))


@bp.route("/t/<slug>/transfer", methods=["POST"])
@signed_in
def transfer(slug):
    """Ask to move my active membership to ``slug``."""
    target = visible(slug)
    active = [m for m in services.current_of(db.session, current_user) if m.status == "active"]
    try:
        if not active:
            raise ValidationFailed(_("You are not a member anywhere yet: join instead."))
        services.transfer(db.session, current_user, active[0], target)
    except DomainError as error:
        db.session.rollback()
        return render_join(target, detail=error.detail or "; ".join(m for ms in error.errors.values() for m in ms),
                           status=error.status)
    flash(_("Your transfer request was sent to %(union)s. You stay a member of %(old)s until it is approved.",
            union=target.name, old=active[0].tenant.name))
    return redirect(url_for("members.me", slug=target.slug))


@bp.route("/t/<slug>/withdraw", methods=["POST"])
@signed_in
def withdraw(slug):
    """Take back my pending request (shown on my page at ``slug``)."""
    tenant = visible(slug)
    pending = [m for m in services.current_of(db.session, current_user) if m.status == "pending"]
    if pending:
        try:
            services.withdraw(db.session, current_user, pending[0])
        except DomainError as error:
            db.session.rollback()
            flash(error.detail, "error")
        else:
            flash(_("Your request to %(union)s was withdrawn.", union=pending[0].tenant.name))
    return redirect(url_for("members.me", slug=tenant.slug))


@bp.route("/t/<slug>/follow", methods=["POST"])
@signed_in
def follow(slug):
    tenant = visible(slug)
    if request.form.get("action") == "unfollow":
        services.unfollow(db.session, current_user, tenant)
        flash(_("You no longer follow %(union)s.", union=tenant.name))
    else:
        services.follow(db.session, current_user, tenant)
        flash(_("You follow %(union)s: its open activities and news reach you.", union=tenant.name))
    back = request.form.get("back")
    return redirect(url_for("members.me", slug=tenant.slug) if back == "me" else url_for("tenancy.public_home",
                                                                                        slug=tenant.slug))


@bp.route("/t/<slug>/me")
@signed_in
def me(slug):
    tenant = visible(slug)
    history = services.history(db.session, current_user)
    active = next((m for m in history if m.status == "active"), None)
    pending = next((m for m in history if m.status == "pending"), None)
    here = next((m for m in history if m.tenant_id == tenant.id), None)
    return render_template("members/me.html", tenant=tenant, history=history, active=active, pending=pending,
                           here=here, follows=services.follows(db.session, current_user),
                           following=services.is_following(db.session, current_user, tenant),
                           joinable=tenant.kind in services.JOINABLE_KINDS)


# --- management ----------------------------------------------------------------------------------------

def directory_args():
    return directory_args_from(request.args)


def directory_args_from(args):
    status = args.get("status") if args.get("status") in STATUSES else None
    verified = {"yes": True, "no": False}.get(args.get("verified"))
    return {"subtree": args.get("include") == "subtree", "status": status, "verified": verified,
            "q": args.get("q", "").strip()[:60] or None, "union": args.get("union", "").strip() or None,
            "page": max(1, args.get("page", 1, type=int))}


@bp.route("/manage/<slug>/members")
@tenant_view("member.view")
def directory(tenant):
    filters = directory_args()
    union = None
    if filters["union"]:
        try:
            union = tenancy.get_by_slug(db.session, filters["union"])
        except DomainError:
            union = None
        if union is None or not union.is_in_subtree_of(tenant):
            flash(_("No union of this subtree has the address %(slug)s.", slug=filters["union"]), "error")
            union = None
    stmt = services.directory_stmt(tenant, subtree=filters["subtree"], status=filters["status"], union=union,
                                   verified=filters["verified"], q=filters["q"])
    page = paginate(db.session, stmt, filters["page"], 50)
    held = engine.permissions_at(current_user, tenant)
    return render_template("members/directory.html", tenant=tenant, page=page, filters=filters, union=union,
                           children=services.child_counts(db.session, tenant),
                           counts=services.own_counts(db.session, tenant, subtree=filters["subtree"]),
                           held=held, ancestors=tenancy.ancestors(db.session, tenant), statuses=STATUSES)


def member_page(m, *, full_id=None, errors=None, detail=None, status=200):
    held = engine.permissions_at(current_user, m.tenant)
    return render_template("members/member.html", tenant=m.tenant, m=m, held=held, full_id=full_id,
                           ancestors=tenancy.ancestors(db.session, m.tenant), errors=errors or {},
                           detail=detail), status


def back_to(m):
    """Where the review form came from (a local path only), else the pending list."""
    back = request.form.get("back")
    return redirect(safe_next(back) if back else url_for("members.directory", slug=m.tenant.slug, status="pending"))


def load(member_id, permission):
    m = services.get_membership(db.session, member_id)
    require(permission, m.tenant)
    return m


@bp.route("/manage/members/<int:member_id>")
@record_view("member.view")
def member(member_id):
    return member_page(load(member_id, "member.view"))


@bp.route("/manage/members/<int:member_id>/id-number", methods=["POST"])
@record_view("member.view_sensitive")
def reveal(member_id):
    m = load(member_id, "member.view_sensitive")
    return member_page(m, full_id=services.reveal_id_number(db.session, current_user, m))


@bp.route("/manage/members/<int:member_id>/approve", methods=["POST"])
@record_view("member.review")
def approve(member_id):
    m = load(member_id, "member.review")
    try:
        services.approve(db.session, current_user, m)
    except DomainError as error:
        db.session.rollback()
        return member_page(services.get_membership(db.session, member_id), detail=error.detail, status=error.status)
    flash(_("%(name)s is now a member of %(union)s.", name=m.real_name or m.user.display_name, union=m.tenant.name))
    return back_to(m)


@bp.route("/manage/members/<int:member_id>/reject", methods=["POST"])
@record_view("member.review")
def reject(member_id):
    m = load(member_id, "member.review")
    reason = request.form.get("reason", "").strip()
    try:
        if len(reason) > 500:
            raise ValidationFailed(errors={"reason": [_("At most 500 characters.")]})
        services.reject(db.session, current_user, m, reason)
    except DomainError as error:
        db.session.rollback()
        return member_page(services.get_membership(db.session, member_id), errors=error.errors,
                           detail=error.detail, status=error.status)
    flash(_("The application of %(name)s was declined.", name=m.real_name or m.user.display_name))
    return back_to(m)


# --- jobs: export, roster import, and their files -------------------------------------------------------

def export_filters(tenant, args):
    """The directory's filters as plain data for the export job."""
    filters = directory_args_from(args)
    union_id = None
    if filters["union"]:
        try:
            union = tenancy.get_by_slug(db.session, filters["union"])
        except DomainError:
            union = None
        if union is None or not union.is_in_subtree_of(tenant):
            raise ValidationFailed(errors={"union": [_("Not a union of this subtree.")]})
        union_id = union.id
    return {"subtree": filters["subtree"], "status": filters["status"], "verified": filters["verified"],
            "q": filters["q"], "union": union_id}


@bp.route("/manage/<slug>/members/export", methods=["POST"])
@tenant_view("member.view")
def export(tenant):
    try:
        filters = export_filters(tenant, request.args)
    except DomainError as error:
        flash(error.errors.get("union", [error.detail])[0], "error")
        return redirect(url_for("members.directory", slug=tenant.slug))
    job = jobs.submit(db.session, tasks.export_members, tenant.id, filters, str(get_locale()),
                      owner=current_user, tenant=tenant)
    return redirect(url_for("members.job_page", slug=tenant.slug, job_id=job.id))


def own_tenant_job(tenant, job_id):
    from union_saas.core.views import own_job

    record = own_job(job_id)
    if record.tenant_id != tenant.id:
        raise NotFound(_("No such job."))
    return record


@bp.route("/manage/<slug>/members/jobs/<job_id>")
@tenant_view("member.view")
def job_page(tenant, job_id):
    from union_saas.core.views import job_doc

    record = own_tenant_job(tenant, job_id)
    doc = job_doc(record)
    kind = doc["kind"]
    back = url_for("members.roster", slug=tenant.slug) if kind == "import_roster" else url_for(
        "members.directory", slug=tenant.slug)
    return render_template("members/job.html", tenant=tenant, job=doc, back=back,
                           ancestors=tenancy.ancestors(db.session, tenant))


def own_file(tenant, file_id):
    from union_saas.members.models import MemberFile

    row = db.session.get(MemberFile, file_id)
    if row is None or row.tenant_id != tenant.id or row.owner_id != current_user.id or row.kind == "upload" \
            or row.created_at < jobs.file_expiry_cutoff():
        raise NotFound(_("No such file."))
    if row.kind == "report":
        require("member.import", tenant)
    return row


def send_member_file(row):
    import io

    from flask import send_file

    return send_file(io.BytesIO(files.content_of(row)), mimetype=files.XLSX, as_attachment=True,
                     download_name=row.filename, max_age=0)


@bp.route("/manage/<slug>/members/files/<int:file_id>")
@tenant_view("member.view")
def download(tenant, file_id):
    return send_member_file(own_file(tenant, file_id))


@bp.route("/manage/<slug>/roster", methods=["GET"])
@tenant_view("member.import")
def roster(tenant):
    return render_roster(tenant)


def render_roster(tenant, errors=None, detail=None, status=200):
    return render_template("members/roster.html", tenant=tenant, stats=services.roster_stats(db.session, tenant),
                           ancestors=tenancy.ancestors(db.session, tenant), errors=errors or {},
                           detail=detail), status


def submit_roster(tenant, storage):
    """Check the upload now (size, type, zip bomb, header), keep it encrypted, and start the import job."""
    from union_saas.members import roster as rosters

    if storage is None or not storage.filename:
        raise ValidationFailed(errors={"file": [_("Choose an .xlsx or .csv file.")]})
    kind = rosters.kind_of(storage.filename)
    raw = rosters.read_upload(storage)
    rosters.inspect(raw, kind)
    upload = files.store(db.session, kind="upload", tenant_id=tenant.id, owner_id=current_user.id, job_id=None,
                         filename=f"roster.{kind}", content=raw)
    record = jobs.submit(db.session, tasks.import_roster, tenant.id, upload.id, str(get_locale()),
                         owner=current_user, tenant=tenant)
    upload.job_id = record.id
    return record


@bp.route("/manage/<slug>/roster", methods=["POST"])
@tenant_view("member.import")
def upload_roster(tenant):
    try:
        record = submit_roster(tenant, request.files.get("file"))
    except DomainError as error:
        db.session.rollback()
        return render_roster(tenant, errors=error.errors, detail=error.detail, status=error.status)
    return redirect(url_for("members.job_page", slug=tenant.slug, job_id=record.id))


manage_tab("members.roster", _l("Roster"), "member.import", 25)


def poster_png(tenant):
    from flask import make_response

    from union_saas.members import poster

    png = poster.render(tenant.name, url_for("members.join_form", slug=tenant.slug, _external=True),
                        headline=_("Join the union"), invite=_("Scan to join %(union)s", union=tenant.name),
                        steps=_("Sign in or register, fill in your real name, ID number and mobile number: "
                                "it takes a minute."))
    response = make_response(png)
    response.mimetype = "image/png"
    response.headers["Content-Disposition"] = f'inline; filename="join-{tenant.slug}.png"'
    return response


@bp.route("/manage/<slug>/poster.png")
@tenant_view("tenant.view")
def poster(tenant):
    return poster_png(tenant)
