"""Grants, roles, explain and audit shapes (API.md, Grants)."""
import marshmallow as ma


class GrantSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    user = ma.fields.String(required=True)
    role = ma.fields.String(required=True)
    tenant = ma.fields.String(required=True)
    granted_by = ma.fields.String(allow_none=True, required=True)
    created_at = ma.fields.AwareDateTime(required=True)


class GrantCreateSchema(ma.Schema):
    username = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    role = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=40))


class GrantListArgs(ma.Schema):
    include = ma.fields.String(validate=ma.validate.OneOf(["subtree"]))
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=1_000_000))
    per_page = ma.fields.Integer(load_default=50, validate=ma.validate.Range(min=1, max=200))


class RoleSchema(ma.Schema):
    name = ma.fields.String(required=True)
    label = ma.fields.String(required=True)
    labels = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())
    permissions = ma.fields.List(ma.fields.String(), required=True)
    kinds = ma.fields.List(ma.fields.String(), required=True)


class RoleListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(RoleSchema), required=True)


class ExplainArgs(ma.Schema):
    username = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    permission = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))


class ExplainGrantSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    role = ma.fields.String(required=True)
    tenant = ma.fields.String(required=True)
    granted_by = ma.fields.String(allow_none=True, required=True)


class ExplainSchema(ma.Schema):
    allowed = ma.fields.Boolean(required=True)
    grant = ma.fields.Nested(ExplainGrantSchema, allow_none=True, required=True)


class AuditEntrySchema(ma.Schema):
    at = ma.fields.AwareDateTime(required=True)
    actor = ma.fields.String(allow_none=True, required=True)
    action = ma.fields.String(required=True)
    target = ma.fields.String(allow_none=True, required=True)
    tenant = ma.fields.String(allow_none=True)
    detail = ma.fields.Dict(required=True)
    text = ma.fields.String(required=True, metadata={"description": "What happened, as a sentence in the "
                                                                    "caller's language"})


def grant_doc(grant):
    return {"id": grant.id, "user": grant.user.username, "role": grant.role, "tenant": grant.tenant.slug,
            "granted_by": grant.granted_by.username if grant.granted_by else None, "created_at": grant.created_at}
