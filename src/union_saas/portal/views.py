"""Pages of the worker's own place: the home (``/``), 服务, the 活动 tab, "我的", the member card, and the
officer's check of a card (opened by the phone's camera from the card's QR, or typed)."""
import sqlalchemy as sa
from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from union_saas.access import engine
from union_saas.access.guards import public, signed_in, tenant_view
from union_saas.activities import services as activities
from union_saas.core import files, inbox
from union_saas.core.errors import NotFound
from union_saas.core.qr import qr_svg
from union_saas.core.web import signing_key
from union_saas.extensions import db
from union_saas.members import services as members
from union_saas.members.audience import viewer as load_viewer
from union_saas.portal import services
from union_saas.tenancy import sections
from union_saas.tenancy.models import Tenant

bp = Blueprint("portal", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/portal")

sections.manage_tab("portal.manage_verify", _l("Member cards"), "member.view", 25)

# Sections of a union's public home that the member's home shows in its own way.
OWN_SECTIONS = ("members", "activities")


def home_sections(tenant, user):
    """The sections other modules register, for the member's union (office notices, groups, posts...)."""
    return [(sec, ctx) for sec, ctx in sections.render_context(tenant, user) if sec.name not in OWN_SECTIONS]


def managed_unions():
    roots = engine.subject(current_user).managed_roots() if current_user.is_authenticated else []
    if not roots:
        return []
    return db.session.scalars(sa.select(Tenant).where(Tenant.path.in_(roots)).order_by(Tenant.path)).all()


@bp.route("/")
@public
def home():
    """Signed in: the member's own home. Anonymous: what is open to everyone, and how to join."""
    services_grid = sections.entries_for(sections.SERVICES, current_user)
    if not current_user.is_authenticated:
        federations = db.session.scalars(sa.select(Tenant).where(Tenant.parent_id.is_(None), Tenant.status == "active")
                                         .order_by(Tenant.name).limit(100)).all()
        return render_template("portal/welcome.html", services=services_grid, federations=federations,
                               open_activities=db.session.scalars(services.open_to_everyone_stmt().limit(6)).all())
    viewer = load_viewer(db.session, current_user)
    home = viewer.home
    pending = None
    if home is None:
        pending = next((m for m in members.current_of(db.session, current_user) if m.status == "pending"), None)
    upcoming = services.upcoming(db.session, viewer)
    followed = services.from_followed(db.session, viewer)
    # What comes from a followed union is listed under it (the banners show everything).
    from_followed = {a.id for a in followed}
    mine = activities.my_signups(db.session, current_user, [a.id for a in upcoming + followed])
    return render_template("portal/home.html", home=home, pending=pending, services=services_grid,
                           banners=upcoming[:4], upcoming=[a for a in upcoming if a.id not in from_followed],
                           followed=followed, mine=mine,
                           sections=home_sections(home, current_user) if home else [],
                           managed=managed_unions())


@bp.route("/services")
@public
def services_page():
    """The 服务 tab: every service of the platform, as a grid."""
    return render_template("portal/services.html", services=sections.entries_for(sections.SERVICES, current_user),
                           managed=managed_unions())


def any_union_slug():
    """Where the union-scoped pages of a person are read from: their union, a union they follow, else the
    first federation (one query at most)."""
    viewer = load_viewer(db.session, current_user)
    if viewer.home is not None:
        return viewer.home.slug
    followed = db.session.scalar(sa.select(Tenant.slug).where(Tenant.id.in_(services.followed_stmt(current_user)))
                                 .order_by(Tenant.path).limit(1))
    return followed or db.session.scalar(sa.select(Tenant.slug).where(Tenant.parent_id.is_(None),
                                                                      Tenant.status == "active")
                                         .order_by(Tenant.name).limit(1))


@bp.route("/activities")
@public
def activities_tab():
    """The 活动 tab: the activities of the person's union (anonymous: those open to everyone)."""
    slug = any_union_slug() if current_user.is_authenticated else None
    if slug is None:
        return redirect(url_for("portal.home", _anchor="open"))
    return redirect(url_for("activities.feed_page", slug=slug))


@bp.route("/me/activities")
@signed_in
def my_activities():
    """My sign-ups and tickets (the page lives under a union: the person's own, or the first at hand)."""
    slug = any_union_slug()
    if slug is None:
        raise NotFound(_("No union on the platform yet."))
    return redirect(url_for("activities.my_activities", slug=slug))


@bp.route("/me")
@signed_in
def me():
    """我的: membership, the member card, my sign-ups, my messages, and every module's entries."""
    current = members.current_of(db.session, current_user)
    active = next((m for m in current if m.status == "active"), None)
    pending = next((m for m in current if m.status == "pending"), None)
    signups = db.session.scalars(activities.my_activities_stmt(current_user, upcoming_only=True).limit(3)).all()
    messages = db.session.scalars(inbox.inbox_stmt(current_user.id).limit(3)).all()
    return render_template("portal/me.html", active=active, pending=pending, signups=signups, messages=messages,
                           entries=sections.entries_for(sections.ME_ENTRIES, current_user),
                           managed=managed_unions())


def card_context():
    card = services.card(db.session, signing_key(), current_user)
    url = url_for("portal.verify", code=card["code"], _external=True)
    return {"card": card, "qr": qr_svg(url), "refresh": services.CARD_REFRESH}


@bp.route("/me/card")
@signed_in
def card_page():
    """The e-member card: its QR changes every few minutes; the page fetches a fresh one before it expires."""
    if services.active_membership(db.session, current_user) is None:
        return render_template("portal/card.html", card=None), 404
    return render_template("portal/card.html", **card_context())


@bp.route("/me/card/code")
@signed_in
def card_fragment():
    """A fresh QR and code for the card page (an HTML fragment)."""
    return render_template("portal/_card_code.html", **card_context())


def render_verify(tenant=None):
    code = request.values.get("code", "")
    result = None
    if code.strip():
        result = services.verify(db.session, signing_key(), current_user, code)
    return render_template("portal/verify.html", tenant=tenant, code=code, result=result)


@bp.route("/member-cards/verify", methods=["GET", "POST"])
@signed_in
def verify():
    """Where a card's QR leads (the officer's phone camera opens it): the card's check, or the form."""
    if not services.verifies_somewhere(current_user):
        raise NotFound(_("Only union officers who may see members check member cards."))
    return render_verify()


@bp.route("/manage/<slug>/member-cards", methods=["GET", "POST"])
@tenant_view("member.view")
def manage_verify(tenant):
    """Check a member's card at the office: scan its QR with the phone's camera, or type its code."""
    return render_verify(tenant)


@bp.route("/open/activities/<int:activity_id>/cover")
@public
def open_cover(activity_id):
    """The cover of an activity open to everyone (the welcome page shows it before anyone signs in)."""
    activity = services.open_activity(db.session, activity_id)
    row = files.get(db.session, activity.cover_id)
    if row is None:
        raise NotFound(_("No cover image."))
    return files.send(row, inline=True, max_age=3600)
