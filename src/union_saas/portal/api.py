"""The e-member card's API (API.md, Accounts): a member's card, and an officer's check of it."""
from flask_login import current_user

from union_saas.access.guards import signed_in
from union_saas.core.api import Blueprint
from union_saas.core.errors import NotFound
from union_saas.core.web import signing_key
from union_saas.extensions import db
from union_saas.portal import schemas, services

blp = Blueprint("portal_api", __name__, url_prefix="/api/v1", description="The e-member card")


@blp.route("/me/card", methods=["GET"])
@blp.response(200, schemas.CardSchema)
@blp.alt_response(404, description="No active membership")
@signed_in
def my_card():
    """My e-member card: its code changes at least every five minutes (ask again before ``expires_at``)."""
    return schemas.card_doc(services.card(db.session, signing_key(), current_user))


@blp.route("/member-cards/verify", methods=["POST"])
@blp.arguments(schemas.VerifyRequestSchema)
@blp.response(200, schemas.VerifySchema)
@blp.alt_response(404, description="The caller holds member.view nowhere")
@signed_in
def verify_card(data):
    """Check a member's card: ``valid: false`` (never an error) for an expired, forged or closed card, and for
    a member of a union outside what the caller may see."""
    if not services.verifies_somewhere(current_user):
        from flask_babel import gettext as _

        raise NotFound(_("Only union officers who may see members check member cards."))
    return services.verify(db.session, signing_key(), current_user, data["code"])
