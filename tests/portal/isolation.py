"""The portal's routes in the isolation matrix: the member's own pages, and the officers' card check.

A card's code names a membership of a-s1 (member_own's): an officer who may see members there finds it
valid; anyone else with member.view somewhere finds it not valid (200 either way, never a 4xx); whoever
holds member.view nowhere is answered 404 (members and plain users hold none).
"""
from tests.isolation.world import Case, everyone, managed, members

VERIFIERS = ("own_admin", "own_officer", "parent_admin", "child_admin", "sibling_admin", "other_fed_admin")
NO_VIEW = {"anonymous": 401, "plain": 404, "operator": 404}


def a_card_code(world, session):
    import sqlalchemy as sa
    from flask import current_app

    from union_saas.members.models import Membership
    from union_saas.portal import services

    membership = session.scalar(sa.select(Membership).where(Membership.user_id == world.users["member_own"].id))
    return {"code": services.card_code(current_app.config["SECRET_KEY"], membership.id)[0]}


def verifiers(status):
    return {**NO_VIEW, **{name: status for name in VERIFIERS}}


def an_open_cover(world, session):
    from datetime import timedelta

    from union_saas.activities.models import Activity
    from union_saas.core import files
    from union_saas.core.db import utcnow

    tenant = world.tenants["a-s1"]
    starts = utcnow() + timedelta(hours=3)
    cover = files.save(session, b"\x89PNG\r\n\x1a\n" + b"\0" * 64, filename="c.png", content_type="image/png")
    activity = Activity(tenant_id=tenant.id, root_id=tenant.root_id, title="Open", scope="platform", reach="approved",
                        status="published", starts_at=starts, ends_at=starts + timedelta(hours=2),
                        members_only=False, description="", description_html="", cover_id=cover.id)
    session.add(activity)
    session.flush()
    return {"activity_id": activity.id}


CASES = [
    Case("portal.home", "GET", "/", everyone(200, anonymous=200), page=True),
    Case("portal.services_page", "GET", "/services", everyone(200, anonymous=200), page=True),
    # The 活动 tab leads to the person's union's activities (anonymous: to what is open to everyone).
    Case("portal.activities_tab", "GET", "/activities", everyone(302, anonymous=302), page=True),
    Case("portal.my_activities", "GET", "/me/activities", everyone(302), page=True),
    Case("portal.me", "GET", "/me", everyone(200), page=True),
    # The card: only an active member has one (404 for everyone else).
    Case("portal.card_page", "GET", "/me/card", everyone(404), page=True, members=members(200)),
    Case("portal.card_fragment", "GET", "/me/card/code", everyone(404), page=True, members=members(200)),
    Case("portal_api.my_card", "GET", "/api/v1/me/card", everyone(404), members=members(200)),
    # The check of a card: 200 for whoever may see members somewhere (valid or not: the page says which).
    Case("portal.verify", "GET", "/member-cards/verify?code={code}", verifiers(200), page=True, setup=a_card_code),
    Case("portal.verify", "POST", "/member-cards/verify", verifiers(200), page=True, setup=a_card_code,
         body=lambda world: {"code": world.extra["code"]}),
    Case("portal_api.verify_card", "POST", "/api/v1/member-cards/verify", verifiers(200), setup=a_card_code,
         body=lambda world: {"code": world.extra["code"]}),
    Case("portal.manage_verify", "GET", "/manage/{own}/member-cards", managed(200, child=404), page=True),
    Case("portal.manage_verify", "POST", "/manage/{own}/member-cards", managed(200, child=404), page=True,
         setup=a_card_code, body=lambda world: {"code": world.extra["code"]}),
    Case("portal.open_cover", "GET", "/open/activities/{activity_id}/cover", everyone(200, anonymous=200),
         page=True, setup=an_open_cover),
]
