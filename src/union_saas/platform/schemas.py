"""API shapes of the operator's area."""
import marshmallow as ma
from flask_babel import lazy_gettext as _l

from union_saas.core.pagination import PageArgs


class FindArgs(PageArgs):
    q = ma.fields.String(load_default="", validate=ma.validate.Length(max=60),
                         metadata={"description": "A username, a name, a phone number or a whole ID number"})


class LockSchema(ma.Schema):
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=500),
                              metadata={"description": "Why (kept in the audit log)"})


class AccountMembership(ma.Schema):
    tenant = ma.fields.String(required=True)
    tenant_name = ma.fields.String(required=True)
    status = ma.fields.String(required=True)


class AccountSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    username = ma.fields.String(required=True)
    display_name = ma.fields.String(required=True)
    phone_masked = ma.fields.String(required=True)
    id_masked = ma.fields.String(allow_none=True)
    membership = ma.fields.Nested(AccountMembership, allow_none=True)
    is_operator = ma.fields.Boolean(required=True)
    locked = ma.fields.Boolean(required=True)
    created_at = ma.fields.AwareDateTime(required=True)
    last_login_at = ma.fields.AwareDateTime(allow_none=True)


class PlatformCountsSchema(ma.Schema):
    federations = ma.fields.Integer(required=True)
    unions = ma.fields.Integer(required=True)
    accounts = ma.fields.Integer(required=True)
    signed_in_30_days = ma.fields.Integer(required=True)
    locked = ma.fields.Integer(required=True)
    members = ma.fields.Integer(required=True)
    pending_memberships = ma.fields.Integer(required=True)
    activities = ma.fields.Integer(required=True)
    notices = ma.fields.Integer(required=True)
    tasks = ma.fields.Integer(required=True)
    live_sessions = ma.fields.Integer(required=True)


def strip(data):
    return {k: v.strip() for k, v in data.items() if isinstance(v, str) and v.strip()}


NO_REASON = _l("Say why the account is locked.")
