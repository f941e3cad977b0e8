"""The e-member card's API input and output (API.md, Accounts), and its presenter."""
import marshmallow as ma


class CardSchema(ma.Schema):
    tenant = ma.fields.String(required=True, metadata={"description": "the slug of the member's union"})
    tenant_name = ma.fields.String(required=True)
    name_masked = ma.fields.String(required=True, metadata={"description": "the real name, masked: 张*"})
    member_since = ma.fields.AwareDateTime(required=True)
    member_no = ma.fields.String(allow_none=True, metadata={"description": "the number on the union's roster"})
    verified = ma.fields.Boolean(required=True, metadata={"description": "real name verified against the roster"})
    code = ma.fields.String(required=True, metadata={
        "description": "a signed code valid five minutes (what the card's QR shows); ask again for a fresh one"})
    expires_at = ma.fields.AwareDateTime(required=True, metadata={"description": "when ``code`` stops verifying"})


class VerifyRequestSchema(ma.Schema):
    code = ma.fields.String(required=True, metadata={"description": "the code of a member's card (its QR)"})


class VerifySchema(ma.Schema):
    valid = ma.fields.Boolean(required=True, metadata={
        "description": "false for an expired, forged or closed card, and for a member outside the caller's unions"})
    tenant = ma.fields.String(allow_none=True, required=True)
    tenant_name = ma.fields.String(allow_none=True)
    name_masked = ma.fields.String(allow_none=True, required=True)
    verified = ma.fields.Boolean()
    member_since = ma.fields.AwareDateTime()


def card_doc(card):
    return {k: card[k] for k in ("tenant", "tenant_name", "name_masked", "member_since", "member_no", "verified",
                                 "code", "expires_at")}
