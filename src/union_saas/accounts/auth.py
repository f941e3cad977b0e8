"""Flask-Login wiring: sessions for pages, bearer tokens for the API, and sign-in throttling."""
from flask import current_app, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from union_saas.accounts import services
from union_saas.core.errors import problem
from union_saas.extensions import db


def init_login(app, login_manager):
    @login_manager.user_loader
    def load_from_session(user_id):
        if request.path.startswith("/api/"):
            return None  # the API accepts bearer tokens only: no cookie, no CSRF exposure
        return services.user_from_session_id(db.session, user_id)

    @login_manager.request_loader
    def load_from_token(req):
        header = req.headers.get("Authorization", "")
        if not req.path.startswith("/api/") or not header.lower().startswith("bearer "):
            return None
        return services.user_from_token(db.session, header[7:].strip(), current_app.config["SECRET_KEY"],
                                        current_app.config["TOKEN_MAX_AGE"])

    @login_manager.unauthorized_handler
    def unauthorized():
        if request.path.startswith("/api/"):
            return problem(401, _("Sign in first: send Authorization: Bearer <token>."),
                           headers={"WWW-Authenticate": "Bearer"})
        from union_saas.core.web import safe_next

        return redirect(url_for("accounts.login", next=safe_next(request.full_path.rstrip("?"))))


def attempt_key():
    """Failed sign-ins are counted per address and account name."""
    from flask_limiter.util import get_remote_address

    body = request.get_json(silent=True) if request.is_json else None
    username = (body or {}).get("username") if isinstance(body, dict) else request.form.get("username")
    return f"{get_remote_address()}|{services.normalise_username(str(username or ''))}"


def failure_limit():
    return current_app.config["LOGIN_FAILURE_LIMITS"]


def address_failure_limit():
    return current_app.config["LOGIN_FAILURE_LIMITS_PER_ADDRESS"]


def failed(response):
    return response.status_code in (401, 422) and not current_user.is_authenticated
