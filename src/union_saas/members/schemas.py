"""Membership API shapes (API.md, Membership and real-name verification)."""
import marshmallow as ma
from flask_babel import lazy_gettext as _l

from union_saas.core.pagination import PageArgs
from union_saas.members.models import KINDS, STATUSES
from union_saas.tenancy.schemas import SLUG


class JoinSchema(ma.Schema):
    """Field rules live in ``services.clean_identity`` (check digit, birth date): lengths only here."""

    real_name = ma.fields.String(required=True, validate=ma.validate.Length(max=60))
    id_number = ma.fields.String(required=True, load_only=True, validate=ma.validate.Length(max=40))
    phone = ma.fields.String(required=True, validate=ma.validate.Length(max=30))


class StatusSchema(ma.Schema):
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(STATUSES))
    id = ma.fields.Integer(required=True)
    tenant = ma.fields.String(required=True)


class DecisionSchema(ma.Schema):
    reason = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=500))


class TransferSchema(ma.Schema):
    tenant = ma.fields.String(required=True, validate=SLUG)


class MemberSchema(ma.Schema):
    """A membership as a union office sees it; the ID number masked (first 3, last 4)."""

    id = ma.fields.Integer(required=True)
    user = ma.fields.String(required=True)
    tenant = ma.fields.String(required=True)
    tenant_name = ma.fields.String(required=True)
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(STATUSES))
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(KINDS))
    real_name = ma.fields.String(allow_none=True)
    id_number = ma.fields.String(allow_none=True, metadata={"description": "masked: first 3 and last 4"})
    phone = ma.fields.String(allow_none=True)
    verified = ma.fields.Boolean(required=True)
    created_at = ma.fields.AwareDateTime(required=True)
    decided_at = ma.fields.AwareDateTime(allow_none=True)
    reason = ma.fields.String(allow_none=True)


class MyMembershipSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    tenant = ma.fields.String(required=True)
    tenant_name = ma.fields.String(required=True)
    status = ma.fields.String(required=True)
    kind = ma.fields.String(required=True)
    verified = ma.fields.Boolean(required=True)
    id_number = ma.fields.String(allow_none=True)
    created_at = ma.fields.AwareDateTime(required=True)
    decided_at = ma.fields.AwareDateTime(allow_none=True)
    reason = ma.fields.String(allow_none=True)


class MyMembershipListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(MyMembershipSchema), required=True)


class SensitiveSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    id_number = ma.fields.String(required=True)


class MemberListArgs(PageArgs):
    status = ma.fields.String(validate=ma.validate.OneOf(STATUSES))
    include = ma.fields.String(validate=ma.validate.OneOf(["subtree"]))
    union = ma.fields.String(validate=SLUG, metadata={"description": "a union of the subtree"})
    verified = ma.fields.Boolean()
    q = ma.fields.String(validate=ma.validate.Length(max=60), metadata={"description": "name or phone"})


class ExportSchema(ma.Schema):
    status = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.OneOf(STATUSES))
    include = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.OneOf(["subtree"]))
    union = ma.fields.String(load_default=None, allow_none=True, validate=SLUG)
    verified = ma.fields.Boolean(load_default=None, allow_none=True)
    q = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=60))


class FollowSchema(ma.Schema):
    tenant = ma.fields.String(required=True)
    following = ma.fields.Boolean(required=True)
    followers = ma.fields.Integer(required=True)
    members = ma.fields.Integer(required=True)


class FollowedSchema(ma.Schema):
    tenant = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    followed_at = ma.fields.AwareDateTime(required=True)


class FollowListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(FollowedSchema), required=True)


class ChildCountSchema(ma.Schema):
    tenant = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    active = ma.fields.Integer(required=True)
    pending = ma.fields.Integer(required=True)


class CountsSchema(ma.Schema):
    tenant = ma.fields.String(required=True)
    own = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(), required=True)
    subtree = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(), required=True)
    children = ma.fields.List(ma.fields.Nested(ChildCountSchema), required=True)


class UploadSchema(ma.Schema):
    file = ma.fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


from union_saas.tenancy.schemas import JobAcceptedSchema  # noqa: F401 - one schema for "202 {job}"


def member_doc(m):
    return {"id": m.id, "user": m.user.username, "tenant": m.tenant.slug, "tenant_name": m.tenant.name,
            "status": m.status, "kind": m.kind, "real_name": m.real_name, "id_number": m.id_masked,
            "phone": m.phone, "verified": m.verified, "created_at": m.created_at, "decided_at": m.decided_at,
            "reason": m.reason}


def my_doc(m):
    return {"id": m.id, "tenant": m.tenant.slug, "tenant_name": m.tenant.name, "status": m.status, "kind": m.kind,
            "verified": m.verified, "id_number": m.id_masked, "created_at": m.created_at,
            "decided_at": m.decided_at, "reason": m.reason}


STATUS_LABELS = {"pending": _l("Waiting for review"), "active": _l("Member"), "rejected": _l("Not accepted"),
                 "closed": _l("Ended")}
KIND_LABELS = {"join": _l("Join"), "transfer": _l("Transfer")}
