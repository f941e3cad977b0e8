"""The activities endpoints in the isolation matrix, around an activity of union a-s1 shared with its subtree.

The callers hold no membership: they see the activity only through activity.manage at a-s1 or above.
"""
import io
from datetime import timedelta

from tests.isolation.world import Case, everyone, managed

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def _activity(world, session, *, status="published", hours=1):
    from union_saas.activities.models import Activity
    from union_saas.core.db import utcnow

    tenant = world.tenants["a-s1"]
    starts = utcnow() + timedelta(hours=hours)
    activity = Activity(tenant_id=tenant.id, root_id=tenant.root_id, title="Shared", scope="subtree",
                        status=status, starts_at=starts, ends_at=starts + timedelta(hours=2), capacity=50,
                        members_only=False, description="", description_html="")
    session.add(activity)
    session.flush()
    return activity


def _sign_up_everyone(session, activity, users):
    from union_saas.activities.models import SignUp

    rows = [SignUp(activity_id=activity.id, user_id=u.id, root_id=activity.root_id, status="confirmed")
            for u in users]
    session.add_all(rows)
    activity.confirmed_count = len(rows)
    session.flush()
    return rows


def a_reach_request(world, session):
    """An activity of a-s1 asking to reach the whole federation (visible as its subtree until decided)."""
    activity = _activity(world, session)
    activity.scope, activity.reach = "platform", "pending"
    session.flush()
    return {"activity_id": activity.id}


def an_activity(world, session):
    return {"activity_id": _activity(world, session).id}


def a_draft(world, session):
    return {"activity_id": _activity(world, session, status="draft").id}


def an_activity_with_sign_ups(world, session):
    from flask import current_app

    from union_saas.activities import services

    activity = _activity(world, session)
    rows = _sign_up_everyone(session, activity, world.users.values())
    code, _ = services.checkin_code(current_app.config["SECRET_KEY"], activity)
    plain = next(r for r in rows if r.user_id == world.users["plain"].id)
    return {"activity_id": activity.id, "signup_id": plain.id, "code": code,
            "ticket": services.ticket_code(current_app.config["SECRET_KEY"], plain)}


def an_activity_with_a_cover(world, session):
    from union_saas.core import files

    activity = _activity(world, session)
    activity.cover_id = files.save(session, PNG, filename="cover.png", content_type="image/png").id
    session.flush()
    return {"activity_id": activity.id}


def own_admins_calendar(world, session):
    from flask import current_app

    from union_saas.activities import services

    return {"token": services.feed_token(current_app.config["SECRET_KEY"], world.users["own_admin"])}


def cover():
    return {"file": (io.BytesIO(PNG), "cover.png")}


def new_activity(world):
    from union_saas.core.db import utcnow

    starts = utcnow() + timedelta(days=3)
    return {"title": "Poetry", "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=2)).isoformat(),
            "capacity": 10}


def new_activity_form(world):
    from union_saas.core.db import utcnow

    starts = utcnow() + timedelta(days=3)
    return {"title": "Poetry", "category": "culture", "scope": "tenant", "status": "published",
            "starts_at": starts.strftime("%Y-%m-%dT%H:%M"), "ends_at": (starts + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")}


A = "/api/v1/activities/{activity_id}"
M = "/manage/activities/{activity_id}"

CASES = [
    Case("activities_api.create_activity", "POST", "/api/v1/tenants/{own}/activities", managed(201), body=new_activity),
    Case("activities_api.list_managed", "GET", "/api/v1/tenants/{own}/activities", managed(200), setup=an_activity),
    Case("activities_api.list_activities", "GET", "/api/v1/activities", everyone(200), setup=an_activity),
    Case("activities_api.get_activity", "GET", A, managed(200), setup=an_activity, audience="subtree"),
    Case("activities_api.patch_activity", "PATCH", A, managed(200), setup=an_activity, body={"title": "Renamed"}),
    Case("activities_api.publish_activity", "POST", A + "/publish", managed(200), setup=a_draft),
    Case("activities_api.cancel_activity", "POST", A + "/cancel", managed(200), setup=an_activity),
    Case("activities_api.upload_cover", "POST", A + "/cover", managed(200), setup=an_activity_with_sign_ups,
         files=cover),
    Case("activities_api.sign_up", "POST", A + "/signups", managed(201), setup=an_activity, audience="subtree"),
    Case("activities_api.cancel_my_signup", "DELETE", A + "/signups/me", managed(204),
         setup=an_activity_with_sign_ups, audience="subtree"),
    Case("activities_api.list_signups", "GET", A + "/signups", managed(200), setup=an_activity_with_sign_ups),
    Case("activities_api.remove_signup", "DELETE", A + "/signups/{signup_id}", managed(204),
         setup=an_activity_with_sign_ups),
    Case("activities_api.my_activities", "GET", "/api/v1/me/activities", everyone(200)),
    Case("activities_api.check_in", "POST", A + "/checkins", managed(201), setup=an_activity_with_sign_ups,
         body=lambda w: {"code": w.extra["code"]}, audience="subtree"),
    # Members who see the activity may not check in someone else's ticket: only its organisers do.
    Case("activities_api.check_in", "POST", A + "/checkins", managed(201),
         setup=an_activity_with_sign_ups, body=lambda w: {"ticket": w.extra["ticket"]}, id="ticket",
         audience="subtree", member_ok=403),
    Case("activities_api.checkin_code", "GET", A + "/checkin-code", managed(200), setup=an_activity),
    Case("activities_api.measures", "GET", A + "/measures", managed(200), setup=an_activity_with_sign_ups),
    Case("activities_api.export", "POST", A + "/export", managed(202), setup=an_activity_with_sign_ups),
    Case("activities_api.message", "POST", A + "/messages", managed(201), setup=an_activity_with_sign_ups,
         body={"body": "Bring water."}),
    Case("activities_api.calendar", "GET", "/api/v1/me/calendar", everyone(200)),
    # federation-wide reach: the federation's organisers decide; the union's own may see, not decide (403)
    Case("activities_api.reach_requests", "GET", "/api/v1/tenants/{parent}/reach-requests",
         {**managed(404), "parent_admin": 200}, setup=a_reach_request),
    Case("activities_api.approve_reach", "POST", A + "/reach/approve",
         {**managed(403), "parent_admin": 200}, setup=a_reach_request, body={}, audience="subtree", member_ok=404),
    Case("activities_api.reject_reach", "POST", A + "/reach/reject",
         {**managed(403), "parent_admin": 200}, setup=a_reach_request, body={"reason": "Not for everyone"},
         audience="subtree", member_ok=404),
    Case("activities.reach_requests", "GET", "/manage/{parent}/reach", {**managed(404), "parent_admin": 200},
         page=True, setup=a_reach_request),
    Case("activities.approve_reach", "POST", M + "/reach/approve", {**managed(403), "parent_admin": 302},
         page=True, setup=a_reach_request, audience="subtree", member_ok=404),
    Case("activities.reject_reach", "POST", M + "/reach/reject", {**managed(403), "parent_admin": 302},
         page=True, setup=a_reach_request, audience="subtree", member_ok=404),
    # the member's pages
    Case("activities.feed_page", "GET", "/t/{own}/activities", everyone(200, anonymous=200), page=True,
         setup=an_activity),
    Case("activities.detail", "GET", "/activities/{activity_id}", managed(200), page=True, setup=an_activity,
         audience="subtree"),
    Case("activities.sign_up", "POST", "/activities/{activity_id}/signup", managed(302), page=True,
         setup=an_activity, audience="subtree"),
    Case("activities.cancel_signup", "POST", "/activities/{activity_id}/signup/cancel", managed(302), page=True,
         setup=an_activity_with_sign_ups, audience="subtree"),
    Case("activities.cover", "GET", "/activities/{activity_id}/cover", managed(200), page=True,
         setup=an_activity_with_a_cover, audience="subtree"),
    Case("activities.activity_ics", "GET", "/activities/{activity_id}/calendar.ics", managed(200), page=True,
         setup=an_activity, audience="subtree"),
    # A calendar feed's secret link is its only key: whoever holds it reads it.
    Case("activities.feed", "GET", "/calendar/{token}.ics", everyone(200, anonymous=200), page=True,
         setup=own_admins_calendar),
    Case("activities.scan", "GET", "/activities/{activity_id}/scan", managed(200), page=True, setup=an_activity,
         audience="subtree"),
    Case("activities.scan", "POST", "/activities/{activity_id}/scan", managed(302), page=True,
         setup=an_activity_with_sign_ups, body=lambda w: {"code": w.extra["code"]}, audience="subtree"),
    Case("activities.my_activities", "GET", "/t/{own}/me/activities", everyone(200), page=True),
    # the organiser's pages
    Case("activities.manage_list", "GET", "/manage/{own}/activities", managed(200), page=True, setup=an_activity),
    Case("activities.create", "GET", "/manage/{own}/activities/new", managed(200), page=True),
    Case("activities.create", "POST", "/manage/{own}/activities/new", managed(302), page=True, body=new_activity_form),
    Case("activities.manage_detail", "GET", M, managed(200), page=True, setup=an_activity_with_sign_ups),
    Case("activities.edit", "GET", M + "/edit", managed(200), page=True, setup=an_activity),
    Case("activities.edit", "POST", M + "/edit", managed(302), page=True, setup=an_activity,
         body=lambda w: {"title": "Renamed", "category": "sports", "scope": "tenant",
                         "starts_at": "2030-01-01T10:00", "ends_at": "2030-01-01T12:00"}),
    Case("activities.publish", "POST", M + "/publish", managed(302), page=True, setup=a_draft),
    Case("activities.cancel", "POST", M + "/cancel", managed(302), page=True, setup=an_activity),
    Case("activities.remove_signup", "POST", M + "/signups/{signup_id}/remove", managed(302), page=True,
         setup=an_activity_with_sign_ups),
    Case("activities.message", "POST", M + "/message", managed(302), page=True, setup=an_activity_with_sign_ups,
         body={"body": "Bring water."}),
    Case("activities.export", "POST", M + "/export", managed(302), page=True, setup=an_activity_with_sign_ups),
    Case("activities.checkin_screen", "GET", M + "/checkin", managed(200), page=True, setup=an_activity),
    Case("activities.checkin_qr", "GET", M + "/checkin/qr", managed(200), page=True, setup=an_activity),
    Case("activities.checkin_ticket", "POST", M + "/checkin/ticket", managed(302), page=True,
         setup=an_activity_with_sign_ups, body=lambda w: {"ticket": w.extra["ticket"]}),
]
