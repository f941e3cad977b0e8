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
    email = ma.fields.String(allow_none=True)
    membership = ma.fields.Nested(MembershipBriefSchema, allow_none=True)
    grants = ma.fields.List(ma.fields.Nested(MeGrantSchema), required=True)
    is_operator = ma.fields.Boolean()




class ProfileSchema(ma.Schema):
    display_name = ma.fields.String(validate=ma.validate.Length(min=1, max=60))
    phone = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=20))
    email = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=120))


class ForgotSchema(ma.Schema):
    username = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))


class ResetSchema(ma.Schema):
    username = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    code = ma.fields.String(required=True, load_only=True, validate=ma.validate.Length(min=1, max=12))
    new_password = ma.fields.String(required=True, load_only=True, validate=ma.validate.Length(max=256))


class LinkResetSchema(ma.Schema):
    new_password = ma.fields.String(required=True, load_only=True, validate=ma.validate.Length(max=256))


class ForgotAnswerSchema(ma.Schema):
    sent = ma.fields.Boolean(required=True, metadata={
        "description": "always true: a code went to the account's phone (or mail) if such an account exists"})
    expires_in = ma.fields.Integer(required=True, metadata={"description": "seconds the code is valid"})


class ResetLinkSchema(ma.Schema):
    url = ma.fields.String(required=True, metadata={"description": "for the member to open (once, within the hour)"})
    expires_at = ma.fields.AwareDateTime(required=True)
