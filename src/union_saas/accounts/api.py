"""Accounts API: register, token, me."""
from flask import current_app, g
from flask_babel import gettext as _
from flask_login import current_user

from union_saas.access import engine
from union_saas.access.guards import public, signed_in
from union_saas.accounts import auth, reset, schemas, services
from union_saas.accounts.services import ME_FIELDS
from union_saas.core.api import Blueprint
from union_saas.core.errors import Unauthenticated
from union_saas.core.web import signing_key
from union_saas.extensions import db

blp = Blueprint("accounts_api", __name__, url_prefix="/api/v1", description="Accounts and sign-in")



@blp.route("/auth/register", methods=["POST"])
@blp.arguments(schemas.RegisterSchema)
@blp.response(201, schemas.UserSchema)
@blp.alt_response(409, description="Username taken")
@blp.alt_response(422, description="Weak password or bad field")
@blp.alt_response(429, description="Too many registrations from this address")
@auth.register_limits
@public
def register(data):
    return services.register(db.session, hash_method=current_app.config["PASSWORD_HASH_METHOD"],
                             display_name=data.pop("display_name"), **data)


@blp.route("/auth/token", methods=["POST"])
@auth.sign_in_limits
@blp.arguments(schemas.TokenRequestSchema)
@blp.response(200, schemas.TokenSchema)
@blp.alt_response(401, description="Wrong username or password")
@blp.alt_response(429, description="Too many failed attempts")
@public
def token(data):
    user = services.authenticate(db.session, data["username"], data["password"],
                                 current_app.config["PASSWORD_HASH_METHOD"])
    if user is None:
        raise Unauthenticated(_("Wrong username or password."))
    token, expires_at = services.issue_token(db.session, user, current_app.config["TOKEN_MAX_AGE"])
    g.device_for = user.username
    return {"token": token, "expires_at": expires_at}


@blp.route("/auth/logout", methods=["POST"])
@blp.arguments(schemas.LogoutSchema)
@blp.response(204)
@blp.alt_response(401, description="Not signed in")
@signed_in
def logout(data):
    """End the token used (401 from then on); with ``everywhere``, every token and page session of the user."""
    if data.get("everywhere"):
        services.end_sessions(db.session, current_user)
    else:
        services.end_session(db.session, g.auth_session_id)


@blp.route("/me/password", methods=["POST"])
@blp.arguments(schemas.PasswordChangeSchema)
@blp.response(204)
@blp.alt_response(401, description="Not signed in")
@blp.alt_response(422, description="Wrong current password, or a weak new one")
@signed_in
def change_password(data):
    """A new password; every other token and page session of the user ends (this token stays)."""
    services.change_password(db.session, current_user._get_current_object(), data["current_password"],
                             data["new_password"], current_app.config["PASSWORD_HASH_METHOD"],
                             keep=g.auth_session_id)


@blp.route("/me", methods=["GET"])
@blp.response(200, schemas.MeSchema)
@blp.alt_response(401, description="Not signed in")
@signed_in
def me():
    user = current_user._get_current_object()
    # The live grants the user loader read with the user (no query of its own).
    grants = [{"id": g.id, "role": g.role, "tenant": g.tenant_slug}
              for g in sorted(engine.subject(user).grants, key=lambda g: g.id)]
    body = {"id": user.id, "username": user.username, "display_name": user.display_name, "phone": user.phone,
            "email": user.email, "is_operator": user.is_operator, "grants": grants, "membership": None}
    for name, fn in ME_FIELDS.items():
        body[name] = fn(user)
    return body


@blp.route("/me", methods=["PATCH"])
@blp.arguments(schemas.ProfileSchema)
@blp.response(200, schemas.MeSchema)
@blp.alt_response(401, description="Not signed in")
@signed_in
def update_me(data):
    """Change my display name, mobile number or e-mail address."""
    services.update_profile(db.session, current_user._get_current_object(), data)
    return me()


@blp.route("/auth/password/forgot", methods=["POST"])
@blp.arguments(schemas.ForgotSchema)
@blp.response(202, schemas.ForgotAnswerSchema)
@blp.alt_response(429, description="Too many codes asked for, from this address or for this account")
@auth.reset_limits
@public
def forgot_password(data):
    """A one-time code to the account's mobile (or mail): the same answer whether the account exists or not."""
    reset.send_code(data["username"])
    return {"sent": True, "expires_in": services.RESET_CODE_MINUTES * 60}


@blp.route("/auth/password/reset", methods=["POST"])
@blp.arguments(schemas.ResetSchema)
@blp.response(204)
@blp.alt_response(422, description="A wrong, used or expired code (errors.code), or a weak password")
@blp.alt_response(429, description="Too many tries, from this address or for this account")
@auth.reset_limits
@public
def reset_password(data):
    """A new password with the code; every session and token of the account ends."""
    services.reset_with_code(db.session, signing_key(), data["username"], data["code"], data["new_password"],
                             current_app.config["PASSWORD_HASH_METHOD"])
