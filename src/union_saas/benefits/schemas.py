"""Benefits API shapes (API.md, "Benefits: giveaways and subsidies"); the pages validate with the same schemas."""
from decimal import Decimal

import marshmallow as ma
from flask import url_for
from flask_babel import lazy_gettext as _l

from union_saas.activities.schemas import no_html
from union_saas.benefits.models import CLAIM_STATUSES, ENTRY_STATUSES, METHODS, PHASES
from union_saas.core.db import utcnow
from union_saas.tenancy.content import SCOPES
from union_saas.tenancy.schemas import JobAcceptedSchema  # noqa: F401 - one schema of that name in OpenAPI

AMOUNT_ERROR = _l("An amount in yuan above zero, at most two decimals.")


def two_decimals(value):
    if (not value.is_finite() or value.as_tuple().exponent < -2 or value < Decimal("0.01")
            or value > Decimal("9999999999.99")):
        raise ma.ValidationError(str(AMOUNT_ERROR))


AMOUNT = {"as_string": True, "validate": two_decimals}
# Amounts are answered as text with two decimals ("12.50"): exact, as money should be.
MONEY_TEXT = {"type": "string", "format": "decimal", "example": "12.50"}


class GiveawayCreateSchema(ma.Schema):
    title = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=120))
    description = ma.fields.String(load_default="", validate=[ma.validate.Length(max=20_000), no_html])
    quantity = ma.fields.Integer(required=True, validate=ma.validate.Range(
        min=1, max=1_000_000, error=_l("At least 1.")))
    method = ma.fields.String(required=True, validate=ma.validate.OneOf(METHODS))
    scope = ma.fields.String(load_default="tenant", validate=ma.validate.OneOf(SCOPES))
    opens_at = ma.fields.AwareDateTime(required=True)
    closes_at = ma.fields.AwareDateTime(required=True)
    claim_by = ma.fields.AwareDateTime(load_default=None, allow_none=True,
                                       metadata={"description": "lotteries: winners claim by then, else the reserve"})


class GiveawaySchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    tenant = ma.fields.String(required=True)
    tenant_name = ma.fields.String()
    title = ma.fields.String(required=True)
    description = ma.fields.String(required=True)
    description_html = ma.fields.String()
    image_url = ma.fields.String(allow_none=True)
    quantity = ma.fields.Integer(required=True)
    method = ma.fields.String(required=True, validate=ma.validate.OneOf(METHODS))
    scope = ma.fields.String(required=True, validate=ma.validate.OneOf(SCOPES))
    opens_at = ma.fields.DateTime(required=True)
    closes_at = ma.fields.DateTime(required=True)
    claim_by = ma.fields.DateTime(allow_none=True)
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(PHASES))
    entries_count = ma.fields.Integer(required=True)
    winners_count = ma.fields.Integer(required=True)
    remaining = ma.fields.Integer(metadata={"description": "tickets left (first-come)"})
    commitment = ma.fields.String(allow_none=True, required=True,
                                  metadata={"description": "sha256(secret), hex; null for first_come"})
    my_entry = ma.fields.Dict(allow_none=True, metadata={"description": "{entry_code, status} of the caller"})


class ListArgs(ma.Schema):
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=1_000_000))
    per_page = ma.fields.Integer(load_default=50, validate=ma.validate.Range(min=1, max=200))
    upcoming = ma.fields.Boolean(load_default=False, metadata={"description": "only scheduled or open ones"})


class TicketSchema(ma.Schema):
    code = ma.fields.String(required=True, metadata={"description": "what the QR holds (with the redeem link)"})
    url = ma.fields.String(required=True)
    seat = ma.fields.Integer(required=True)
    redeemed_at = ma.fields.DateTime(allow_none=True)


class EntryResultSchema(ma.Schema):
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(ENTRY_STATUSES))
    entry_code = ma.fields.String(required=True)
    ticket = ma.fields.Nested(TicketSchema, allow_none=True)


class MyEntrySchema(EntryResultSchema):
    rank = ma.fields.Integer(allow_none=True)


class MyEntryItemSchema(MyEntrySchema):
    giveaway = ma.fields.Nested(GiveawaySchema, required=True)


class DrawSchema(ma.Schema):
    commitment = ma.fields.String(required=True)
    seed = ma.fields.String(required=True)
    entries_hash = ma.fields.String(required=True)
    quantity = ma.fields.Integer(required=True)
    ranking = ma.fields.List(ma.fields.String(), required=True)
    winners = ma.fields.List(ma.fields.String(), required=True)


class ClaimResultSchema(ma.Schema):
    ticket = ma.fields.Nested(TicketSchema, required=True)


class RedeemSchema(ma.Schema):
    code = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=1000),
                            metadata={"description": "the ticket's code, or the link its QR holds"})


class RedeemResultSchema(ma.Schema):
    giveaway = ma.fields.Nested(GiveawaySchema, required=True)
    name_masked = ma.fields.String(required=True)
    seat = ma.fields.Integer(required=True)
    redeemed_at = ma.fields.DateTime(required=True)


class ImageSchema(ma.Schema):
    file = ma.fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


# --- subsidies ----------------------------------------------------------------------------------------

class SubsidyClaimCreateSchema(ma.Schema):
    amount_requested = ma.fields.Decimal(required=True, **AMOUNT)
    note = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=1000))


class ApproveSchema(ma.Schema):
    amount_granted = ma.fields.Decimal(required=True, **AMOUNT)


class RejectSchema(ma.Schema):
    reason = ma.fields.String(required=True, validate=ma.validate.Length(
        min=1, max=1000, error=_l("Say why, in at most 1000 characters.")))


class EvidenceSchema(ma.Schema):
    confirmed = ma.fields.Integer(required=True)
    checked_in = ma.fields.Integer(required=True)


class SubsidyClaimSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    activity = ma.fields.Integer(required=True)
    activity_title = ma.fields.String()
    tenant = ma.fields.String(required=True)
    tenant_name = ma.fields.String()
    amount_requested = ma.fields.Decimal(required=True, as_string=True, metadata=MONEY_TEXT)
    amount_granted = ma.fields.Decimal(allow_none=True, as_string=True, metadata=MONEY_TEXT)
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(CLAIM_STATUSES))
    note = ma.fields.String(allow_none=True)
    reason = ma.fields.String(allow_none=True)
    evidence = ma.fields.Nested(EvidenceSchema, required=True)
    created_at = ma.fields.DateTime(required=True)
    decided_at = ma.fields.DateTime(allow_none=True)


class ClaimListArgs(ma.Schema):
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=1_000_000))
    per_page = ma.fields.Integer(load_default=50, validate=ma.validate.Range(min=1, max=200))
    status = ma.fields.String(validate=ma.validate.OneOf(CLAIM_STATUSES))


class TotalsSchema(ma.Schema):
    requested = ma.fields.Decimal(required=True, as_string=True, metadata=MONEY_TEXT)
    granted = ma.fields.Decimal(required=True, as_string=True, metadata=MONEY_TEXT)


class BreakdownSchema(ma.Schema):
    year = ma.fields.Integer(required=True)
    tenant = ma.fields.String(required=True)
    own = ma.fields.Boolean(required=True)
    claims = ma.fields.Integer(required=True)
    requested = ma.fields.Decimal(required=True, as_string=True, metadata=MONEY_TEXT)
    granted = ma.fields.Decimal(required=True, as_string=True, metadata=MONEY_TEXT)
    waiting = ma.fields.Integer(required=True)


class ClaimPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(SubsidyClaimSchema), required=True)
    page = ma.fields.Integer(required=True)
    per_page = ma.fields.Integer(required=True)
    total = ma.fields.Integer(required=True)
    totals = ma.fields.Nested(TotalsSchema, required=True)
    by_year_and_union = ma.fields.List(ma.fields.Nested(BreakdownSchema), required=True)


# --- presenters: what pages and API show of a record ------------------------------------------------------

def ticket_doc(ticket):
    return {"code": ticket.code, "url": url_for("benefits.redeem_link", code=ticket.code, _external=True),
            "seat": ticket.seat, "redeemed_at": ticket.redeemed_at}


def entry_doc(entry, giveaway):
    from union_saas.benefits.services import entry_status

    return {"entry_code": entry.entry_code, "status": entry_status(entry, giveaway), "rank": entry.rank,
            "ticket": ticket_doc(entry.ticket) if entry.ticket is not None else None}


def giveaway_doc(giveaway, entry=None, now=None):
    """A giveaway as API.md gives it (its ``tenant`` loaded), with the caller's entry."""
    now = now or utcnow()
    return {
        "id": giveaway.id, "tenant": giveaway.tenant.slug, "tenant_name": giveaway.tenant.name,
        "title": giveaway.title, "description": giveaway.description, "description_html": giveaway.description_html,
        "image_url": url_for("benefits.image", giveaway_id=giveaway.id, v=giveaway.image_id) if giveaway.image_id
        else None,
        "quantity": giveaway.quantity, "method": giveaway.method, "scope": giveaway.scope,
        "opens_at": giveaway.opens_at, "closes_at": giveaway.closes_at, "claim_by": giveaway.claim_by,
        "status": giveaway.phase(now), "entries_count": giveaway.entries_count,
        "winners_count": giveaway.winners_count, "remaining": max(0, giveaway.quantity - giveaway.tickets_count),
        "commitment": giveaway.commitment,
        "my_entry": entry_doc(entry, giveaway) if entry is not None else None,
    }


def claim_doc(claim):
    """A subsidy claim (``activity`` and ``tenant`` loaded)."""
    return {"id": claim.id, "activity": claim.activity_id, "activity_title": claim.activity.title,
            "tenant": claim.tenant.slug, "tenant_name": claim.tenant.name,
            "amount_requested": claim.amount_requested, "amount_granted": claim.amount_granted,
            "status": claim.status, "note": claim.note, "reason": claim.reason,
            "evidence": {"confirmed": claim.evidence_confirmed, "checked_in": claim.evidence_checked_in},
            "created_at": claim.created_at, "decided_at": claim.decided_at}
