"""The operator's API twins (/api/v1/admin/...): find accounts, lock and unlock them, platform counts."""
from flask_login import current_user

from union_saas.access.guards import operator_only
from union_saas.core.api import Blueprint
from union_saas.core.pagination import page_schema, paginate
from union_saas.extensions import db
from union_saas.platform import schemas, services

blp = Blueprint("platform_api", __name__, url_prefix="/api/v1", description="The platform operator's area")


@blp.route("/admin/users", methods=["GET"])
@blp.arguments(schemas.FindArgs, location="query")
@blp.response(200, page_schema(schemas.AccountSchema))
@operator_only
def find_users(args):
    """Find accounts by username, name, phone number or whole ID number (phone and ID shown masked)."""
    page = paginate(db.session, services.find_stmt(args["q"]), args["page"], args["per_page"])
    memberships = services.memberships_of(db.session, [u.id for u in page.items])
    return page.doc([services.account_doc(u, memberships.get(u.id)) for u in page.items])


@blp.route("/admin/users/<int:user_id>", methods=["GET"])
@blp.response(200, schemas.AccountSchema)
@blp.alt_response(404, description="No such account")
@operator_only
def get_user(user_id):
    """One account, masked."""
    user = services.get_account(db.session, user_id)
    return services.account_doc(user, services.memberships_of(db.session, [user.id]).get(user.id))


@blp.route("/admin/users/<int:user_id>/lock", methods=["POST"])
@blp.arguments(schemas.LockSchema)
@blp.response(200, schemas.AccountSchema)
@blp.alt_response(404, description="No such account")
@blp.alt_response(409, description="Locked already, or the operator's own account")
@operator_only
def lock_user(data, user_id):
    """Lock an account: it cannot sign in, and its sessions and tokens end at once (audited)."""
    user = services.lock(db.session, current_user, services.get_account(db.session, user_id), data["reason"])
    return services.account_doc(user, services.memberships_of(db.session, [user.id]).get(user.id))


@blp.route("/admin/users/<int:user_id>/unlock", methods=["POST"])
@blp.response(200, schemas.AccountSchema)
@blp.alt_response(404, description="No such account")
@blp.alt_response(409, description="Not locked")
@operator_only
def unlock_user(user_id):
    """Unlock an account: it may sign in again with its password (audited)."""
    user = services.unlock(db.session, current_user, services.get_account(db.session, user_id))
    return services.account_doc(user, services.memberships_of(db.session, [user.id]).get(user.id))


@blp.route("/admin/stats", methods=["GET"])
@blp.response(200, schemas.PlatformCountsSchema)
@operator_only
def stats():
    """Platform-wide counts: federations, unions, accounts, members, activities, notices, tasks, sessions."""
    return services.platform_counts(db.session)
