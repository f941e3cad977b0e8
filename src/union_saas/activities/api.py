"""Activities API (API.md, Activities and sign-up)."""
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user

from union_saas.access import engine, resources
from union_saas.access.guards import record_view, signed_in, tenant_view
from union_saas.activities import schemas, services, tasks
from union_saas.activities.schemas import activity_doc, signup_doc
from union_saas.core import jobs
from union_saas.core.api import Blueprint
from union_saas.core.errors import Forbidden
from union_saas.core.pagination import PageArgs, page_schema, paginate
from union_saas.core.web import signing_key
from union_saas.extensions import db
from union_saas.tenancy import services as tenancy

blp = Blueprint("activities_api", __name__, url_prefix="/api/v1", description="Activities and sign-up")


# --- publish, edit, cancel -----------------------------------------------------------------------

@blp.route("/tenants/<slug>/activities", methods=["POST"])
@blp.arguments(schemas.ActivityCreateSchema)
@blp.response(201, schemas.ActivitySchema)
@blp.alt_response(422, description="End before start, capacity < 1, a scope wider than the publisher may use, HTML")
@tenant_view("activity.manage")
def create_activity(data, tenant):
    activity = services.create_activity(db.session, current_user, tenant, data)
    activity.tenant = tenant
    return activity_doc(activity)


@blp.route("/tenants/<slug>/activities", methods=["GET"])
@blp.arguments(schemas.ManageListArgs, location="query")
@blp.response(200, page_schema(schemas.ActivitySchema))
@tenant_view("activity.manage")
def list_managed(args, tenant):
    """Activities of this union and every union below it, drafts and cancelled ones included."""
    page = paginate(db.session, services.manage_stmt(tenant, status=args.get("status")), args["page"],
                    args["per_page"])
    return page.doc([activity_doc(a) for a in page.items])


@blp.route("/activities/<int:activity_id>", methods=["PATCH"])
@blp.arguments(schemas.ActivityPatchSchema)
@blp.response(200, schemas.ActivitySchema)
@blp.alt_response(409, description="Cancelled already")
@record_view("activity", services.MANAGE)
def patch_activity(data, activity):
    tenant = activity.tenant
    activity = services.update_activity(db.session, current_user, activity, data)
    activity.tenant = tenant
    return activity_doc(activity)


@blp.route("/activities/<int:activity_id>/publish", methods=["POST"])
@blp.response(200, schemas.ActivitySchema)
@blp.alt_response(409, description="Not a draft")
@record_view("activity", services.MANAGE)
def publish_activity(activity):
    return activity_doc(services.publish(db.session, current_user, activity))


@blp.route("/activities/<int:activity_id>/cancel", methods=["POST"])
@blp.response(200, schemas.ActivitySchema)
@blp.alt_response(409, description="Cancelled already")
@record_view("activity", services.MANAGE)
def cancel_activity(activity):
    tenant = activity.tenant
    services.cancel(db.session, current_user, activity)
    activity.tenant = tenant
    return activity_doc(activity)


@blp.route("/activities/<int:activity_id>/cover", methods=["POST"])
@blp.arguments(schemas.CoverSchema, location="files")
@blp.response(200, schemas.ActivitySchema)
@record_view("activity", services.MANAGE)
def upload_cover(files, activity):
    services.save_cover(db.session, current_user, activity, files["file"])
    return activity_doc(activity)


# --- federation-wide reach ----------------------------------------------------------------------

@blp.route("/tenants/<slug>/reach-requests", methods=["GET"])
@blp.arguments(schemas.ReachListArgs, location="query")
@blp.response(200, page_schema(schemas.ActivitySchema))
@blp.alt_response(404, description="Not a federation (a root), or the caller organises nothing there")
@tenant_view("activity.manage")
def reach_requests(args, tenant):
    """The activities of the federation that ask to reach all of it, oldest first (``status``: pending)."""
    if not tenant.is_root:
        raise resources.miss()
    page = paginate(db.session, services.reach_requests_stmt(tenant, status=args["status"]), args["page"],
                    args["per_page"])
    return page.doc([activity_doc(a) for a in page.items])


@blp.route("/activities/<int:activity_id>/reach/approve", methods=["POST"])
@blp.arguments(schemas.ReachDecisionSchema)
@blp.response(200, schemas.ActivitySchema)
@blp.alt_response(409, description="Not pending (decided already, or never asked)")
@record_view("activity")
def approve_reach(data, activity):
    """It reaches the whole federation from now on; its publisher is told."""
    return activity_doc(services.decide_reach(db.session, current_user, activity, approve=True,
                                              reason=data.get("reason")))


@blp.route("/activities/<int:activity_id>/reach/reject", methods=["POST"])
@blp.arguments(schemas.ReachDecisionSchema)
@blp.response(200, schemas.ActivitySchema)
@blp.alt_response(409, description="Not pending (decided already, or never asked)")
@record_view("activity")
def reject_reach(data, activity):
    """It stays with its union's subtree; its publisher is told why."""
    return activity_doc(services.decide_reach(db.session, current_user, activity, approve=False,
                                              reason=data.get("reason")))


# --- find ----------------------------------------------------------------------------------------

@blp.route("/activities", methods=["GET"])
@blp.arguments(schemas.ListArgs, location="query")
@blp.response(200, page_schema(schemas.ActivitySchema))
@blp.alt_response(404, description="No such union (the tenant filter)")
@signed_in
def list_activities(args):
    """The activities visible to the caller, soonest first (upcoming only unless upcoming=0)."""
    viewer = services.viewer(db.session, current_user)
    root_id = tenancy.get_by_slug(db.session, args["tenant"]).root_id if args.get("tenant") else None
    stmt = services.feed_stmt(viewer, upcoming=args["upcoming"], category=args.get("category"),
                              where=args["where"], root_id=root_id)
    page = paginate(db.session, stmt, args["page"], args["per_page"])
    mine = services.my_signups(db.session, current_user, [a.id for a in page.items])
    return page.doc([activity_doc(a, mine.get(a.id)) for a in page.items])


@blp.route("/activities/<int:activity_id>", methods=["GET"])
@blp.response(200, schemas.ActivitySchema)
@blp.alt_response(404, description="No such activity, or not visible to the caller")
@record_view("activity")
def get_activity(activity):
    signup = services.my_signups(db.session, current_user, [activity.id]).get(activity.id)
    rank = services.waitlist_rank(db.session, signup) if signup else None
    return activity_doc(activity, signup, rank)


# --- sign up -------------------------------------------------------------------------------------

@blp.route("/activities/<int:activity_id>/signups", methods=["POST"])
@blp.response(201, schemas.SignUpResultSchema)
@blp.alt_response(403, description="Members only, and the caller is not a verified member")
@blp.alt_response(409, description="Signed up already, or the sign-up window is closed")
@record_view("activity")
def sign_up(activity):
    signup = services.sign_up_retrying(db.session, services.viewer(db.session, current_user), activity)
    body = {"id": signup.id, "status": signup.status}
    if signup.status == "waitlisted":
        body["position"] = signup.rank  # the last on the waitlist: its length, counted under the lock
    return body


@blp.route("/activities/<int:activity_id>/signups/me", methods=["DELETE"])
@blp.response(204)
@blp.alt_response(404, description="Not signed up")
@blp.alt_response(409, description="Too late: the activity has started")
@record_view("activity")
def cancel_my_signup(activity):
    activity_id = activity.id
    services.cancel_signup_retrying(db.session, current_user, activity_id)


@blp.route("/activities/<int:activity_id>/signups", methods=["GET"])
@blp.arguments(schemas.SignUpListArgs, location="query")
@blp.response(200, page_schema(schemas.SignUpSchema))
@record_view("activity", services.MANAGE)
def list_signups(args, activity):
    page = paginate(db.session, services.signups_stmt(activity, status=args.get("status")), args["page"],
                    args["per_page"])
    return page.doc([signup_doc(s) for s in page.items])


@blp.route("/activities/<int:activity_id>/signups/<int:signup_id>", methods=["DELETE"])
@blp.response(204)
@blp.alt_response(409, description="No longer signed up")
@record_view("activity", services.MANAGE)
def remove_signup(activity, signup_id):
    services.remove_signup(db.session, current_user, activity, signup_id)


@blp.route("/me/activities", methods=["GET"])
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(schemas.MySignUpSchema))
@signed_in
def my_activities(args):
    """My live sign-ups, soonest first, with the ticket the organiser scans."""
    page = paginate(db.session, services.my_activities_stmt(current_user), args["page"], args["per_page"])
    ranks = services.waitlist_ranks(db.session, page.items)
    return page.doc([{
        "activity": activity_doc(s.activity, s, ranks.get(s.id)), "status": s.status,
        "position": ranks.get(s.id), "checked_in_at": s.checked_in_at,
        "ticket": services.ticket_code(signing_key(), s) if s.status == "confirmed" else None} for s in page.items])


# --- check in ------------------------------------------------------------------------------------

@blp.route("/activities/<int:activity_id>/checkins", methods=["POST"])
@blp.arguments(schemas.CheckInSchema)
@blp.response(201, schemas.CheckInResultSchema)
@blp.alt_response(403, description="No confirmed place; or a ticket sent by someone who does not organise it")
@blp.alt_response(409, description="Checked in already, or check-in is not open")
@blp.alt_response(422, description="Wrong, forged or expired code")
@record_view("activity")
def check_in(data, activity):
    """With ``code`` (the screen's QR) the caller checks themself in; with ``ticket`` an organiser checks in
    the ticket's holder. Nobody checks in someone else otherwise."""
    if data.get("ticket"):
        if not engine.can(current_user, services.MANAGE, activity.tenant):
            raise Forbidden(_("Only the organisers check in someone else, by scanning their ticket."))
        signup = services.check_in_ticket(db.session, signing_key(), current_user, activity, data["ticket"])
    else:
        signup = services.check_in_with_code(db.session, signing_key(), current_user, activity, data["code"])
    user = db.session.get(type(current_user._get_current_object()), signup.user_id)
    return {"signup": signup.id, "user": user.username, "display_name": user.display_name,
            "checked_in_at": signup.checked_in_at}


@blp.route("/activities/<int:activity_id>/checkin-code", methods=["GET"])
@blp.response(200, schemas.CheckInCodeSchema)
@record_view("activity", services.MANAGE)
def checkin_code(activity):
    """The code the organiser's screen shows now (it changes every 30 seconds)."""
    code, expires_in = services.checkin_code(signing_key(), activity)
    return {"code": code, "expires_in": expires_in,
            "url": url_for("activities.scan", activity_id=activity.id, code=code, _external=True)}


# --- organise: measures, export, message ----------------------------------------------------------

@blp.route("/activities/<int:activity_id>/measures", methods=["GET"])
@blp.response(200, schemas.MeasuresSchema)
@record_view("activity", services.MANAGE)
def measures(activity):
    return services.measures(db.session, activity)


@blp.route("/activities/<int:activity_id>/export", methods=["POST"])
@blp.response(202, schemas.JobAcceptedSchema)
@record_view("activity", services.MANAGE)
def export(activity):
    record = jobs.submit(db.session, tasks.export_signups, activity.id, owner=current_user, tenant=activity.tenant)
    return {"job": record.id}


@blp.route("/activities/<int:activity_id>/messages", methods=["POST"])
@blp.arguments(schemas.MessageSchema)
@blp.response(201, schemas.MessageResultSchema)
@blp.alt_response(409, description="Not published")
@record_view("activity", services.MANAGE)
def message(data, activity):
    return {"sent": services.message_confirmed(db.session, current_user, activity, data["body"])}


# --- calendar -------------------------------------------------------------------

@blp.route("/me/calendar", methods=["GET"])
@blp.response(200, schemas.CalendarSchema)
@signed_in
def calendar():
    """The secret URL of my calendar feed (confirmed activities), for a phone's calendar app."""
    return {"url": url_for("activities.feed", token=services.feed_token(signing_key(), current_user), _external=True)}
