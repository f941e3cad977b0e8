"""Accounts API: register, token, me."""
from flask import current_app
from flask_babel import gettext as _
from flask_login import current_user

from union_saas.access import engine
from union_saas.access.guards import public, signed_in
from union_saas.accounts import auth, schemas, services
from union_saas.accounts.services import ME_FIELDS
from union_saas.core.api import Blueprint
from union_saas.core.errors import Unauthenticated
from union_saas.extensions import db, limiter

blp = Blueprint("accounts_api", __name__, url_prefix="/api/v1", description="Accounts and sign-in")



@blp.route("/auth/register", methods=["POST"])
@blp.arguments(schemas.RegisterSchema)
@blp.response(201, schemas.UserSchema)
@blp.alt_response(409, description="Username taken")
@blp.alt_response(422, description="Weak password or bad field")
@public
def register(data):
    return services.register(db.session, hash_method=current_app.config["PASSWORD_HASH_METHOD"],
                             display_name=data.pop("display_name"), **data)


@blp.route("/auth/token", methods=["POST"])
@limiter.limit(auth.failure_limit, key_func=auth.attempt_key, deduct_when=auth.failed)
@limiter.limit(auth.address_failure_limit, deduct_when=auth.failed, scope="login-address")
@blp.arguments(schemas.TokenRequestSchema)
@blp.response(200, schemas.TokenSchema)
@blp.alt_response(401, description="Wrong username or password")
@blp.alt_response(429, description="Too many failed attempts")
@public
def token(data):
    user = services.authenticate(db.session, data["username"], data["password"])
    if user is None:
        raise Unauthenticated(_("Wrong username or password."))
    token, expires_at = services.issue_token(user, current_app.config["SECRET_KEY"], current_app.config["TOKEN_MAX_AGE"])
    return {"token": token, "expires_at": expires_at}


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
            "is_operator": user.is_operator, "grants": grants, "membership": None}
    for name, fn in ME_FIELDS.items():
        body[name] = fn(user)
    return body
