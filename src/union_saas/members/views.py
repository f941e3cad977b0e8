"""Member pages: find and join a union, my page, follow, transfer; the directory and review in /manage."""

from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from union_saas.access import engine
from union_saas.access.guards import (
    public,
    record_view,
    tenant_public,
    tenant_view,
)
from union_saas.core import files, jobs
from union_saas.core.errors import DomainError, ValidationFailed
from union_saas.core.forms import form_page
from union_saas.core.pagination import paginate
from union_saas.core.qr import qr_svg
from union_saas.core.views import job_doc
from union_saas.core.web import safe_next, signing_key
from union_saas.extensions import db
from union_saas.members import poster as posters
from union_saas.members import schemas, services, tasks
from union_saas.members.models import STATUSES
from union_saas.tenancy import services as tenancy
from union_saas.tenancy.sections import manage_tab, section, todo

bp = Blueprint("members", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/members")

manage_tab("members.directory", _l("Members"), "member.view", 20)
todo("members.review", _l("Membership requests to review"), "member.review",
     lambda tenant: services.pending_count(db.session, tenant), "members.directory", 20,
     tab="members.directory", status="pending")

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


def render_join(tenant, *, values=None, errors=None, detail=None):
    current = services.current_of(db.session, current_user)
    return render_template("members/join.html", tenant=tenant, current=current,
                           ancestors=tenancy.ancestors(db.session, tenant),
                           values=values or {"phone": current_user.phone or ""}, errors=errors or {},
                           detail=detail)


def join_values():
    return {k: request.form.get(k, "") for k in JOIN_FIELDS}


@bp.route("/t/<slug>/join", methods=["GET"])
@tenant_public(signed_in=True)
def join_form(tenant):
    return render_join(tenant)


@bp.route("/t/<slug>/join", methods=["POST"])
@tenant_public(signed_in=True)
@form_page(render_join, values=join_values)
def join(tenant):
    m = services.join(db.session, current_user, tenant, **join_values())
    if m.status == "active":
        flash(_("Welcome to %(union)s: your name is on its roster, so you are a member now.", union=tenant.name))
    else:
        flash(_("Your application to %(union)s was sent. Its office will review it.", union=tenant.name))
    return redirect(url_for("members.me", slug=tenant.slug))


def render_transfer(tenant, *, values=None, errors=None, detail=None):
    return render_join(tenant, detail=detail or "; ".join(m for ms in (errors or {}).values() for m in ms))


@bp.route("/t/<slug>/transfer", methods=["POST"])
@tenant_public(signed_in=True)
@form_page(render_transfer)
def transfer(tenant):
    """Ask to move my active membership to ``slug``."""
    target = tenant
    active = [m for m in services.current_of(db.session, current_user) if m.status == "active"]
    if not active:
        raise ValidationFailed(_("You are not a member anywhere yet: join instead."))
    services.transfer(db.session, current_user, active[0], target)
    flash(_("Your transfer request was sent to %(union)s. You stay a member of %(old)s until it is approved.",
            union=target.name, old=active[0].tenant.name))
    return redirect(url_for("members.me", slug=target.slug))


@bp.route("/t/<slug>/withdraw", methods=["POST"])
@tenant_public(signed_in=True)
def withdraw(tenant):
    """Take back my pending request (shown on my page at ``slug``)."""
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
@tenant_public(signed_in=True)
def follow(tenant):
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
@tenant_public(signed_in=True)
def me(tenant):
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
    return services.directory_filters(request.args)


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


def member_page(member, *, full_id=None, reset_link=None, values=None, errors=None, detail=None):
    held = engine.permissions_at(current_user, member.tenant)
    return render_template("members/member.html", tenant=member.tenant, m=member, held=held, full_id=full_id,
                           reset_link=reset_link, reset_qr=qr_svg(reset_link["url"]) if reset_link else None,
                           ancestors=tenancy.ancestors(db.session, member.tenant), errors=errors or {},
                           detail=detail)


def back_to(m):
    """Where the review form came from (a local path only), else the pending list."""
    back = request.form.get("back")
    return redirect(safe_next(back) if back else url_for("members.directory", slug=m.tenant.slug, status="pending"))


@bp.route("/manage/members/<int:member_id>")
@record_view("member", "member.view")
def member(member):
    return member_page(member)


@bp.route("/manage/members/<int:member_id>/id-number", methods=["POST"])
@record_view("member", "member.view_sensitive")
def reveal(member):
    return member_page(member, full_id=services.reveal_id_number(db.session, current_user, member))


@bp.route("/manage/members/<int:member_id>/reset-link", methods=["POST"])
@record_view("member", "member.review")
def reset_link(member):
    """A one-time link for a member who came to the office and cannot sign in: shown once, as a QR to scan."""
    token, expires_at = services.issue_reset_link(db.session, signing_key(), current_user, member)
    return member_page(member, reset_link={"url": url_for("accounts.reset_by_link", token=token, _external=True),
                                           "expires_at": expires_at})


@bp.route("/manage/members/<int:member_id>/approve", methods=["POST"])
@record_view("member", "member.review")
@form_page(member_page)
def approve(member):
    m = member
    services.approve(db.session, current_user, m)
    flash(_("%(name)s is now a member of %(union)s.", name=m.real_name or m.user.display_name, union=m.tenant.name))
    return back_to(m)


@bp.route("/manage/members/<int:member_id>/reject", methods=["POST"])
@record_view("member", "member.review")
@form_page(member_page)
def reject(member):
    m = member
    reason = request.form.get("reason", "").strip()
    if len(reason) > 500:
        raise ValidationFailed(errors={"reason": [_("At most 500 characters.")]})
    services.reject(db.session, current_user, m, reason)
    flash(_("The application of %(name)s was declined.", name=m.real_name or m.user.display_name))
    return back_to(m)


# --- jobs: export, roster import, and their files -------------------------------------------------------

@bp.route("/manage/<slug>/members/export", methods=["POST"])
@tenant_view("member.view")
def export(tenant):
    try:
        filters = services.export_filters(db.session, tenant, request.args)
    except DomainError as error:
        flash(error.errors.get("union", [error.detail])[0], "error")
        return redirect(url_for("members.directory", slug=tenant.slug))
    job = jobs.submit(db.session, tasks.export_members, tenant.id, filters, str(get_locale()),
                      owner=current_user, tenant=tenant)
    return redirect(url_for("members.job_page", slug=tenant.slug, job_id=job.id))


@bp.route("/manage/<slug>/members/jobs/<job_id>")
@tenant_view("member.view", record="job")
def job_page(tenant, job):
    doc = job_doc(job)
    kind = doc["kind"]
    back = url_for("members.roster", slug=tenant.slug) if kind == "import_roster" else url_for(
        "members.directory", slug=tenant.slug)
    return render_template("members/job.html", tenant=tenant, job=doc, back=back,
                           ancestors=tenancy.ancestors(db.session, tenant))


@bp.route("/manage/<slug>/members/files/<int:file_id>")
@tenant_view("member.view", record="member_file")
def download(tenant, member_file):
    return files.send(member_file.file)


@bp.route("/manage/<slug>/roster", methods=["GET"])
@tenant_view("member.import")
def roster(tenant):
    return render_roster(tenant)


def render_roster(tenant, *, values=None, errors=None, detail=None):
    return render_template("members/roster.html", tenant=tenant, stats=services.roster_stats(db.session, tenant),
                           ancestors=tenancy.ancestors(db.session, tenant), errors=errors or {},
                           detail=detail)


@bp.route("/manage/<slug>/roster", methods=["POST"])
@tenant_view("member.import")
@form_page(render_roster)
def upload_roster(tenant):
    record = services.submit_roster(db.session, current_user, tenant, request.files.get("file"), str(get_locale()))
    return redirect(url_for("members.job_page", slug=tenant.slug, job_id=record.id))


manage_tab("members.roster", _l("Roster"), "member.import", 25)


@bp.route("/manage/<slug>/poster.png")
@tenant_view("tenant.view")
def poster(tenant):
    return posters.join_poster(tenant)
