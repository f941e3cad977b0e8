"""Polls API (API.md, Polls and contests)."""
from flask_login import current_user

from union_saas.access.guards import record_view, signed_in, tenant_view
from union_saas.core import jobs
from union_saas.core.api import Blueprint
from union_saas.core.db import utcnow
from union_saas.core.pagination import PageArgs, page_schema, paginate
from union_saas.extensions import db
from union_saas.polls import schemas, services, tasks
from union_saas.polls.schemas import entry_doc, poll_doc

blp = Blueprint("polls_api", __name__, url_prefix="/api/v1", description="Polls and contests")


def _voted(poll_ids):
    person, _m = services.person_of(db.session, current_user)
    return services.voted_polls(db.session, current_user, person, poll_ids)


# --- create and find ------------------------------------------------------------------------------

@blp.route("/tenants/<slug>/polls", methods=["POST"])
@blp.arguments(schemas.PollCreateSchema)
@blp.response(201, schemas.PollSchema)
@blp.alt_response(422, description="Fewer than 2 options (not a contest), max_choices beyond the options, "
                                   "closes before opens")
@tenant_view("poll.manage")
def create_poll(data, tenant):
    poll = services.create_poll(db.session, current_user, tenant, data)
    services.load_options(db.session, poll)
    return poll_doc(poll, utcnow())


@blp.route("/tenants/<slug>/polls", methods=["GET"])
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(schemas.PollSchema))
@tenant_view("poll.manage")
def list_managed(args, tenant):
    """Polls of this union and every union below it."""
    page = paginate(db.session, services.manage_stmt(tenant), args["page"], args["per_page"])
    now = utcnow()
    return page.doc([poll_doc(p, now) for p in page.items])


@blp.route("/polls", methods=["GET"])
@blp.arguments(schemas.PollListArgs, location="query")
@blp.response(200, page_schema(schemas.PollSchema))
@signed_in
def list_polls(args):
    """The polls visible to the caller (``open=1``: those open now), open ones first."""
    v = services.viewer(db.session, current_user)
    page = paginate(db.session, services.feed_stmt(v, open_only=args["open"]), args["page"], args["per_page"])
    voted, now = _voted([p.id for p in page.items]), utcnow()
    return page.doc([poll_doc(p, now, voted=p.id in voted) for p in page.items])


@blp.route("/polls/<int:poll_id>", methods=["GET"])
@blp.response(200, schemas.PollSchema)
@record_view("poll")
def get_poll(poll):
    services.load_options(db.session, poll)
    return poll_doc(poll, utcnow(), voted=poll.id in _voted([poll.id]))


# --- vote, results, receipts ------------------------------------------------------------------------

@blp.route("/polls/<int:poll_id>/votes", methods=["POST"])
@blp.arguments(schemas.VoteSchema)
@blp.response(201, schemas.ReceiptSchema)
@blp.alt_response(403, description="Not a verified member")
@blp.alt_response(409, description="Voted already (this person, from any account), or the poll is not open")
@blp.alt_response(422, description="Too many, no or unknown choices")
@record_view("poll")
def vote(data, poll):
    """One vote per person; the receipt is given once and kept with the ballot, never with the voter."""
    receipt = services.vote(db.session, services.viewer(db.session, current_user), poll, data["choices"])
    return {"receipt": receipt}


@blp.route("/polls/<int:poll_id>/results", methods=["GET"])
@blp.response(200, schemas.ResultsSchema)
@blp.alt_response(403, description="An after_close poll still open (its organisers always see them)")
@record_view("poll")
def results(poll):
    now = utcnow()
    services.check_results_visible(current_user, poll, now)
    services.load_options(db.session, poll)
    return {**services.results(db.session, poll), "formula": services.formula(poll), "status": poll.phase(now),
            "annulled": poll.status == "annulled"}


@blp.route("/polls/<int:poll_id>/receipts", methods=["GET"])
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(schemas.ReceiptSchema))
@blp.alt_response(403, description="Not closed yet")
@record_view("poll")
def receipts(args, poll):
    """Every ballot's receipt (no names, in no order of time): ``total`` equals ``voters``."""
    services.check_receipts_visible(poll)
    page = paginate(db.session, services.receipts_stmt(poll), args["page"], args["per_page"])
    return page.doc([{"receipt": r} for r in page.items])


# --- contests -----------------------------------------------------------------------------------

@blp.route("/polls/<int:poll_id>/entries", methods=["POST"])
@blp.arguments(schemas.EntryInSchema)
@blp.response(201, schemas.EntrySchema)
@blp.alt_response(403, description="Not a verified member")
@blp.alt_response(409, description="Not a contest, or not open")
@record_view("poll")
def submit_entry(data, poll):
    """An entry waits for an organiser's approval; its photo: ``POST /poll-entries/<id>/photo``."""
    return entry_doc(services.submit_entry(db.session, services.viewer(db.session, current_user), poll, data))


@blp.route("/polls/<int:poll_id>/entries", methods=["GET"])
@blp.arguments(schemas.EntryListArgs, location="query")
@blp.response(200, page_schema(schemas.EntrySchema))
@record_view("poll", services.MANAGE)
def list_entries(args, poll):
    page = paginate(db.session, services.entries_stmt(poll, status=args.get("status")), args["page"],
                    args["per_page"])
    return page.doc([entry_doc(e) for e in page.items])


@blp.route("/poll-entries/<int:poll_entry_id>/photo", methods=["POST"])
@blp.arguments(schemas.FileSchema, location="files")
@blp.response(200, schemas.EntrySchema)
@blp.alt_response(403, description="Not its author")
@blp.alt_response(409, description="Decided already")
@record_view("poll_entry")
def entry_photo(files, poll_entry):
    return entry_doc(services.set_entry_photo(db.session, current_user, poll_entry, files["file"]))


@blp.route("/poll-entries/<int:poll_entry_id>/approve", methods=["POST"])
@blp.response(200, schemas.OptionSchema)
@blp.alt_response(409, description="Decided already")
@record_view("poll_entry", services.MANAGE)
def approve_entry(poll_entry):
    """The entry becomes an option of its contest."""
    return schemas.option_doc(services.approve_entry(db.session, current_user, poll_entry))


@blp.route("/poll-entries/<int:poll_entry_id>/reject", methods=["POST"])
@blp.arguments(schemas.EntryDecisionSchema)
@blp.response(200, schemas.EntrySchema)
@blp.alt_response(409, description="Decided already")
@record_view("poll_entry", services.MANAGE)
def reject_entry(data, poll_entry):
    return entry_doc(services.reject_entry(db.session, current_user, poll_entry, data.get("reason")))


@blp.route("/polls/<int:poll_id>/jury", methods=["PUT"])
@blp.arguments(schemas.JurySchema)
@blp.response(200, schemas.ResultsSchema)
@blp.alt_response(409, description="Not a contest with a jury")
@record_view("poll", services.MANAGE)
def set_jury(data, poll):
    """The jury's scores (0-100) of the entries; the results apply the published formula."""
    services.set_jury(db.session, current_user, poll, {s["option"]: s["score"] for s in data["scores"]})
    return {**services.results(db.session, poll), "formula": services.formula(poll),
            "status": poll.phase(utcnow()), "annulled": poll.status == "annulled"}


@blp.route("/poll-options/<int:poll_option_id>/image", methods=["POST"])
@blp.arguments(schemas.FileSchema, location="files")
@blp.response(200, schemas.OptionSchema)
@record_view("poll_option", services.MANAGE)
def option_image(files, poll_option):
    return schemas.option_doc(services.set_option_image(db.session, poll_option, files["file"]))


# --- integrity and export -----------------------------------------------------------------------------

@blp.route("/polls/<int:poll_id>/bursts", methods=["GET"])
@blp.response(200, schemas.BurstsSchema)
@record_view("poll", services.MANAGE)
def bursts(poll):
    """Minutes with many votes from new memberships (flagged for the organisers)."""
    return {"items": services.bursts(db.session, poll), "threshold": services.BURST_VOTES}


@blp.route("/polls/<int:poll_id>/annul", methods=["POST"])
@blp.arguments(schemas.AnnulSchema)
@blp.response(200, schemas.AnnulResultSchema)
@blp.alt_response(409, description="Annulled already")
@record_view("poll", services.MANAGE)
def annul(data, poll):
    """Votes are never removed: the whole poll is annulled, and everyone who voted is told why."""
    return {"told": services.annul(db.session, current_user, poll, data["reason"])}


@blp.route("/polls/<int:poll_id>/export", methods=["POST"])
@blp.response(202, schemas.JobAcceptedSchema)
@record_view("poll", services.MANAGE)
def export(poll):
    record = jobs.submit(db.session, tasks.export_results, poll.id, owner=current_user, tenant=poll.tenant)
    return {"job": record.id}


@blp.route("/me/votes", methods=["GET"])
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(schemas.MyVoteSchema))
@signed_in
def my_votes(args):
    """The polls I voted in (this person, any account): that I voted, never what."""
    person, _m = services.person_of(db.session, current_user)
    page = paginate(db.session, services.my_votes_stmt(current_user, person), args["page"], args["per_page"])
    now = utcnow()
    return page.doc([{"poll": poll_doc(p, now, voted=True)} for p in page.items])
