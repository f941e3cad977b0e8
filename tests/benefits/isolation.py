"""The benefits endpoints in the isolation matrix, around a giveaway of union a-s1 shared with its subtree, and a
subsidy claim for an activity a-s1 hosted.

The role callers hold no membership: they see the giveaway only through benefit.manage at a-s1 or above, and
cannot take part (404: outside its scope). The members' IDs are made verified in each case's setup.
"""
import hashlib
import io
from datetime import timedelta

from tests.isolation.world import MEMBERS, Case, everyone, managed

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def _verify_members(world, session):
    import sqlalchemy as sa

    from union_saas.members.models import Membership

    for name in MEMBERS:
        user = world.users[name]
        session.execute(sa.update(Membership).where(Membership.user_id == user.id, Membership.status == "active")
                        .values(id_hash=hashlib.sha256(f"id-{name}".encode()).hexdigest()))
    session.flush()


def _giveaway(world, session, *, method="lottery", quantity=2, claim_by=None, closed=False):
    from union_saas.benefits import draw
    from union_saas.benefits.models import Giveaway
    from union_saas.core.db import utcnow

    _verify_members(world, session)
    tenant = world.tenants["a-s1"]
    now = utcnow()
    g = Giveaway(tenant_id=tenant.id, root_id=tenant.root_id, title="Tickets", scope="subtree", status="published",
                 method=method, quantity=quantity, opens_at=now - timedelta(hours=2),
                 closes_at=now + timedelta(hours=2), claim_by=claim_by and now + timedelta(hours=claim_by),
                 description="", description_html="", entries_count=0, winners_count=0, tickets_count=0)
    if method == "lottery":
        g.secret = draw.new_secret()
        g.commitment = draw.commitment_of(g.secret)
    session.add(g)
    session.flush()
    return g


def _enter(world, session, g, names=("member_own", "member_child")):
    from union_saas.benefits import services
    from union_saas.members.audience import load_viewer

    entries = {}
    for name in names:
        entries[name] = services.enter(session, load_viewer(session, world.users[name]), g)
    session.flush()
    return entries


def _close_and_draw(session, g):
    from union_saas.benefits import services
    from union_saas.core.db import utcnow

    g.closes_at = utcnow() - timedelta(minutes=1)
    if g.claim_by is not None:
        g.claim_by = utcnow() + timedelta(hours=24)
    session.flush()
    services.draw(session, None, g)


def a_giveaway(world, session):
    return {"giveaway_id": _giveaway(world, session).id}


def a_giveaway_with_an_image(world, session):
    from union_saas.core import files

    g = _giveaway(world, session)
    g.image_id = files.save(session, PNG, filename="i.png", content_type="image/png").id
    session.flush()
    return {"giveaway_id": g.id}


def entered(world, session):
    g = _giveaway(world, session)
    _enter(world, session, g)
    return {"giveaway_id": g.id}


def closed(world, session):
    g = _giveaway(world, session)
    _enter(world, session, g)
    g.closes_at = g.opens_at + timedelta(hours=1)
    session.flush()
    return {"giveaway_id": g.id}


def drawn(world, session):
    g = _giveaway(world, session)
    _enter(world, session, g)
    _close_and_draw(session, g)
    return {"giveaway_id": g.id}


def drawn_to_claim(world, session):
    """Both reached members won; they claim before the deadline."""
    g = _giveaway(world, session, claim_by=4)
    _enter(world, session, g)
    _close_and_draw(session, g)
    return {"giveaway_id": g.id}


def a_ticket(world, session):
    """A first-come ticket held by member_own."""
    g = _giveaway(world, session, method="first_come")
    entries = _enter(world, session, g, names=("member_own",))
    return {"giveaway_id": g.id, "code": entries["member_own"].ticket.code}


def _ended_activity(world, session):
    from union_saas.activities.models import Activity
    from union_saas.core.db import utcnow

    tenant = world.tenants["a-s1"]
    ends = utcnow() - timedelta(days=1)
    a = Activity(tenant_id=tenant.id, root_id=tenant.root_id, title="Hosted", scope="tenant", status="published",
                 starts_at=ends - timedelta(hours=2), ends_at=ends, members_only=False, description="",
                 description_html="")
    session.add(a)
    session.flush()
    return a


def an_ended_activity(world, session):
    return {"activity_id": _ended_activity(world, session).id}


def a_claim(world, session):
    from decimal import Decimal

    from union_saas.benefits import services

    a = _ended_activity(world, session)
    a.tenant = world.tenants["a-s1"]
    claim = services.claim_subsidy(session, world.users["own_admin"], a, {"amount_requested": Decimal("500.00")})
    return {"activity_id": a.id, "claim_id": claim.id}


def image():
    return {"file": (io.BytesIO(PNG), "i.png")}


def image_form():
    return {"image": (io.BytesIO(PNG), "i.png")}


def new_giveaway(world):
    from union_saas.core.db import utcnow

    now = utcnow()
    return {"title": "Concert", "quantity": 5, "method": "lottery", "scope": "tenant", "opens_at": now.isoformat(),
            "closes_at": (now + timedelta(days=2)).isoformat()}


def new_giveaway_form(world):
    from union_saas.core.db import utcnow

    now = utcnow() + timedelta(hours=9)
    return {"title": "Concert", "quantity": "5", "method": "first_come", "scope": "tenant",
            "opens_at": now.strftime("%Y-%m-%dT%H:%M"), "closes_at": (now + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")}


def no_members(status):
    return {name: status for name in MEMBERS}


G = "/api/v1/giveaways/{giveaway_id}"
C = "/api/v1/subsidy-claims/{claim_id}"
MG = "/manage/giveaways/{giveaway_id}"
MC = "/manage/subsidy-claims/{claim_id}"
BENEFIT = managed(200, officer=403)  # at the union: the officer role lacks benefit.manage
SEEN = managed(200, officer=404)  # a giveaway: the officer neither manages nor is reached by it
MANAGING = managed(200, officer=403)  # a giveaway's management: the officer manages its union, without the right
DECIDE = {**managed(403), "parent_admin": 200}  # only above the claiming union; its own office sees, never decides
NOBODY = everyone(404)  # the role callers hold no membership: outside every giveaway's scope

CASES = [
    Case("benefits_api.create_giveaway", "POST", "/api/v1/tenants/{own}/giveaways", managed(201, officer=403),
         body=new_giveaway),
    Case("benefits_api.list_managed", "GET", "/api/v1/tenants/{own}/giveaways", BENEFIT, setup=a_giveaway),
    Case("benefits_api.list_giveaways", "GET", "/api/v1/giveaways", everyone(200), setup=a_giveaway),
    Case("benefits_api.get_giveaway", "GET", G, SEEN, setup=a_giveaway, audience="subtree"),
    Case("benefits_api.upload_image", "POST", G + "/image", MANAGING, setup=a_giveaway, files=image),
    Case("benefits_api.enter", "POST", G + "/entries", NOBODY, setup=a_giveaway, audience="subtree", member_ok=201),
    Case("benefits_api.my_entry", "GET", G + "/entries/me", NOBODY, setup=entered, audience="subtree", member_ok=200),
    Case("benefits_api.run_draw", "POST", G + "/draw", MANAGING, setup=closed),
    Case("benefits_api.get_draw", "GET", G + "/draw", SEEN, setup=drawn, audience="subtree"),
    Case("benefits_api.claim", "POST", G + "/claim", NOBODY, setup=drawn_to_claim, audience="subtree", member_ok=200),
    Case("benefits_api.redeem", "POST", "/api/v1/tickets/redeem", managed(201, officer=404), setup=a_ticket,
         body=lambda w: {"code": w.extra["code"]}),
    Case("benefits_api.my_entries", "GET", "/api/v1/me/giveaway-entries", everyone(200)),
    Case("benefits_api.claim_subsidy", "POST", "/api/v1/activities/{activity_id}/subsidy-claims", managed(201),
         setup=an_ended_activity, body={"amount_requested": "800.00", "note": "Tea and hall"}),
    Case("benefits_api.list_claims", "GET", "/api/v1/tenants/{own}/subsidy-claims", BENEFIT, setup=a_claim),
    Case("benefits_api.export_claims", "POST", "/api/v1/tenants/{own}/subsidy-claims/export",
         managed(202, officer=403), setup=a_claim),
    Case("benefits_api.get_claim", "GET", C, managed(200), setup=a_claim),
    Case("benefits_api.approve_claim", "POST", C + "/approve", DECIDE, setup=a_claim, body={"amount_granted": "400"}),
    Case("benefits_api.reject_claim", "POST", C + "/reject", DECIDE, setup=a_claim, body={"reason": "No receipts"}),
    # the member's pages
    Case("benefits.feed_page", "GET", "/t/{own}/giveaways", everyone(200), page=True, setup=a_giveaway),
    Case("benefits.feed_all", "GET", "/giveaways", everyone(200), page=True, setup=a_giveaway),
    Case("benefits.detail", "GET", "/giveaways/{giveaway_id}", SEEN, page=True, setup=entered, audience="subtree"),
    Case("benefits.enter", "POST", "/giveaways/{giveaway_id}/enter", NOBODY, page=True, setup=a_giveaway,
         audience="subtree", member_ok=302),
    Case("benefits.claim", "POST", "/giveaways/{giveaway_id}/claim", NOBODY, page=True, setup=drawn_to_claim,
         audience="subtree", member_ok=302),
    Case("benefits.image", "GET", "/giveaways/{giveaway_id}/image", SEEN, page=True,
         setup=a_giveaway_with_an_image, audience="subtree"),
    Case("benefits.draw_page", "GET", "/giveaways/{giveaway_id}/draw", SEEN, page=True, setup=drawn,
         audience="subtree"),
    Case("benefits.draw_json", "GET", "/giveaways/{giveaway_id}/draw.json", SEEN, page=True, setup=drawn,
         audience="subtree"),
    Case("benefits.how_to_check", "GET", "/giveaways/how-draws-work", everyone(200, anonymous=200), page=True),
    Case("benefits.mine", "GET", "/me/giveaways", everyone(200), page=True, setup=entered),
    # the organiser's pages
    Case("benefits.manage_list", "GET", "/manage/{own}/giveaways", BENEFIT, page=True, setup=a_giveaway),
    Case("benefits.create", "GET", "/manage/{own}/giveaways/new", BENEFIT, page=True),
    Case("benefits.create", "POST", "/manage/{own}/giveaways/new", managed(302, officer=403), page=True,
         body=new_giveaway_form, form=True),
    Case("benefits.manage_detail", "GET", MG, MANAGING, page=True, setup=entered),
    Case("benefits.run_draw", "POST", MG + "/draw", managed(302, officer=403), page=True, setup=closed),
    Case("benefits.upload_image", "POST", MG + "/image", managed(302, officer=403), page=True, setup=a_giveaway,
         files=image_form),
    Case("benefits.redeem", "GET", "/manage/{own}/redeem", BENEFIT, page=True),
    Case("benefits.redeem", "POST", "/manage/{own}/redeem", BENEFIT, page=True, setup=a_ticket,
         body=lambda w: {"code": w.extra["code"]}, form=True),
    # A ticket's QR link: the giveaway's staff go to their scanner, its holder to the giveaway, others 404.
    Case("benefits.redeem_link", "GET", "/tickets/redeem?code={code}", managed(302, officer=404), page=True,
         setup=a_ticket, members={**no_members(404), "member_own": 302}),
    Case("benefits.subsidies", "GET", "/manage/{own}/subsidies", BENEFIT, page=True, setup=a_claim),
    Case("benefits.export_subsidies", "POST", "/manage/{own}/subsidies/export", managed(302, officer=403), page=True,
         setup=a_claim),
    Case("benefits.claimable", "GET", "/manage/{own}/subsidies/claimable", managed(200), page=True,
         setup=an_ended_activity),
    Case("benefits.claim_detail", "GET", MC, managed(200), page=True, setup=a_claim),
    Case("benefits.approve_claim", "POST", MC + "/approve", {**managed(403), "parent_admin": 302}, page=True,
         setup=a_claim, body={"amount_granted": "400"}, form=True),
    Case("benefits.reject_claim", "POST", MC + "/reject", {**managed(403), "parent_admin": 302}, page=True,
         setup=a_claim, body={"reason": "No receipts"}, form=True),
    Case("benefits.claim_subsidy", "GET", "/manage/activities/{activity_id}/subsidy", managed(200), page=True,
         setup=an_ended_activity),
    Case("benefits.claim_subsidy", "POST", "/manage/activities/{activity_id}/subsidy", managed(302), page=True,
         setup=an_ended_activity, body={"amount_requested": "800.00"}, form=True),
]
