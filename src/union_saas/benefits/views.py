"""Pages: a member's giveaways (find, take part, ticket, the draw and how to check it), the organiser's
giveaways and the ticket scanner, and subsidy claims."""
from importlib import resources as package_files

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from union_saas.access import engine
from union_saas.access.guards import public, record_view, signed_in, tenant_public, tenant_view
from union_saas.benefits import schemas, services, tasks
from union_saas.benefits.models import CLAIM_LABELS, CLAIM_STATUSES, METHOD_LABELS, METHODS, PHASE_LABELS
from union_saas.benefits.schemas import giveaway_doc
from union_saas.core import files, jobs
from union_saas.core.db import utcnow
from union_saas.core.errors import NotFound, ValidationFailed
from union_saas.core.forms import form_page, load, local_input
from union_saas.core.i18n import zone_of
from union_saas.core.pagination import paginate
from union_saas.core.qr import qr_svg
from union_saas.extensions import db
from union_saas.members.services import home_of
from union_saas.tenancy import sections
from union_saas.tenancy.content import SCOPE_LABELS, SCOPES

bp = Blueprint("benefits", __name__, template_folder="templates", static_folder="static",
               static_url_path="/benefits/static")

sections.manage_tab("benefits.manage_list", _l("Giveaways"), "benefit.manage", 40)
sections.manage_tab("benefits.subsidies", _l("Subsidies"), "benefit.manage", 42,
                    count=lambda tenant: services.waiting_count(db.session, tenant))
sections.manage_tab("benefits.claimable", _l("Claim a subsidy"), "activity.manage", 43)


def _home_slug(user):
    home = home_of(db.session, user)
    return home.slug if home is not None else None


sections.me_entry("my_tickets", 20, _l("My giveaways and tickets"), lambda user: url_for("benefits.mine"),
                  count=lambda user: services.my_tickets_count(db.session, user), icon="ticket")
sections.service("giveaways", 20, _l("Free tickets and giveaways"),
                 lambda user: url_for("benefits.feed_page", slug=slug) if (slug := _home_slug(user)) else
                 url_for("benefits.feed_all"), icon="gift")

DATETIME_FIELDS = ("opens_at", "closes_at", "claim_by")
FORM_FIELDS = ("title", "description", "quantity", "method", "scope", "opens_at", "closes_at", "claim_by")


def form_input(form, tenant):
    """The form as the API's schema reads it: local times (datetime-local) get the union's zone."""
    return local_input(form, FORM_FIELDS, zone=zone_of(tenant), datetimes=DATETIME_FIELDS, blank_as_none=("claim_by",))


def options(tenant=None):
    return {"methods": [(m, METHOD_LABELS[m]) for m in METHODS], "scopes": [(s, SCOPE_LABELS[s]) for s in SCOPES]}


# --- the member's pages --------------------------------------------------------------------------

@sections.section("giveaways", 25, "benefits/_home_section.html")
def home_section(tenant, user):
    """The giveaways open or coming to the visitor in this federation (three queries at most)."""
    if not getattr(user, "is_authenticated", False):
        return None
    viewer = services.viewer(db.session, user)
    items = list(db.session.scalars(services.feed_stmt(viewer, upcoming=True).where(
        services.Giveaway.root_id == tenant.root_id).limit(5)))
    if not items:
        return None
    return {"tenant": tenant, "giveaways": items, "now": utcnow(),
            "mine": services.my_entries(db.session, user, [g.id for g in items])}


def _feed(tenant):
    viewer = services.viewer(db.session, current_user)
    upcoming = request.args.get("all") != "1"
    stmt = services.feed_stmt(viewer, upcoming=upcoming, root_id=None if upcoming else (tenant.root_id if tenant
                                                                                         else None))
    if tenant is not None and upcoming:
        stmt = stmt.where(services.Giveaway.root_id == tenant.root_id)
    page = paginate(db.session, stmt, request.args.get("page", 1, type=int), 30)
    mine = services.my_entries(db.session, current_user, [g.id for g in page.items])
    return render_template("benefits/feed.html", tenant=tenant, page=page, mine=mine, upcoming=upcoming,
                           now=utcnow())


@bp.route("/t/<slug>/giveaways")
@tenant_public(signed_in=True)
def feed_page(tenant):
    return _feed(tenant)


@bp.route("/giveaways")
@signed_in
def feed_all():
    return _feed(None)


def render_detail(giveaway, *, values=None, errors=None, detail=None):
    entry = services.my_entries(db.session, current_user, [giveaway.id]).get(giveaway.id)
    viewer = services.viewer(db.session, current_user)
    ticket_qr = None
    if entry is not None and entry.ticket is not None:
        ticket_qr = qr_svg(url_for("benefits.redeem_link", code=entry.ticket.code, _external=True))
    return render_template("benefits/detail.html", giveaway=giveaway, tenant=giveaway.tenant, entry=entry,
                           doc=giveaway_doc(giveaway, entry), viewer=viewer, ticket_qr=ticket_qr, detail=detail,
                           reached=viewer.audience.reaches(giveaway),
                           may_manage=engine.can(current_user, services.MANAGE, giveaway.tenant), now=utcnow())


@bp.route("/giveaways/<int:giveaway_id>")
@record_view("giveaway")
def detail(giveaway):
    return render_detail(giveaway)


@bp.route("/giveaways/<int:giveaway_id>/enter", methods=["POST"])
@record_view("giveaway")
@form_page(render_detail)
def enter(giveaway):
    giveaway_id = giveaway.id
    entry = services.enter_retrying(db.session, services.viewer(db.session, current_user), giveaway_id)
    if entry.status == "won":
        flash(_("It is yours: your ticket is below and in \"My giveaways and tickets\"."))
    else:
        flash(_("You are in the draw. Your entry code is %(code)s.", code=entry.entry_code))
    return redirect(url_for("benefits.detail", giveaway_id=giveaway_id))


@bp.route("/giveaways/<int:giveaway_id>/claim", methods=["POST"])
@record_view("giveaway")
@form_page(render_detail)
def claim(giveaway):
    services.claim(db.session, current_user, giveaway)
    flash(_("Your ticket is yours: show its code at the venue."))
    return redirect(url_for("benefits.detail", giveaway_id=giveaway.id))


@bp.route("/giveaways/<int:giveaway_id>/image")
@record_view("giveaway")
def image(giveaway):
    row = files.get(db.session, giveaway.image_id)
    if row is None:
        raise NotFound(_("No image."))
    return files.send(row, inline=True, max_age=3600)


@bp.route("/giveaways/<int:giveaway_id>/draw")
@record_view("giveaway")
def draw_page(giveaway):
    """The public draw: commitment, seed, entries hash, every code in ranked order; find your own code."""
    published = None
    if giveaway.drawn_at is not None:
        published = services.published_draw(db.session, giveaway)
    entry = services.my_entries(db.session, current_user, [giveaway.id]).get(giveaway.id)
    wanted = (request.args.get("code") or "").strip().upper() or (entry.entry_code if entry else "")
    place = None
    if published and wanted in published["ranking"]:
        place = published["ranking"].index(wanted) + 1
    return render_template("benefits/draw.html", giveaway=giveaway, tenant=giveaway.tenant, published=published,
                           entry=entry, wanted=wanted, place=place)


@bp.route("/giveaways/<int:giveaway_id>/draw.json")
@record_view("giveaway")
def draw_json(giveaway):
    """The published draw as a file, for the checking script."""
    from flask import jsonify

    response = jsonify(services.published_draw(db.session, giveaway))
    response.headers["Content-Disposition"] = f'attachment; filename="draw-{giveaway.id}.json"'
    return response


def check_script() -> str:
    return package_files.files("union_saas.benefits").joinpath("static/check_draw.py").read_text(encoding="utf-8")


@bp.route("/giveaways/how-draws-work")
@public
def how_to_check():
    """How to check a draw, in plain words, with the script anyone can run."""
    return render_template("benefits/how_to_check.html", script=check_script())


@bp.route("/me/giveaways")
@signed_in
def mine():
    """"我的": my entries and tickets, each ticket a QR code."""
    page = paginate(db.session, services.my_entries_stmt(current_user), request.args.get("page", 1, type=int), 30)
    qrs = {e.id: qr_svg(url_for("benefits.redeem_link", code=e.ticket.code, _external=True))
           for e in page.items if e.ticket is not None and e.ticket.redeemed_at is None}
    return render_template("benefits/mine.html", page=page, qrs=qrs, status_of=services.entry_status)


# --- the organiser's pages -----------------------------------------------------------------------

@bp.route("/manage/<slug>/giveaways")
@tenant_view("benefit.manage")
def manage_list(tenant):
    page = paginate(db.session, services.manage_stmt(tenant), request.args.get("page", 1, type=int), 50)
    return render_template("benefits/manage_list.html", tenant=tenant, page=page, now=utcnow(),
                           phase_labels=PHASE_LABELS)


def render_form(tenant, *, values=None, errors=None, detail=None):
    return render_template("benefits/form.html", tenant=tenant, values=values or {}, errors=errors or {},
                           detail=detail, **options())


@bp.route("/manage/<slug>/giveaways/new", methods=["GET", "POST"])
@tenant_view("benefit.manage")
@form_page(render_form, values=lambda: dict(request.form))
def create(tenant):
    if request.method == "GET":
        return render_form(tenant, values={"method": "lottery", "scope": "tenant", "quantity": "10"})
    data = load(schemas.GiveawayCreateSchema(), form_input(request.form, tenant))
    giveaway = services.create_giveaway(db.session, current_user, tenant, data)
    upload = request.files.get("image")
    if upload is not None and upload.filename:
        services.save_image(db.session, giveaway, upload)
    flash(_("%(title)s is published.", title=giveaway.title))
    return redirect(url_for("benefits.manage_detail", giveaway_id=giveaway.id))


def render_manage_detail(giveaway, *, values=None, errors=None, detail=None):
    return render_template("benefits/manage_detail.html", giveaway=giveaway, tenant=giveaway.tenant,
                           doc=giveaway_doc(giveaway), detail=detail, errors=errors or {}, now=utcnow())


@bp.route("/manage/giveaways/<int:giveaway_id>")
@record_view("giveaway", "benefit.manage")
def manage_detail(giveaway):
    return render_manage_detail(giveaway)


@bp.route("/manage/giveaways/<int:giveaway_id>/draw", methods=["POST"])
@record_view("giveaway", "benefit.manage")
@form_page(render_manage_detail)
def run_draw(giveaway):
    services.draw(db.session, current_user, giveaway)
    flash(_("Drawn: the winners and the reserve are told in their inbox."))
    return redirect(url_for("benefits.draw_page", giveaway_id=giveaway.id))


@bp.route("/manage/giveaways/<int:giveaway_id>/image", methods=["POST"])
@record_view("giveaway", "benefit.manage")
@form_page(render_manage_detail)
def upload_image(giveaway):
    upload = request.files.get("image")
    if upload is None or not upload.filename:
        raise ValidationFailed(_("Please correct the marked fields."),
                                        errors={"image": [_("Choose an image.")]})
    services.save_image(db.session, giveaway, upload)
    flash(_("Saved."))
    return redirect(url_for("benefits.manage_detail", giveaway_id=giveaway.id))


def render_redeem(tenant, *, values=None, errors=None, detail=None, done=None):
    return render_template("benefits/redeem.html", tenant=tenant, values=values or {"code": request.args.get("code", "")},
                           errors=errors or {}, detail=detail, done=done)


@bp.route("/manage/<slug>/redeem", methods=["GET", "POST"])
@tenant_view("benefit.manage")
@form_page(render_redeem, values=lambda: dict(request.form))
def redeem(tenant):
    """The venue's scanner: the phone's camera reads the ticket's QR (or a code is typed)."""
    if request.method == "GET":
        return render_redeem(tenant)
    data = load(schemas.RedeemSchema(), {"code": request.form.get("code", "").strip()})
    done = services.redeem(db.session, current_user, data["code"])
    return render_redeem(tenant, values={"code": ""}, done=done)


@bp.route("/tickets/redeem")
@signed_in
def redeem_link():
    """Where a ticket's QR leads when a phone's own camera app reads it: the scanner of the giveaway's union
    for its staff, the giveaway's page for the ticket's holder; 404 for anyone else."""
    code = request.args.get("code", "")
    found = services.ticket_by_code(db.session, code)
    if found is not None:
        ticket, giveaway = found
        if engine.can(current_user, services.MANAGE, giveaway.tenant):
            return redirect(url_for("benefits.redeem", slug=giveaway.tenant.slug, code=code))
        if ticket.entry.user_id == current_user.id:
            return redirect(url_for("benefits.detail", giveaway_id=giveaway.id))
    raise NotFound(_("This ticket is for another union's giveaway."))


# --- subsidies ---------------------------------------------------------------------------------------

@bp.route("/manage/<slug>/subsidies")
@tenant_view("benefit.manage")
def subsidies(tenant):
    status = request.args.get("status") if request.args.get("status") in CLAIM_STATUSES else None
    page = paginate(db.session, services.claims_stmt(tenant, status=status), request.args.get("page", 1, type=int), 50)
    return render_template("benefits/subsidies.html", tenant=tenant, page=page, status=status,
                           statuses=[(s, CLAIM_LABELS[s]) for s in CLAIM_STATUSES],
                           totals=services.totals(db.session, tenant), breakdown=services.breakdown(db.session, tenant),
                           may_decide=lambda claim: services.may_decide(current_user, claim))


@bp.route("/manage/<slug>/subsidies/export", methods=["POST"])
@tenant_view("benefit.manage")
def export_subsidies(tenant):
    record = jobs.submit(db.session, tasks.export_claims, tenant.id, owner=current_user, tenant=tenant)
    return redirect(url_for("core.job_page", job_id=record.id, back=url_for("benefits.subsidies", slug=tenant.slug)))


def render_claim(subsidy_claim, *, values=None, errors=None, detail=None):
    claim = services.load_claim(db.session, subsidy_claim.id)
    return render_template("benefits/claim_detail.html", claim=claim, tenant=claim.tenant, values=values or {},
                           errors=errors or {}, detail=detail, may_decide=services.may_decide(current_user, claim))


@bp.route("/manage/subsidy-claims/<int:subsidy_claim_id>")
@record_view("subsidy_claim")
def claim_detail(subsidy_claim):
    return render_claim(subsidy_claim)


@bp.route("/manage/subsidy-claims/<int:subsidy_claim_id>/approve", methods=["POST"])
@record_view("subsidy_claim")
@form_page(render_claim, values=lambda: dict(request.form))
def approve_claim(subsidy_claim):
    data = load(schemas.ApproveSchema(), {"amount_granted": request.form.get("amount_granted", "").strip()})
    services.decide(db.session, current_user, subsidy_claim, approve=True, amount=data["amount_granted"])
    flash(_("Approved; the claimant is told."))
    return redirect(url_for("benefits.claim_detail", subsidy_claim_id=subsidy_claim.id))


@bp.route("/manage/subsidy-claims/<int:subsidy_claim_id>/reject", methods=["POST"])
@record_view("subsidy_claim")
@form_page(render_claim, values=lambda: dict(request.form))
def reject_claim(subsidy_claim):
    data = load(schemas.RejectSchema(), {"reason": request.form.get("reason", "").strip()})
    services.decide(db.session, current_user, subsidy_claim, approve=False, reason=data["reason"])
    flash(_("Rejected; the claimant is told why."))
    return redirect(url_for("benefits.claim_detail", subsidy_claim_id=subsidy_claim.id))


@bp.route("/manage/<slug>/subsidies/claimable")
@tenant_view("activity.manage")
def claimable(tenant):
    """Ended activities this union hosted that have no subsidy claim yet."""
    page = paginate(db.session, services.claimable_stmt(tenant), request.args.get("page", 1, type=int), 50)
    return render_template("benefits/claimable.html", tenant=tenant, page=page)


def render_claim_form(activity, *, values=None, errors=None, detail=None):
    existing = services.claim_of_activity(db.session, activity.id)
    return render_template("benefits/claim_form.html", activity=activity, tenant=activity.tenant,
                           values=values or {}, errors=errors or {}, detail=detail, existing=existing,
                           evidence=services.evidence(db.session, activity), ended=activity.ends_at <= utcnow())


@bp.route("/manage/activities/<int:activity_id>/subsidy", methods=["GET", "POST"])
@record_view("activity", "activity.manage")
@form_page(render_claim_form, values=lambda: dict(request.form))
def claim_subsidy(activity):
    """The host of an ended activity claims a subsidy (the evidence is counted by the platform)."""
    if request.method == "GET":
        return render_claim_form(activity)
    data = load(schemas.SubsidyClaimCreateSchema(), {"amount_requested": request.form.get("amount_requested", "").strip(),
                                                    "note": request.form.get("note", "").strip() or None})
    claim = services.claim_subsidy(db.session, current_user, activity, data)
    flash(_("Your claim is sent; the union above decides."))
    return redirect(url_for("benefits.claim_detail", subsidy_claim_id=claim.id))

