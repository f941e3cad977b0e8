"""Sign-in, registration, sign-out, language, the account page."""
from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from union_saas.access.guards import public, signed_in
from union_saas.access.services import user_grants
from union_saas.accounts import auth, services
from union_saas.core.forms import form_page
from union_saas.core.i18n import LOCALE_COOKIE
from union_saas.core.web import safe_next
from union_saas.extensions import db

bp = Blueprint("accounts", __name__, template_folder="templates")


@bp.route("/login", methods=["GET", "POST"])
@auth.sign_in_limits
@public
def login():
    values, error = {"username": request.values.get("username", "")}, None
    if request.method == "POST":
        user = services.authenticate(db.session, request.form.get("username"), request.form.get("password"),
                                     current_app.config["PASSWORD_HASH_METHOD"])
        if user is not None:
            auth.sign_in(user, remember=bool(request.form.get("remember")))
            return redirect(safe_next(request.args.get("next")))
        error = _("Wrong username or password.")
        return render_template("accounts/login.html", values=values, error=error), 401
    return render_template("accounts/login.html", values=values, error=error)


def register_values():
    return {k: request.form.get(k, "") for k in ("username", "display_name", "phone")}


def render_register(*, values=None, errors=None, detail=None):
    return render_template("accounts/register.html", values=values or {}, errors=errors or {}, detail=detail)


@bp.route("/register", methods=["GET", "POST"])
@auth.register_limits
@public
@form_page(render_register, values=register_values)
def register():
    if request.method == "GET":
        return render_register()
    values = register_values()
    user = services.register(db.session, username=values["username"], password=request.form.get("password", ""),
                             display_name=values["display_name"] or values["username"], phone=values["phone"] or None,
                             hash_method=current_app.config["PASSWORD_HASH_METHOD"])
    auth.sign_in(user)
    flash(_("Welcome, %(name)s! Your account is ready.", name=user.display_name))
    return redirect(safe_next(request.args.get("next")))


@bp.route("/logout", methods=["POST"])
@public
def logout():
    """Sign out: this browser's session ends (with ``everywhere``, every session and token of the user)."""
    auth.sign_out(everywhere=bool(request.form.get("everywhere")))
    return redirect(url_for("tenancy.home"))


@bp.route("/lang/<code>")
@public
def set_language(code):
    response = redirect(safe_next(request.args.get("next")))
    if code in current_app.config["LANGUAGES"]:
        response.set_cookie(LOCALE_COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response


def render_account(*, values=None, errors=None, detail=None):
    return render_template("accounts/account.html", grants=user_grants(db.session, current_user),
                           errors=errors or {}, detail=detail)


@bp.route("/account")
@signed_in
def account():
    return render_account()


@bp.route("/account/password", methods=["POST"])
@signed_in
@form_page(render_account, values=dict)
def change_password():
    """A new password: this browser stays signed in, every other session and token of the user ends."""
    services.change_password(db.session, current_user._get_current_object(), request.form.get("current_password", ""),
                             request.form.get("new_password", ""), current_app.config["PASSWORD_HASH_METHOD"],
                             keep=g.get("auth_session_id"))
    flash(_("Your password was changed; you were signed out everywhere else."))
    return redirect(url_for("accounts.account"))
