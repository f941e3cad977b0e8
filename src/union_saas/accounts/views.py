"""Sign-in, registration, sign-out, language, the account page, a forgotten password."""
import functools

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
from union_saas.accounts import auth, reset, schemas, services
from union_saas.core.forms import form_page, load
from union_saas.core.i18n import LOCALE_COOKIE
from union_saas.core.web import safe_next, signing_key
from union_saas.extensions import db

bp = Blueprint("accounts", __name__, template_folder="templates")


def login_reason(target):
    """Why a visitor was sent to sign in, from the page they asked for (none when they came by themselves)."""
    path = (target or "").split("?")[0]
    if not path.startswith("/"):
        return None
    if path.startswith("/activities/"):
        return _("Activities are shown to the workers they are meant for: sign in to see this one and sign up.")
    if path.startswith("/me") or path == "/account":
        return _("This is your own page (membership, member card, sign-ups and messages): sign in to see it.")
    if path.startswith("/manage") or path.startswith("/member-cards"):
        return _("This page is for union officers: sign in with your officer's account.")
    if path.startswith("/t/"):
        return _("Members and followers of this union see more: sign in to continue.")
    return _("Please sign in to see this page.")


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
    return render_template("accounts/login.html", values=values, error=error,
                           reason=login_reason(request.args.get("next")))


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
    return redirect(url_for("portal.home"))


@bp.route("/lang/<code>")
@public
def set_language(code):
    response = redirect(safe_next(request.args.get("next")))
    if code in current_app.config["LANGUAGES"]:
        response.set_cookie(LOCALE_COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response


def render_account(*, values=None, errors=None, detail=None, form=None):
    profile = values if form == "profile" and values is not None else {
        "display_name": current_user.display_name, "phone": current_user.phone or "",
        "email": current_user.email or ""}
    return render_template("accounts/account.html", grants=user_grants(db.session, current_user),
                           errors=errors or {}, detail=detail, form=form, profile=profile)


def profile_values():
    return {k: request.form.get(k, "") for k in ("display_name", "phone", "email")}


@bp.route("/account", methods=["GET", "POST"])
@signed_in
@form_page(functools.partial(render_account, form="profile"), values=profile_values)
def account():
    """My account: the name others see, my mobile number and e-mail (where codes go), my password, my sessions."""
    if request.method == "GET":
        return render_account()
    data = load(schemas.ProfileSchema(), {k: v for k, v in profile_values().items()})
    services.update_profile(db.session, current_user._get_current_object(), data)
    flash(_("Saved."))
    return redirect(url_for("accounts.account"))


@bp.route("/account/password", methods=["POST"])
@signed_in
@form_page(functools.partial(render_account, form="password"), values=dict)
def change_password():
    """A new password: this browser stays signed in, every other session and token of the user ends."""
    services.change_password(db.session, current_user._get_current_object(), request.form.get("current_password", ""),
                             request.form.get("new_password", ""), current_app.config["PASSWORD_HASH_METHOD"],
                             keep=g.get("auth_session_id"))
    flash(_("Your password was changed; you were signed out everywhere else."))
    return redirect(url_for("accounts.account"))


# --- a forgotten password --------------------------------------------------------------------------------

def render_forgot(*, values=None, errors=None, detail=None):
    return render_template("accounts/forgot.html", values=values or {}, errors=errors or {}, detail=detail)


@bp.route("/password/forgot", methods=["GET", "POST"])
@auth.reset_limits
@public
@form_page(render_forgot)
def forgot_password():
    """Ask for a one-time code to the account's mobile number (or mail): the same answer for any name."""
    if request.method == "GET":
        return render_forgot(values={"username": request.args.get("username", "")})
    data = load(schemas.ForgotSchema(), {"username": request.form.get("username", "").strip()})
    reset.send_code(data["username"])
    flash(_("If an account of that name exists, a code is on its way to its mobile number. It works once, "
            "within %(n)d minutes.", n=services.RESET_CODE_MINUTES))
    return redirect(url_for("accounts.reset_password", username=data["username"]))


def render_reset(*, values=None, errors=None, detail=None):
    return render_template("accounts/reset.html", values=values or {}, errors=errors or {}, detail=detail)


def reset_values():
    return {"username": request.form.get("username", "").strip(), "code": request.form.get("code", "").strip()}


@bp.route("/password/reset", methods=["GET", "POST"])
@auth.reset_limits
@public
@form_page(render_reset, values=reset_values)
def reset_password():
    """Set a new password with the code that was sent."""
    if request.method == "GET":
        return render_reset(values={"username": request.args.get("username", "")})
    data = load(schemas.ResetSchema(), {**reset_values(), "new_password": request.form.get("new_password", "")})
    services.reset_with_code(db.session, signing_key(), data["username"], data["code"], data["new_password"],
                             current_app.config["PASSWORD_HASH_METHOD"])
    flash(_("Your new password is set, and you were signed out everywhere: sign in with it."))
    return redirect(url_for("accounts.login", username=data["username"]))


def render_link(token, *, values=None, errors=None, detail=None):
    _row, user = services.reset_link(db.session, signing_key(), token)
    return render_template("accounts/reset_link.html", token=token, user=user, errors=errors or {}, detail=detail)


@bp.route("/password/link/<token>", methods=["GET", "POST"])
@auth.reset_limits
@public
@form_page(render_link, values=dict)
def reset_by_link(token):
    """The one-time link an officer of the member's union gave them: choose a new password."""
    if request.method == "GET":
        return render_link(token)
    data = load(schemas.LinkResetSchema(), {"new_password": request.form.get("new_password", "")})
    user = services.reset_with_link(db.session, signing_key(), token, data["new_password"],
                                    current_app.config["PASSWORD_HASH_METHOD"])
    flash(_("Your new password is set, and you were signed out everywhere: sign in with it."))
    return redirect(url_for("accounts.login", username=user.username))
