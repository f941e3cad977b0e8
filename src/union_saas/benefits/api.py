"""Benefits API (API.md, "Benefits: giveaways and subsidies")."""
from flask_babel import gettext as _
from flask_login import current_user

from union_saas.access.guards import record_view, signed_in, tenant_view
from union_saas.benefits import schemas, services, tasks
from union_saas.benefits.schemas import claim_doc, entry_doc, giveaway_doc, ticket_doc
from union_saas.core import jobs
from union_saas.core.api import Blueprint
from union_saas.core.errors import NotFound
from union_saas.core.pagination import PageArgs, page_schema, paginate
from union_saas.extensions import db

blp = Blueprint("benefits_api", __name__, url_prefix="/api/v1", description="Benefits: giveaways and subsidies")


# --- giveaways ---------------------------------------------------------------------------------------

@blp.route("/tenants/<slug>/giveaways", methods=["POST"])
@blp.arguments(schemas.GiveawayCreateSchema)
@blp.response(201, schemas.GiveawaySchema)
@blp.alt_response(422, description="Window closing before it opens, claim deadline before the close, a scope "
                                   "wider than the publisher may use, HTML")
@tenant_view("benefit.manage")
def create_giveaway(data, tenant):
    """Publish a giveaway; a lottery shows its commitment from now on."""
    return giveaway_doc(services.create_giveaway(db.session, current_user, tenant, data))


@blp.route("/tenants/<slug>/giveaways", methods=["GET"])
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(schemas.GiveawaySchema))
@tenant_view("benefit.manage")
def list_managed(args, tenant):
    """Giveaways of this union and every union below it, newest first."""
    page = paginate(db.session, services.manage_stmt(tenant), args["page"], args["per_page"])
    return page.doc([giveaway_doc(g) for g in page.items])


@blp.route("/giveaways", methods=["GET"])
@blp.arguments(schemas.ListArgs, location="query")
@blp.response(200, page_schema(schemas.GiveawaySchema))
@signed_in
def list_giveaways(args):
    """The giveaways visible to the caller (``upcoming``: scheduled or open, closing soonest first)."""
    viewer = services.viewer(db.session, current_user)
    page = paginate(db.session, services.feed_stmt(viewer, upcoming=args["upcoming"]), args["page"], args["per_page"])
    mine = services.my_entries(db.session, current_user, [g.id for g in page.items])
    return page.doc([giveaway_doc(g, mine.get(g.id)) for g in page.items])


@blp.route("/giveaways/<int:giveaway_id>", methods=["GET"])
@blp.response(200, schemas.GiveawaySchema)
@record_view("giveaway")
def get_giveaway(giveaway):
    return giveaway_doc(giveaway, services.my_entries(db.session, current_user, [giveaway.id]).get(giveaway.id))


@blp.route("/giveaways/<int:giveaway_id>/image", methods=["POST"])
@blp.arguments(schemas.ImageSchema, location="files")
@blp.response(200, schemas.GiveawaySchema)
@record_view("giveaway", services.MANAGE)
def upload_image(files, giveaway):
    services.save_image(db.session, giveaway, files["file"])
    return giveaway_doc(giveaway)


@blp.route("/giveaways/<int:giveaway_id>/entries", methods=["POST"])
@blp.response(201, schemas.EntryResultSchema)
@blp.alt_response(403, description="Not a verified member")
@blp.alt_response(409, description="Outside the window, taken part already (this person, any account), none left")
@record_view("giveaway")
def enter(giveaway):
    """First-come: ``{status: won, ticket}`` while any remain; lottery: ``{status: entered, entry_code}``."""
    viewer = services.viewer(db.session, current_user)
    entry = services.enter_retrying(db.session, viewer, giveaway.id)
    return {"status": entry.status, "entry_code": entry.entry_code,
            "ticket": ticket_doc(entry.ticket) if entry.status == "won" else None}


@blp.route("/giveaways/<int:giveaway_id>/entries/me", methods=["GET"])
@blp.response(200, schemas.MyEntrySchema)
@blp.alt_response(404, description="The caller has not taken part")
@record_view("giveaway")
def my_entry(giveaway):
    entry = services.my_entries(db.session, current_user, [giveaway.id]).get(giveaway.id)
    if entry is None:
        raise NotFound(_("You have not taken part in this giveaway."))
    return entry_doc(entry, giveaway)


@blp.route("/giveaways/<int:giveaway_id>/draw", methods=["POST"])
@blp.response(200, schemas.DrawSchema)
@blp.alt_response(409, description="Drawn already, still open, or a first-come giveaway")
@record_view("giveaway", services.MANAGE)
def run_draw(giveaway):
    services.draw(db.session, current_user, giveaway)
    return services.published_draw(db.session, giveaway)


@blp.route("/giveaways/<int:giveaway_id>/draw", methods=["GET"])
@blp.response(200, schemas.DrawSchema)
@blp.alt_response(409, description="Not drawn yet")
@record_view("giveaway")
def get_draw(giveaway):
    """Everything needed to recompute the draw: commitment, seed, entries hash, every code in ranked order."""
    return services.published_draw(db.session, giveaway)


@blp.route("/giveaways/<int:giveaway_id>/claim", methods=["POST"])
@blp.response(200, schemas.ClaimResultSchema)
@blp.alt_response(409, description="After claim_by, claimed already, or not a winner")
@record_view("giveaway")
def claim(giveaway):
    return {"ticket": ticket_doc(services.claim(db.session, current_user, giveaway))}


@blp.route("/tickets/redeem", methods=["POST"])
@blp.arguments(schemas.RedeemSchema)
@blp.response(201, schemas.RedeemResultSchema)
@blp.alt_response(404, description="A ticket of a giveaway the caller does not manage")
@blp.alt_response(409, description="Redeemed already (the answer says when)")
@blp.alt_response(422, description="Forged or unknown code")
@signed_in
def redeem(data):
    """Staff with benefit.manage at the giveaway's union scan a ticket: valid once."""
    done = services.redeem(db.session, current_user, data["code"])
    return {"giveaway": giveaway_doc(done["giveaway"]), "name_masked": done["name_masked"],
            "seat": done["ticket"].seat, "redeemed_at": done["redeemed_at"]}


@blp.route("/me/giveaway-entries", methods=["GET"])
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(schemas.MyEntryItemSchema))
@signed_in
def my_entries(args):
    """My entries and tickets, the latest giveaways first."""
    page = paginate(db.session, services.my_entries_stmt(current_user), args["page"], args["per_page"])
    return page.doc([{**entry_doc(e, e.giveaway), "giveaway": giveaway_doc(e.giveaway)} for e in page.items])


# --- subsidies ---------------------------------------------------------------------------------------

@blp.route("/activities/<int:activity_id>/subsidy-claims", methods=["POST"])
@blp.arguments(schemas.SubsidyClaimCreateSchema)
@blp.response(201, schemas.SubsidyClaimSchema)
@blp.alt_response(409, description="Before the activity ended, or claimed already (one claim per activity)")
@record_view("activity", services.ACTIVITY_MANAGE)
def claim_subsidy(data, activity):
    return claim_doc(services.claim_subsidy(db.session, current_user, activity, data))


@blp.route("/tenants/<slug>/subsidy-claims", methods=["GET"])
@blp.arguments(schemas.ClaimListArgs, location="query")
@blp.response(200, schemas.ClaimPageSchema)
@tenant_view("benefit.manage")
def list_claims(args, tenant):
    """The claims of this union's subtree (``status`` filters), with totals over all of them."""
    page = paginate(db.session, services.claims_stmt(tenant, status=args.get("status")), args["page"],
                    args["per_page"])
    return {**page.doc([claim_doc(c) for c in page.items]), "totals": services.totals(db.session, tenant),
            "by_year_and_union": services.breakdown(db.session, tenant)}


@blp.route("/tenants/<slug>/subsidy-claims/export", methods=["POST"])
@blp.response(202, schemas.JobAcceptedSchema)
@tenant_view("benefit.manage")
def export_claims(tenant):
    """An .xlsx of the subtree's claims and their totals per year and union (a job)."""
    record = jobs.submit(db.session, tasks.export_claims, tenant.id, owner=current_user, tenant=tenant)
    return {"job": record.id}


@blp.route("/subsidy-claims/<int:subsidy_claim_id>", methods=["GET"])
@blp.response(200, schemas.SubsidyClaimSchema)
@record_view("subsidy_claim")
def get_claim(subsidy_claim):
    return claim_doc(services.load_claim(db.session, subsidy_claim.id))


@blp.route("/subsidy-claims/<int:subsidy_claim_id>/approve", methods=["POST"])
@blp.arguments(schemas.ApproveSchema)
@blp.response(200, schemas.SubsidyClaimSchema)
@blp.alt_response(403, description="Not held at a strict ancestor of the claiming union")
@blp.alt_response(409, description="Decided already")
@blp.alt_response(422, description="More than requested")
@record_view("subsidy_claim")
def approve_claim(data, subsidy_claim):
    services.decide(db.session, current_user, subsidy_claim, approve=True, amount=data["amount_granted"])
    return claim_doc(services.load_claim(db.session, subsidy_claim.id))


@blp.route("/subsidy-claims/<int:subsidy_claim_id>/reject", methods=["POST"])
@blp.arguments(schemas.RejectSchema)
@blp.response(200, schemas.SubsidyClaimSchema)
@blp.alt_response(403, description="Not held at a strict ancestor of the claiming union")
@blp.alt_response(409, description="Decided already")
@record_view("subsidy_claim")
def reject_claim(data, subsidy_claim):
    services.decide(db.session, current_user, subsidy_claim, approve=False, reason=data["reason"])
    return claim_doc(services.load_claim(db.session, subsidy_claim.id))
