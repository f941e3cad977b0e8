"""Membership API (API.md, Membership and real-name verification)."""
from flask import url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from union_saas.access import engine
from union_saas.access.guards import (
    record_view,
    require,
    require_visible,
    signed_in,
    tenant_public,
    tenant_view,
)
from union_saas.accounts.schemas import ResetLinkSchema
from union_saas.accounts.services import ME_FIELDS
from union_saas.core import files, jobs
from union_saas.core.api import Blueprint
from union_saas.core.errors import Forbidden, NotFound, ValidationFailed
from union_saas.core.pagination import page_schema, paginate
from union_saas.core.web import signing_key
from union_saas.extensions import db
from union_saas.members import poster as posters
from union_saas.members import schemas, services, tasks
from union_saas.tenancy.services import get_by_slug

blp = Blueprint("members_api", __name__, url_prefix="/api/v1", description="Membership, transfers, followers")

ME_FIELDS["membership"] = lambda user: services.brief(db.session, user)


def status_doc(m):
    return {"id": m.id, "status": m.status, "tenant": m.tenant.slug}


def visible_tenant(slug):
    return require_visible(get_by_slug(db.session, slug))


def target_tenant(slug, field="tenant"):
    """A union named in a body: unknown and invisible answer the same 422."""
    try:
        return visible_tenant(slug)
    except NotFound:
        raise ValidationFailed(errors={field: [_("No union has this address.")]}) from None


@blp.route("/tenants/<slug>/membership", methods=["POST"])
@blp.arguments(schemas.JoinSchema)
@blp.response(201, schemas.StatusSchema)
@blp.alt_response(409, description="Already a member somewhere (transfer instead), or a request is pending")
@blp.alt_response(422, description="Bad ID number (check digit, birth date), phone or name")
@tenant_public(signed_in=True)
def join(data, tenant):
    return status_doc(services.join(db.session, current_user, tenant, **data))


@blp.route("/tenants/<slug>/members", methods=["GET"])
@blp.arguments(schemas.MemberListArgs, location="query")
@blp.response(200, page_schema(schemas.MemberSchema))
@tenant_view("member.view")
def list_members(args, tenant):
    union = None
    if args.get("union"):
        union = target_tenant(args["union"], "union")
        if not union.is_in_subtree_of(tenant):
            raise ValidationFailed(errors={"union": [_("Not a union of this subtree.")]})
    stmt = services.directory_stmt(tenant, subtree=args.get("include") == "subtree", status=args.get("status"),
                                   union=union, verified=args.get("verified"), q=args.get("q"))
    page = paginate(db.session, stmt, args["page"], args["per_page"])
    return page.doc([schemas.member_doc(m) for m in page.items])


@blp.route("/tenants/<slug>/members/counts", methods=["GET"])
@blp.response(200, schemas.CountsSchema)
@tenant_view("member.view")
def member_counts(tenant):
    children = services.child_counts(db.session, tenant)
    return {"tenant": tenant.slug, "own": services.own_counts(db.session, tenant),
            "subtree": services.own_counts(db.session, tenant, subtree=True),
            "children": [{"tenant": c["tenant"].slug, "name": c["tenant"].name, "active": c["active"],
                          "pending": c["pending"]} for c in children]}


@blp.route("/members/<int:member_id>", methods=["GET"])
@blp.response(200, schemas.MemberSchema)
@blp.alt_response(404, description="No such member, or not visible")
@record_view("member", "member.view")
def get_member(member):
    return schemas.member_doc(member)


@blp.route("/members/<int:member_id>/id-number", methods=["GET"])
@blp.response(200, schemas.SensitiveSchema)
@blp.alt_response(403, description="member.view_sensitive is needed")
@record_view("member", "member.view_sensitive")
def reveal_id_number(member):
    m = member
    return {"id": m.id, "id_number": services.reveal_id_number(db.session, current_user, m)}


@blp.route("/members/<int:member_id>/approve", methods=["POST"])
@blp.arguments(schemas.DecisionSchema)
@blp.response(200, schemas.MemberSchema)
@blp.alt_response(409, description="Already decided")
@record_view("member", "member.review")
def approve(data, member):
    m = member
    services.approve(db.session, current_user, m)
    return schemas.member_doc(services.get_membership(db.session, m.id))


@blp.route("/members/<int:member_id>/reject", methods=["POST"])
@blp.arguments(schemas.DecisionSchema)
@blp.response(200, schemas.MemberSchema)
@blp.alt_response(409, description="Already decided")
@record_view("member", "member.review")
def reject(data, member):
    m = member
    services.reject(db.session, current_user, m, data.get("reason"))
    return schemas.member_doc(services.get_membership(db.session, m.id))


@blp.route("/members/<int:member_id>/password-reset-link", methods=["POST"])
@blp.response(201, ResetLinkSchema)
@blp.alt_response(403, description="member.review is needed at the member's union")
@record_view("member", "member.review")
def password_reset_link(member):
    """A one-time link (an hour) for a member at the office who cannot sign in; audited."""
    token, expires_at = services.issue_reset_link(db.session, signing_key(), current_user, member)
    return {"url": url_for("accounts.reset_by_link", token=token, _external=True), "expires_at": expires_at}


def transfer_as_caller(user, m, target):
    """The member asks (pending at the target); a reviewer at both ends moves them at once."""
    reviews_here = engine.can(user, "member.review", m.tenant)
    if m.user_id != user.id and not reviews_here:
        require("member.review", m.tenant, user=user)  # 404 or 403, as for any record
    if reviews_here and engine.can(user, "member.review", target):
        return services.transfer(db.session, user, m, target, direct=True)
    if m.user_id == user.id:
        return services.transfer(db.session, user, m, target)
    raise Forbidden(_("Moving a member needs review rights at the target union too."))


@blp.route("/members/<int:member_id>/transfer", methods=["POST"])
@blp.arguments(schemas.TransferSchema)
@blp.response(200, schemas.StatusSchema)
@blp.alt_response(409, description="Not active, or a request is already pending")
@blp.alt_response(422, description="Unknown target union")
@record_view("membership")
def transfer(data, membership):
    user = current_user._get_current_object()
    new = transfer_as_caller(user, membership, target_tenant(data["tenant"]))
    return status_doc(services.get_membership(db.session, new.id))


@blp.route("/members/<int:member_id>/withdraw", methods=["POST"])
@blp.response(200, schemas.StatusSchema)
@blp.alt_response(404, description="No such request of the caller's")
@blp.alt_response(409, description="Already decided")
@record_view("membership")
def withdraw(membership):
    services.withdraw(db.session, current_user, membership)
    return status_doc(services.get_membership(db.session, membership.id))


@blp.route("/me/memberships", methods=["GET"])
@blp.response(200, schemas.MyMembershipListSchema)
@signed_in
def my_memberships():
    return {"items": [schemas.my_doc(m) for m in services.history(db.session, current_user)]}


def follow_doc(tenant, following):
    counts = services.tenant_counts(db.session, tenant)
    return {"tenant": tenant.slug, "following": following, **counts}


@blp.route("/tenants/<slug>/follow", methods=["POST"])
@blp.response(201, schemas.FollowSchema)
@blp.alt_response(200, schema=schemas.FollowSchema, description="Already followed")
@tenant_public(signed_in=True)
def follow(tenant):
    created = services.follow(db.session, current_user, tenant)
    return follow_doc(tenant, True), 201 if created else 200


@blp.route("/tenants/<slug>/follow", methods=["DELETE"])
@blp.response(204)
@tenant_public(signed_in=True)
def unfollow(tenant):
    services.unfollow(db.session, current_user, tenant)


@blp.route("/me/follows", methods=["GET"])
@blp.response(200, schemas.FollowListSchema)
@signed_in
def my_follows():
    rows = services.follows(db.session, current_user)
    return {"items": [{"tenant": f.tenant.slug, "name": f.tenant.name, "followed_at": f.created_at} for f in rows]}


@blp.route("/tenants/<slug>/members/export", methods=["POST"])
@blp.arguments(schemas.ExportSchema)
@blp.response(202, schemas.JobAcceptedSchema)
@tenant_view("member.view")
def export(data, tenant):
    args = {k: v for k, v in data.items() if v is not None}
    if "verified" in args:
        args["verified"] = "yes" if args["verified"] else "no"
    filters = services.export_filters(db.session, tenant, MultiDict(args))
    record = jobs.submit(db.session, tasks.export_members, tenant.id, filters, str(get_locale()),
                      owner=current_user, tenant=tenant)
    return {"job": record.id}


@blp.route("/tenants/<slug>/members/files/<int:file_id>", methods=["GET"])
@blp.response(200, description="The .xlsx file", content_type="application/vnd.openxmlformats-officedocument"
                                                            ".spreadsheetml.sheet")
@blp.alt_response(404, description="No such file, or made for someone else")
@tenant_view("member.view", record="member_file")
def download(tenant, member_file):
    return files.send(member_file.file)


@blp.route("/tenants/<slug>/roster", methods=["POST"])
@blp.arguments(schemas.UploadSchema, location="files")
@blp.response(202, schemas.JobAcceptedSchema)
@blp.alt_response(422, description="Not .xlsx or .csv, too large, a zip bomb, or a wrong header row")
@tenant_view("member.import")
def upload_roster(upload, tenant):
    return {"job": services.submit_roster(db.session, current_user, tenant, upload["file"], str(get_locale())).id}


@blp.route("/tenants/<slug>/poster.png", methods=["GET"])
@blp.response(200, description="A printable A4 PNG poster with the QR code of the union's join link",
              content_type="image/png")
@tenant_view("tenant.view")
def poster(tenant):
    return posters.join_poster(tenant)
