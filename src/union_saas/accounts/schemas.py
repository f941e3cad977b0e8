"""Accounts' API input and output."""
import marshmallow as ma


class RegisterSchema(ma.Schema):
    username = ma.fields.String(required=True, validate=ma.validate.Length(min=3, max=32))
    password = ma.fields.String(required=True, load_only=True, validate=ma.validate.Length(min=1, max=128))
    display_name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=60))
    phone = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=20))


class TokenRequestSchema(ma.Schema):
    username = ma.fields.String(required=True, validate=ma.validate.Length(max=64))
    password = ma.fields.String(required=True, load_only=True, validate=ma.validate.Length(max=256))


class LogoutSchema(ma.Schema):
    everywhere = ma.fields.Boolean(load_default=False)


class PasswordChangeSchema(ma.Schema):
    current_password = ma.fields.String(required=True, load_only=True, validate=ma.validate.Length(max=256))
    new_password = ma.fields.String(required=True, load_only=True, validate=ma.validate.Length(max=256))


class TokenSchema(ma.Schema):
    token = ma.fields.String(required=True)
    expires_at = ma.fields.AwareDateTime(required=True)


class UserSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    username = ma.fields.String(required=True)
    display_name = ma.fields.String(required=True)
    phone = ma.fields.String(allow_none=True)


class MeGrantSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    role = ma.fields.String(required=True)
    tenant = ma.fields.String(required=True)


class MembershipBriefSchema(ma.Schema):
    tenant = ma.fields.String(required=True)
    status = ma.fields.String(required=True)


class MeSchema(UserSchema):
    membership = ma.fields.Nested(MembershipBriefSchema, allow_none=True)
    grants = ma.fields.List(ma.fields.Nested(MeGrantSchema), required=True)
    is_operator = ma.fields.Boolean()


