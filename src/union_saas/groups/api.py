"""Groups and awards API (API.md, Interest groups and yearly awards)."""
from flask_login import current_user

from union_saas.access import engine, resources
from union_saas.access.guards import record_view, signed_in, tenant_public, tenant_view
from union_saas.activities.schemas import activity_doc
from union_saas.core import jobs
from union_saas.core.api import Blueprint
from union_saas.core.pagination import PageArgs, page_schema, paginate
from union_saas.core.qr import qr_svg
from union_saas.extensions import db
from union_saas.groups import lookups, schemas, services, tasks
from union_saas.groups.schemas import (
    member_doc,
    nomination_doc,
    result_docs,
    round_doc,
)
from union_saas.tenancy import services as tenancy

blp = Blueprint("groups_api", __name__, url_prefix="/api/v1", description="Interest groups and yearly awards")
G = "/groups/<int:group_id>"
R = "/award-rounds/<int:round_id>"


def one(group):
    return lookups.docs([group], current_user)[0]


# --- start, find, review ---------------------------------------------------------------------------

@blp.route("/tenants/<slug>/groups", methods=["POST"])
@blp.arguments(schemas.GroupCreateSchema)
@blp.response(201, schemas.GroupSchema)
@blp.alt_response(403, description="Neither an organiser (group.manage) nor a verified member there or below")
@blp.alt_response(409, description="A group of that name at this union")
@tenant_public(signed_in=True)
def create_group(data, tenant):
    """group.manage: an institutional group, active at once; a verified member: an individual group, pending."""
    return one(services.create_group(db.session, current_user, tenant, data))


@blp.route("/tenants/<slug>/groups", methods=["GET"])
@blp.arguments(schemas.OversightArgs, location="query")
@blp.response(200, page_schema(schemas.OversightSchema))
@tenant_view("group.manage")
def oversight(args, tenant):
    """Groups of this union's subtree with their last activity; ``inactive=1``: those flagged (90 days)."""
    page = paginate(db.session, services.oversight_stmt(tenant, status=args.get("status"), flagged=args["inactive"]),
                    args["page"], args["per_page"], scalars=False)
    groups = [row[0] for row in page.items]
    docs = lookups.docs(groups, current_user)
    return page.doc([{**doc, "last_activity_at": last, "inactive": services.is_flagged(g, last)}
                     for doc, (g, last) in zip(docs, page.items)])


@blp.route("/tenants/<slug>/group-reach-requests", methods=["GET"])
@blp.arguments(schemas.GroupReachListArgs, location="query")
@blp.response(200, page_schema(schemas.GroupSchema))
@blp.alt_response(404, description="Not a federation (a root), or the caller organises nothing there")
@tenant_view("group.manage")
def reach_requests(args, tenant):
    if not tenant.is_root:
        raise resources.miss()
    page = paginate(db.session, services.reach_requests_stmt(tenant, status=args["status"]), args["page"],
                    args["per_page"])
    return page.doc(lookups.docs(page.items, current_user))


@blp.route("/groups", methods=["GET"])
@blp.arguments(schemas.GroupListArgs, location="query")
@blp.response(200, page_schema(schemas.GroupSchema))
@blp.alt_response(404, description="No such union (the tenant filter)")
@signed_in
def list_groups(args):
    """The active groups visible to the caller (``tenant``: hosted there; ``joined=1``: mine)."""
    v = services.viewer(db.session, current_user)
    tenant = tenancy.get_by_slug(db.session, args["tenant"]) if args.get("tenant") else None
    stmt = services.list_stmt(v, tenant=tenant, joined=args["joined"], category=args.get("category"),
                              where=args["where"])
    page = paginate(db.session, stmt, args["page"], args["per_page"])
    return page.doc(lookups.docs(page.items, current_user))


@blp.route(G, methods=["GET"])
@blp.response(200, schemas.GroupDetailSchema)
@record_view("group")
def get_group(group):
    return {**one(group), "numbers": services.numbers(db.session, [group.id])[group.id]}


@blp.route(G, methods=["PATCH"])
@blp.arguments(schemas.GroupPatchSchema)
@blp.response(200, schemas.GroupSchema)
@blp.alt_response(403, description="Not an organiser")
@blp.alt_response(409, description="Archived or rejected; a group of that name exists")
@record_view("group")
def patch_group(data, group):
    return one(services.update_group(db.session, current_user, group, data))


@blp.route(G + "/cover", methods=["POST"])
@blp.arguments(schemas.GroupCoverSchema, location="files")
@blp.response(200, schemas.GroupSchema)
@blp.alt_response(403, description="Not an organiser")
@record_view("group")
def upload_cover(files, group):
    services.save_cover(db.session, current_user, group, files["file"])
    return one(group)


@blp.route(G + "/approve", methods=["POST"])
@blp.arguments(schemas.GroupReasonSchema)
@blp.response(200, schemas.GroupSchema)
@blp.alt_response(409, description="Decided already")
@record_view("group", "group.manage")
def approve(data, group):
    return one(services.decide(db.session, current_user, group, approve=True, reason=data.get("reason")))


@blp.route(G + "/reject", methods=["POST"])
@blp.arguments(schemas.GroupReasonSchema)
@blp.response(200, schemas.GroupSchema)
@blp.alt_response(409, description="Decided already")
@record_view("group", "group.manage")
def reject(data, group):
    return one(services.decide(db.session, current_user, group, approve=False, reason=data.get("reason")))


@blp.route(G + "/reach/approve", methods=["POST"])
@blp.arguments(schemas.GroupReasonSchema)
@blp.response(200, schemas.GroupSchema)
@blp.alt_response(409, description="Not pending")
@record_view("group")
def approve_reach(data, group):
    return one(services.decide_reach(db.session, current_user, group, approve=True, reason=data.get("reason")))


@blp.route(G + "/reach/reject", methods=["POST"])
@blp.arguments(schemas.GroupReasonSchema)
@blp.response(200, schemas.GroupSchema)
@blp.alt_response(409, description="Not pending")
@record_view("group")
def reject_reach(data, group):
    return one(services.decide_reach(db.session, current_user, group, approve=False, reason=data.get("reason")))


@blp.route(G + "/archive", methods=["POST"])
@blp.arguments(schemas.ArchiveSchema)
@blp.response(200, schemas.GroupSchema)
@blp.alt_response(409, description="Not active")
@record_view("group", "group.manage")
def archive(data, group):
    """Archive a group of the subtree; its organisers are told the reason."""
    return one(services.archive(db.session, current_user, group, data["reason"]))


# --- members ---------------------------------------------------------------------------------------

@blp.route(G + "/members", methods=["POST"])
@blp.arguments(schemas.GroupJoinSchema)
@blp.response(201, schemas.GroupJoinResultSchema)
@blp.alt_response(403, description="Invitation only")
@blp.alt_response(409, description="Already in, asked already, not active, or a share link used by someone else")
@blp.alt_response(422, description="A forged share link")
@record_view("group")
def join(data, group):
    """Join (open), ask to join (approval), accept an invitation (by name, or a share link's ``code``)."""
    row = services.join(db.session, current_user, group, code=data.get("code"))
    return {"status": row.status}


@blp.route(G + "/members", methods=["GET"])
@blp.arguments(schemas.MemberListArgs, location="query")
@blp.response(200, page_schema(schemas.GroupMemberSchema))
@blp.alt_response(403, description="Not an organiser")
@record_view("group")
def list_members(args, group):
    """The member list: its organisers only."""
    services.ensure_organiser(db.session, current_user, group)
    page = paginate(db.session, services.members_stmt(group, status=args.get("status")), args["page"],
                    args["per_page"])
    return page.doc([member_doc(r) for r in page.items])


@blp.route(G + "/members/<username>/approve", methods=["POST"])
@blp.response(200, schemas.GroupMemberSchema)
@blp.alt_response(403, description="Not an organiser")
@blp.alt_response(409, description="Not asking to join")
@record_view("group")
def approve_member(group, username):
    return member_doc(services.approve_member(db.session, current_user, group, username))


@blp.route(G + "/members/<username>/role", methods=["POST"])
@blp.arguments(schemas.GroupRoleSchema)
@blp.response(200, schemas.GroupMemberSchema)
@blp.alt_response(403, description="Not an organiser")
@blp.alt_response(409, description="Not a member")
@record_view("group")
def set_role(data, group, username):
    """Name a co-organiser (``organiser``), or make one a member again."""
    return member_doc(services.set_role(db.session, current_user, group, username, data["role"]))


@blp.route(G + "/members/me", methods=["DELETE"])
@blp.response(204)
@blp.alt_response(404, description="Not in the group")
@blp.alt_response(409, description="The founder stays")
@record_view("group")
def leave(group):
    services.leave(db.session, current_user, group)


@blp.route(G + "/members/<username>", methods=["DELETE"])
@blp.response(204)
@blp.alt_response(403, description="Not an organiser")
@blp.alt_response(409, description="The founder stays")
@record_view("group")
def remove_member(group, username):
    services.remove_member(db.session, current_user, group, username)


@blp.route(G + "/invitations", methods=["POST"])
@blp.arguments(schemas.GroupInviteSchema)
@blp.response(201, schemas.GroupInviteResultSchema)
@blp.alt_response(403, description="Not an organiser")
@blp.alt_response(409, description="In the group, asking or invited already")
@record_view("group")
def invite(data, group):
    """With ``username``: that person is invited (told in their inbox). Without: a share link, used once."""
    if data.get("username"):
        row = services.invite(db.session, current_user, group, data["username"])
        return {"user": row.user.username, "status": row.status}
    code = services.share_link(db.session, current_user, group)
    url = lookups.invite_url(group, code)
    return {"url": url, "code": code, "qr_svg": str(qr_svg(url))}


# --- activities ------------------------------------------------------------------------------------

@blp.route(G + "/activities", methods=["POST"])
@blp.arguments(schemas.ActivityCreateSchema)
@blp.response(201, schemas.ActivitySchema)
@blp.alt_response(403, description="Not an organiser")
@record_view("group")
def create_activity(data, group):
    """An activity of the group (every rule of activities): its members only, unless ``scope`` is given."""
    activity = services.create_activity(db.session, current_user, group, data)
    activity.tenant = group.tenant
    return activity_doc(activity)


@blp.route(G + "/activities", methods=["GET"])
@blp.arguments(schemas.GroupActivityArgs, location="query")
@blp.response(200, page_schema(schemas.ActivitySchema))
@record_view("group")
def list_activities(args, group):
    """The group's activities the caller may see (``upcoming``: 1 upcoming, 0 past, none both)."""
    v = services.viewer(db.session, current_user)
    stmt = services.activities_stmt(group, upcoming=args.get("upcoming")).where(services.activities.visible_clause(
        v, statuses=("published", "cancelled")))
    page = paginate(db.session, stmt, args["page"], args["per_page"])
    return page.doc([activity_doc(a) for a in page.items])


# --- awards ---------------------------------------------------------------------------------------

@blp.route("/tenants/<slug>/award-rounds", methods=["POST"])
@blp.arguments(schemas.RoundCreateSchema)
@blp.response(201, schemas.RoundSchema)
@tenant_view("group.manage")
def create_round(data, tenant):
    return round_doc(services.create_round(db.session, current_user, tenant, data))


@blp.route("/tenants/<slug>/award-rounds", methods=["GET"])
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(schemas.RoundSchema))
@tenant_public(signed_in=True)
def list_rounds(args, tenant):
    """The rounds of this union and the unions above it that the caller sees."""
    page = paginate(db.session, services.rounds_stmt(services.viewer(db.session, current_user), tenant),
                    args["page"], args["per_page"])
    return page.doc([round_doc(r) for r in page.items])


@blp.route(R, methods=["GET"])
@blp.response(200, schemas.RoundSchema)
@record_view("award_round")
def get_round(award_round):
    return round_doc(services.load_round(db.session, award_round.id))


@blp.route(R + "/jurors", methods=["POST"])
@blp.arguments(schemas.JurorInSchema)
@blp.response(201, schemas.JurorSchema)
@blp.alt_response(409, description="A juror already, or judging closed")
@record_view("award_round", "group.manage")
def add_juror(data, award_round):
    juror = services.add_juror(db.session, current_user, award_round, data["username"])
    return {"id": juror.id, "user": juror.user.username, "display_name": juror.user.display_name}


@blp.route(R + "/nominations", methods=["GET"])
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(schemas.NominationSchema))
@record_view("award_round")
def list_nominations(args, award_round):
    rnd = services.load_round(db.session, award_round.id)
    page = paginate(db.session, services.nominations_stmt(rnd), args["page"], args["per_page"])
    dossier = services.dossiers(db.session, rnd, [n.group_id for n in page.items])
    return page.doc([nomination_doc(n, dossier[n.group_id]) for n in page.items])


@blp.route(R + "/nominations", methods=["POST"])
@blp.arguments(schemas.NominationInSchema)
@blp.response(201, schemas.NominationSchema)
@blp.alt_response(403, description="Not an organiser of the group nor group.manage at the round's union")
@blp.alt_response(409, description="Nominated twice, or nominations closed")
@blp.alt_response(422, description="Wrong kind, outside the round's subtree, not active, unknown")
@record_view("award_round")
def nominate(data, award_round):
    rnd = services.load_round(db.session, award_round.id)
    nomination = services.nominate(db.session, current_user, rnd, data)
    return nomination_doc(nomination, services.dossiers(db.session, rnd, [nomination.group_id])[nomination.group_id])


@blp.route("/nominations/<int:nomination_id>/scores", methods=["POST"])
@blp.arguments(schemas.ScoreInSchema)
@blp.response(201, schemas.ScoreSchema)
@blp.alt_response(403, description="Not a juror of the round")
@blp.alt_response(409, description="Outside the judging window, or the juror belongs to the group")
@record_view("nomination")
def score(data, nomination):
    row = services.score(db.session, current_user, nomination, data)
    return {"nomination": nomination.id, "score": row.score, "comment": row.comment}


@blp.route(R + "/publish", methods=["POST"])
@blp.response(200, schemas.RoundSchema)
@blp.alt_response(409, description="Judging not closed, or published already")
@record_view("award_round", "group.manage")
def publish(award_round):
    rnd = services.load_round(db.session, award_round.id)
    services.publish(db.session, current_user, rnd)
    return round_doc(services.load_round(db.session, rnd.id))


@blp.route(R + "/results", methods=["GET"])
@blp.response(200, schemas.AwardResultsSchema)
@blp.alt_response(404, description="Not published (and the caller does not organise the round)")
@record_view("award_round")
def results(award_round):
    rnd = services.load_round(db.session, award_round.id)
    if rnd.published_at is None and not engine.can(current_user, services.MANAGE, rnd.tenant):
        raise resources.miss()
    return {"round": round_doc(rnd), "categories": result_docs(services.published_results(db.session, rnd))}


@blp.route(R + "/export", methods=["POST"])
@blp.response(202, schemas.JobAcceptedSchema)
@record_view("award_round", "group.manage")
def export(award_round):
    """The results and each juror's scores as .xlsx (a job; its file at /api/v1/jobs/<job>)."""
    record = jobs.submit(db.session, tasks.export_results, award_round.id, owner=current_user,
                         tenant=award_round.tenant)
    return {"job": record.id}
