"""The operator's pages under /admin: the platform in numbers, finding accounts, locking and unlocking."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from union_saas.access.guards import operator_only
from union_saas.core.forms import form_page, load
from union_saas.core.pagination import paginate
from union_saas.extensions import db
from union_saas.platform import schemas, services

bp = Blueprint("platform", __name__, template_folder="templates")


@bp.route("/admin")
@operator_only
def overview():
    counts = services.platform_counts(db.session)
    return render_template("platform/overview.html", counts=counts, labels=services.COUNT_LABELS)


@bp.route("/admin/users")
@operator_only
def users():
    query = request.args.get("q", "").strip()[:60]
    page = paginate(db.session, services.find_stmt(query), request.args.get("page", 1, type=int), 50)
    memberships = services.memberships_of(db.session, [u.id for u in page.items])
    return render_template("platform/users.html", query=query, page=page,
                           accounts=[services.account_doc(u, memberships.get(u.id)) for u in page.items])


def render_user(user_id, *, values=None, errors=None, detail=None):
    user = services.get_account(db.session, user_id)
    return render_template("platform/user.html", account=services.account_doc(
        user, services.memberships_of(db.session, [user.id]).get(user.id)),
        events=services.account_events(db.session, user), values=values or {}, errors=errors or {},
        detail=detail, own=user.id == current_user.id)


@bp.route("/admin/users/<int:user_id>")
@operator_only
def user(user_id):
    return render_user(user_id)


@bp.route("/admin/users/<int:user_id>/lock", methods=["POST"])
@operator_only
@form_page(render_user)
def lock(user_id):
    user = services.get_account(db.session, user_id)
    data = load(schemas.LockSchema(), schemas.strip({"reason": request.form.get("reason", "")}))
    services.lock(db.session, current_user, user, data["reason"])
    flash(_("%(name)s is locked out: their sessions have ended.", name=user.display_name))
    return redirect(url_for("platform.user", user_id=user.id))


@bp.route("/admin/users/<int:user_id>/unlock", methods=["POST"])
@operator_only
@form_page(render_user)
def unlock(user_id):
    user = services.unlock(db.session, current_user, services.get_account(db.session, user_id))
    flash(_("%(name)s may sign in again.", name=user.display_name))
    return redirect(url_for("platform.user", user_id=user.id))
