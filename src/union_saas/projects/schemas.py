"""API shapes of calls for community projects (API.md); the pages validate their forms with the same schemas.

Amounts are yuan in and out (numbers with at most two decimals), fen inside: ``Yuan`` reads a number or
a numeric string exactly (through ``Decimal``, never a float) and gives fen.
"""
from decimal import Decimal, InvalidOperation

import marshmallow as ma
from flask_babel import lazy_gettext as _l

from union_saas.core.pagination import PageArgs
from union_saas.projects.models import (
    CALL_STATUSES,
    MILESTONE_STATUSES,
    PROPOSAL_STATUSES,
    yuan,
)
from union_saas.tenancy.schemas import JobAcceptedSchema  # noqa: F401 - one schema of that name in OpenAPI

TITLE = ma.validate.Length(min=1, max=120)
TEXT = ma.validate.Length(max=20_000)
MAX_YUAN = Decimal("1000000000")


class Yuan(ma.fields.Field):
    """Yuan with at most two decimals, as integer fen."""

    def __init__(self, *args, positive=True, **kwargs):
        kwargs.setdefault("metadata", {}).update({"type": "number", "description": "yuan, at most two decimals"})
        super().__init__(*args, **kwargs)
        self.positive = positive

    def _serialize(self, value, attr, obj, **kwargs):
        return yuan(value)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ma.ValidationError(str(_l("Give an amount in yuan, such as 5000 or 1234.50.")))
        try:
            amount = Decimal(str(value).strip().replace(",", ""))
        except InvalidOperation:
            raise ma.ValidationError(str(_l("Give an amount in yuan, such as 5000 or 1234.50."))) from None
        if not amount.is_finite() or amount <= 0 or amount > MAX_YUAN:
            raise ma.ValidationError(str(_l("The amount must be above 0 and at most 1,000,000,000 yuan.")))
        if amount != amount.quantize(Decimal("0.01")):
            raise ma.ValidationError(str(_l("At most two decimals (fen).")))
        return int(amount * 100)


class TierIn(ma.Schema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=60))
    amount = Yuan(required=True)


class CriterionIn(ma.Schema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=120))
    weight = ma.fields.Integer(required=True, validate=ma.validate.Range(min=1, max=100))


class CallCreateSchema(ma.Schema):
    title = ma.fields.String(required=True, validate=TITLE)
    description = ma.fields.String(load_default="", validate=TEXT)
    budget_total = Yuan(required=True)
    tiers = ma.fields.List(ma.fields.Nested(TierIn), required=True, validate=ma.validate.Length(max=10))
    criteria = ma.fields.List(ma.fields.Nested(CriterionIn), required=True, validate=ma.validate.Length(max=12),
                              metadata={"description": "weights add up to 100"})
    opens_at = ma.fields.AwareDateTime(required=True)
    closes_at = ma.fields.AwareDateTime(required=True)
    review_closes_at = ma.fields.AwareDateTime(required=True)
    status = ma.fields.String(load_default="published", validate=ma.validate.OneOf(("draft", "published")))


class TierSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    amount = ma.fields.Float(required=True, metadata={"description": "yuan"})


class CriterionSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    weight = ma.fields.Integer(required=True)


class CallSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    tenant = ma.fields.String(required=True)
    tenant_name = ma.fields.String()
    title = ma.fields.String(required=True)
    description = ma.fields.String(required=True)
    budget_total = ma.fields.Float(required=True, metadata={"description": "yuan"})
    granted_total = ma.fields.Float(required=True, metadata={"description": "yuan"})
    tiers = ma.fields.List(ma.fields.Nested(TierSchema), required=True)
    criteria = ma.fields.List(ma.fields.Nested(CriterionSchema), required=True)
    opens_at = ma.fields.DateTime(required=True)
    closes_at = ma.fields.DateTime(required=True)
    review_closes_at = ma.fields.DateTime(required=True)
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(CALL_STATUSES))
    proposal_count = ma.fields.Integer()


class CallListArgs(PageArgs):
    open = ma.fields.Boolean(load_default=False, metadata={"description": "only calls taking proposals now"})


class ProposalListArgs(PageArgs):
    status = ma.fields.String(validate=ma.validate.OneOf(PROPOSAL_STATUSES))


class ProposalFields(ma.Schema):
    title = ma.fields.String(validate=TITLE)
    summary = ma.fields.String(validate=ma.validate.Length(max=2000))
    plan = ma.fields.String(validate=TEXT)
    budget_requested = Yuan()
    tier = ma.fields.Integer(validate=ma.validate.Range(min=1, max=2**31 - 1))


class ProposalCreateSchema(ProposalFields):
    tenant = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64),
                              metadata={"description": "the proposing union (slug)"})
    title = ma.fields.String(required=True, validate=TITLE)
    summary = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=2000))
    plan = ma.fields.String(load_default="", validate=TEXT)
    budget_requested = Yuan(required=True)
    tier = ma.fields.Integer(required=True, validate=ma.validate.Range(min=1, max=2**31 - 1))


class ProposalPatchSchema(ProposalFields):
    pass


class ProjectAttachmentSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    filename = ma.fields.String(required=True)
    size = ma.fields.Integer(required=True)
    url = ma.fields.String(required=True)


class ProposalSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    call = ma.fields.Integer(required=True)
    tenant = ma.fields.String(required=True)
    tenant_name = ma.fields.String()
    title = ma.fields.String(required=True)
    summary = ma.fields.String()
    plan = ma.fields.String()
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(PROPOSAL_STATUSES))
    budget_requested = ma.fields.Float(required=True, metadata={"description": "yuan"})
    tier = ma.fields.Integer(required=True)
    awarded_tier = ma.fields.Integer(allow_none=True)
    granted = ma.fields.Float(metadata={"description": "yuan"})
    disbursed = ma.fields.Float(metadata={"description": "yuan"})
    score = ma.fields.Float(allow_none=True)
    created_at = ma.fields.DateTime()
    attachments = ma.fields.List(ma.fields.Nested(ProjectAttachmentSchema))


class ProjectFileSchema(ma.Schema):
    file = ma.fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class ReviewerIn(ma.Schema):
    username = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=80))


class ReviewerSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    username = ma.fields.String(required=True)
    display_name = ma.fields.String(required=True)


class ReviewIn(ma.Schema):
    scores = ma.fields.Dict(keys=ma.fields.Integer(validate=ma.validate.Range(min=1, max=2**31 - 1)),
                            values=ma.fields.Integer(required=True, strict=True, validate=ma.validate.Range(
                                min=0, max=10, error=_l("Each score is from 0 to 10."))),
                            required=True, metadata={"description": "criterion id -> 0..10"})
    comment = ma.fields.String(load_default="", validate=ma.validate.Length(max=4000))


class ReviewSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    proposal = ma.fields.Integer(required=True)
    reviewer = ma.fields.String(required=True)
    scores = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(), required=True)
    comment = ma.fields.String(required=True)
    updated_at = ma.fields.DateTime(required=True)


class RankedSchema(ProposalSchema):
    spread = ma.fields.Float(allow_none=True, metadata={"description": "highest minus lowest reviewer's total"})
    reviews = ma.fields.Integer(required=True)
    suggested_tier = ma.fields.Integer(allow_none=True)


class RankingSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(RankedSchema), required=True)
    total = ma.fields.Integer(required=True)
    budget_total = ma.fields.Float(required=True)
    suggested_total = ma.fields.Float(required=True)


class AwardIn(ma.Schema):
    proposal = ma.fields.Integer(required=True, validate=ma.validate.Range(min=1, max=2**31 - 1))
    tier = ma.fields.Integer(required=True, validate=ma.validate.Range(min=1, max=2**31 - 1))


class DecideIn(ma.Schema):
    awards = ma.fields.List(ma.fields.Nested(AwardIn), required=True, validate=ma.validate.Length(max=5000))


class MilestoneIn(ma.Schema):
    title = ma.fields.String(required=True, validate=TITLE)
    amount = Yuan(required=True)
    due_on = ma.fields.Date(required=True)


class ReportIn(ma.Schema):
    text = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=20_000))
    attachments = ma.fields.List(ma.fields.Integer(validate=ma.validate.Range(min=1, max=2**31 - 1)),
                                 load_default=list, validate=ma.validate.Length(max=20),
                                 metadata={"description": "ids of files uploaded to the proposal"})
    activities = ma.fields.List(ma.fields.Integer(validate=ma.validate.Range(min=1, max=2**31 - 1)),
                                load_default=list, validate=ma.validate.Length(max=50),
                                metadata={"description": "activities the project ran (their sign-ups, check-ins)"})


class ReturnIn(ma.Schema):
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=500))


class MilestoneSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    proposal = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)
    amount = ma.fields.Float(required=True)
    due_on = ma.fields.Date(required=True)
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(MILESTONE_STATUSES))
    report_text = ma.fields.String()
    activities = ma.fields.List(ma.fields.Integer())
    reason = ma.fields.String(allow_none=True)
    reported_at = ma.fields.DateTime(allow_none=True)
    approved_at = ma.fields.DateTime(allow_none=True)
    granted = ma.fields.Float(metadata={"description": "the project's grant"})
    disbursed = ma.fields.Float(metadata={"description": "the project's disbursed total"})


class LedgerItem(ma.Schema):
    proposal = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)
    tenant = ma.fields.String(required=True)
    tier = ma.fields.String(allow_none=True)
    granted = ma.fields.Float(required=True)
    disbursed = ma.fields.Float(required=True)
    remaining = ma.fields.Float(required=True)


class LedgerSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(LedgerItem), required=True)
    page = ma.fields.Integer(required=True)
    per_page = ma.fields.Integer(required=True)
    total = ma.fields.Integer(required=True)
    budget_total = ma.fields.Float(required=True)
    granted_total = ma.fields.Float(required=True)
    disbursed_total = ma.fields.Float(required=True)
    budget_left = ma.fields.Float(required=True)


class FundedSchema(ma.Schema):
    proposal = ma.fields.Integer(required=True)
    tenant = ma.fields.String(required=True)
    tenant_name = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    tier = ma.fields.String(allow_none=True)
    granted = ma.fields.Float(required=True)
    progress = ma.fields.Float(required=True, metadata={"description": "disbursed share of the grant, 0..1"})


# --- presenters --------------------------------------------------------------------------------------

def call_doc(call):
    """A call as API.md gives it (tenant, tiers and criteria loaded)."""
    return {"id": call.id, "tenant": call.tenant.slug, "tenant_name": call.tenant.name, "title": call.title,
            "description": call.description, "budget_total": yuan(call.budget_total),
            "granted_total": yuan(call.granted_total),
            "tiers": [{"id": t.id, "name": t.name, "amount": yuan(t.amount)} for t in call.tiers],
            "criteria": [{"id": c.id, "name": c.name, "weight": c.weight} for c in call.criteria],
            "opens_at": call.opens_at, "closes_at": call.closes_at, "review_closes_at": call.review_closes_at,
            "status": call.phase(), "proposal_count": call.proposal_count}


def attachment_doc(a):
    from flask import url_for

    return {"id": a.id, "filename": a.file.filename, "size": a.file.size,
            "url": url_for("projects_api.download_attachment", attachment_id=a.id)}


def proposal_doc(p, attachments=None):
    doc = {"id": p.id, "call": p.call_id, "tenant": p.tenant.slug, "tenant_name": p.tenant.name, "title": p.title,
           "summary": p.summary, "plan": p.plan, "status": p.status, "budget_requested": yuan(p.budget_requested),
           "tier": p.tier_id, "awarded_tier": p.awarded_tier_id, "granted": yuan(p.granted),
           "disbursed": yuan(p.disbursed), "score": p.score, "created_at": p.created_at}
    if attachments is not None:
        doc["attachments"] = [attachment_doc(a) for a in attachments]
    return doc


def review_doc(r):
    return {"id": r.id, "proposal": r.proposal_id, "reviewer": r.reviewer.username,
            "scores": {str(s.criterion_id): s.score for s in r.scores}, "comment": r.comment,
            "updated_at": r.updated_at}


def milestone_doc(m):
    return {"id": m.id, "proposal": m.proposal_id, "title": m.title, "amount": yuan(m.amount), "due_on": m.due_on,
            "status": m.status, "report_text": m.report_text, "activities": list(m.activity_ids or []),
            "reason": m.reason, "reported_at": m.reported_at, "approved_at": m.approved_at,
            "granted": yuan(m.proposal.granted), "disbursed": yuan(m.proposal.disbursed)}


def ledger_item(p):
    return {"proposal": p.id, "title": p.title, "tenant": p.tenant.slug,
            "tier": p.awarded_tier.name if p.awarded_tier else None, "granted": yuan(p.granted),
            "disbursed": yuan(p.disbursed), "remaining": yuan(p.remaining)}


def funded_doc(p):
    return {"proposal": p.id, "tenant": p.tenant.slug, "tenant_name": p.tenant.name, "title": p.title,
            "tier": p.awarded_tier.name if p.awarded_tier else None, "granted": yuan(p.granted),
            "progress": round(p.progress, 4)}
