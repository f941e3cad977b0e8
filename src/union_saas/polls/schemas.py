"""Poll API shapes (API.md, Polls and contests); the pages validate their forms with the same schemas."""
import marshmallow as ma
from flask import url_for
from flask_babel import lazy_gettext as _l

from union_saas.core.db import utcnow
from union_saas.polls.models import ENTRY_STATUSES, KINDS, RESULTS
from union_saas.tenancy.content import REACH_STATES, SCOPES
from union_saas.tenancy.schemas import JobAcceptedSchema  # noqa: F401 - one schema of that name in OpenAPI

TITLE = ma.validate.Length(min=1, max=120)
LABEL = ma.validate.Length(min=1, max=120)
MAX_OPTIONS = 50


class OptionInSchema(ma.Schema):
    label = ma.fields.String(required=True, validate=LABEL)


class PollCreateSchema(ma.Schema):
    title = ma.fields.String(required=True, validate=TITLE)
    description = ma.fields.String(load_default="", validate=ma.validate.Length(max=5000))
    kind = ma.fields.String(load_default="single", validate=ma.validate.OneOf(KINDS))
    options = ma.fields.List(ma.fields.Nested(OptionInSchema), load_default=list,
                             validate=ma.validate.Length(max=MAX_OPTIONS),
                             metadata={"description": "[{label}]: at least two unless a contest (its options are "
                                                      "the approved entries)"})
    max_choices = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=MAX_OPTIONS))
    scope = ma.fields.String(load_default="tenant", validate=ma.validate.OneOf(SCOPES))
    opens_at = ma.fields.AwareDateTime(load_default=utcnow)
    closes_at = ma.fields.AwareDateTime(required=True)
    results = ma.fields.String(load_default="live", validate=ma.validate.OneOf(RESULTS))
    jury_weight = ma.fields.Integer(load_default=0, validate=ma.validate.Range(min=0, max=100), metadata={
        "description": "contests: the jury's share of the score, in percent (the rest is the public vote)"})


class OptionSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    label = ma.fields.String(required=True)
    image_url = ma.fields.String(allow_none=True)


class PollSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    tenant = ma.fields.String(required=True)
    tenant_name = ma.fields.String()
    title = ma.fields.String(required=True)
    description = ma.fields.String(required=True)
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(KINDS))
    options = ma.fields.List(ma.fields.Nested(OptionSchema), required=True)
    max_choices = ma.fields.Integer(required=True)
    scope = ma.fields.String(required=True, validate=ma.validate.OneOf(SCOPES))
    reach = ma.fields.String(allow_none=True, validate=ma.validate.OneOf(REACH_STATES))
    opens_at = ma.fields.DateTime(required=True)
    closes_at = ma.fields.DateTime(required=True)
    results = ma.fields.String(required=True, validate=ma.validate.OneOf(RESULTS))
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(("scheduled", "open", "closed")))
    annulled = ma.fields.Boolean(required=True)
    annul_reason = ma.fields.String(allow_none=True)
    jury_weight = ma.fields.Integer(required=True)
    formula = ma.fields.String(allow_none=True, metadata={"description": "contests: how the score is computed"})
    voted = ma.fields.Boolean(metadata={"description": "the caller (this person, any account) has voted"})


class PollListArgs(ma.Schema):
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=1_000_000))
    per_page = ma.fields.Integer(load_default=50, validate=ma.validate.Range(min=1, max=200))
    open = ma.fields.Boolean(load_default=False, metadata={"description": "only the polls open now"})


class VoteSchema(ma.Schema):
    choices = ma.fields.List(ma.fields.Integer(strict=True), required=True,
                             validate=ma.validate.Length(min=1, max=MAX_OPTIONS,
                                                         error=_l("Choose at least one option.")),
                             metadata={"description": "option ids"})


class ReceiptSchema(ma.Schema):
    receipt = ma.fields.String(required=True, metadata={"description": "given once: keep it to find your ballot"})


class ResultOptionSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    label = ma.fields.String(required=True)
    votes = ma.fields.Integer(required=True)
    share = ma.fields.Float(required=True, metadata={"description": "votes ÷ voters (0-1)"})
    image = ma.fields.Boolean()
    public_points = ma.fields.Float(metadata={"description": "contests: 100 × votes ÷ the most votes"})
    jury_score = ma.fields.Integer(allow_none=True, metadata={"description": "contests with a jury: 0-100"})
    score = ma.fields.Float(metadata={"description": "contests: the published formula applied"})


class ResultsSchema(ma.Schema):
    options = ma.fields.List(ma.fields.Nested(ResultOptionSchema), required=True)
    voters = ma.fields.Integer(required=True)
    eligible = ma.fields.Integer(required=True, metadata={"description": "verified members the scope reaches"})
    turnout = ma.fields.Float(required=True)
    jury_weight = ma.fields.Integer(required=True)
    public_weight = ma.fields.Integer(required=True)
    formula = ma.fields.String(allow_none=True)
    status = ma.fields.String(required=True)
    annulled = ma.fields.Boolean(required=True)


class EntryInSchema(ma.Schema):
    label = ma.fields.String(required=True, validate=LABEL)
    detail = ma.fields.String(load_default="", validate=ma.validate.Length(max=1000))
    link = ma.fields.Url(load_default=None, allow_none=True, schemes={"http", "https"},
                         validate=ma.validate.Length(max=500))


class EntrySchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    poll = ma.fields.Integer(required=True)
    label = ma.fields.String(required=True)
    detail = ma.fields.String(required=True)
    link = ma.fields.String(allow_none=True)
    photo_url = ma.fields.String(allow_none=True)
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(ENTRY_STATUSES))
    reason = ma.fields.String(allow_none=True)
    submitted_by = ma.fields.String(allow_none=True)
    created_at = ma.fields.DateTime(required=True)


class EntryListArgs(ma.Schema):
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=1_000_000))
    per_page = ma.fields.Integer(load_default=50, validate=ma.validate.Range(min=1, max=200))
    status = ma.fields.String(validate=ma.validate.OneOf(ENTRY_STATUSES))


class EntryDecisionSchema(ma.Schema):
    reason = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=500))


class AnnulSchema(ma.Schema):
    reason = ma.fields.String(required=True, validate=ma.validate.Length(max=500),
                              metadata={"description": "why: every voter reads it (required, not blank)"})


class AnnulResultSchema(ma.Schema):
    told = ma.fields.Integer(required=True)


class JuryScoreSchema(ma.Schema):
    option = ma.fields.Integer(required=True, strict=True)
    score = ma.fields.Integer(required=True, allow_none=True, validate=ma.validate.Range(min=0, max=100))


class JurySchema(ma.Schema):
    scores = ma.fields.List(ma.fields.Nested(JuryScoreSchema), required=True,
                            validate=ma.validate.Length(min=1, max=500))


class BurstSchema(ma.Schema):
    minute = ma.fields.DateTime(required=True)
    votes = ma.fields.Integer(required=True)
    new_members = ma.fields.Integer(required=True)


class BurstsSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(BurstSchema), required=True)
    threshold = ma.fields.Integer(required=True)


class FileSchema(ma.Schema):
    file = ma.fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class MyVoteSchema(ma.Schema):
    poll = ma.fields.Nested(PollSchema, required=True)


# --- presenters: what the pages and the API show of a record (one place for both) -------------------

def option_doc(option):
    return {"id": option.id, "label": option.label,
            "image_url": url_for("polls.option_image", poll_option_id=option.id, v=option.image_id)
            if option.image_id else None}


def poll_doc(poll, now, *, voted=None):
    """A poll as API.md gives it (its ``tenant`` and ``options`` loaded)."""
    from union_saas.polls.services import formula

    doc = {"id": poll.id, "tenant": poll.tenant.slug, "tenant_name": poll.tenant.name, "title": poll.title,
           "description": poll.description, "kind": poll.kind, "options": [option_doc(o) for o in poll.options],
           "max_choices": poll.max_choices, "scope": poll.scope, "reach": poll.reach, "opens_at": poll.opens_at,
           "closes_at": poll.closes_at, "results": poll.results, "status": poll.phase(now),
           "annulled": poll.status == "annulled", "annul_reason": poll.annul_reason,
           "jury_weight": poll.jury_weight, "formula": formula(poll)}
    if voted is not None:
        doc["voted"] = voted
    return doc


def entry_doc(entry):
    return {"id": entry.id, "poll": entry.poll_id, "label": entry.label, "detail": entry.detail, "link": entry.link,
            "photo_url": url_for("polls.entry_photo", poll_entry_id=entry.id, v=entry.photo_id)
            if entry.photo_id else None,
            "status": entry.status, "reason": entry.reason, "created_at": entry.created_at,
            "submitted_by": entry.submitted_by.display_name if "submitted_by" in entry.__dict__ else None}
