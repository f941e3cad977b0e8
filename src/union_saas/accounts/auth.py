"""Flask-Login wiring: revocable sessions for pages (with a rotating remember cookie), revocable bearer
tokens for the API, and the throttling of sign-ins, registration and the API.

A page session's credential (``<user id>.<session id>.<secret>``, see ``services.open_session``) is what
Flask-Login keeps as the user's id in the session cookie and in the remember cookie; the user loader
accepts it only while its ``AuthSession`` row is live (signing out ends it). When the remember cookie
signs a browser in again, the session's secret is replaced: the cookie rotates, and the old one stops
working.

Failed sign-ins are counted per account, pages and API together, and per address. A browser that signed
in before keeps a *device cookie* (OWASP's "device cookies"): its sign-ins are counted apart, per device,
so that a flood of failures from one address, or against one account, does not lock out the people behind
the same address (a NAT) who sign in with their right password from their own browser.
"""
import functools

from flask import current_app, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, user_loaded_from_cookie
from itsdangerous import BadSignature, URLSafeSerializer

from union_saas.accounts import services
from union_saas.core.errors import problem
from union_saas.extensions import db

DEVICE_COOKIE = "union_device"


def init_login(app, login_manager):
    @login_manager.user_loader
    def load_from_session(credential):
        if request.path.startswith("/api/"):
            return None  # the API accepts bearer tokens only: no cookie, no CSRF exposure
        user, session_id = services.signed_in(db.session, credential, "page")
        if user is not None:
            g.auth_session_id = session_id
            user.credential = credential
        return user

    @login_manager.request_loader
    def load_from_token(req):
        header = req.headers.get("Authorization", "")
        if not req.path.startswith("/api/") or not header.lower().startswith("bearer "):
            return None
        user, session_id = services.signed_in(db.session, header[7:].strip(), "api")
        if user is not None:
            g.auth_session_id = session_id
        return user

    @login_manager.unauthorized_handler
    def unauthorized():
        if request.path.startswith("/api/"):
            return problem(401, _("Sign in first: send Authorization: Bearer <token>."),
                           headers={"WWW-Authenticate": "Bearer"})
        from union_saas.core.web import safe_next

        return redirect(url_for("accounts.login", next=safe_next(request.full_path.rstrip("?"))))

    user_loaded_from_cookie.connect(rotate_remember_cookie, app)


def remember_seconds():
    duration = current_app.config["REMEMBER_COOKIE_DURATION"]
    return int(duration.total_seconds()) if hasattr(duration, "total_seconds") else int(duration)


def rotate_remember_cookie(app, user):
    """The remember cookie signed the browser in: give the session a new secret and the browser a new cookie."""
    credential = services.rotate_session(db.session, user.id, g.auth_session_id, remember_seconds())
    if credential is not None:
        # Committed now, whatever becomes of the request: the browser gets the new cookie with any answer.
        # (The user is loaded before the view runs: Flask-Principal asks for it first of all.)
        db.session.commit()
        user.credential = credential
        session["_user_id"] = credential
        session["_remember"] = "set"  # Flask-Login writes the new remember cookie with the response


def sign_in(user, *, remember=False):
    """Open a page session for ``user`` (a new CSRF secret with it) and sign the browser in."""
    from flask_login import login_user

    row, credential = services.open_session(db.session, user, "page", remember_seconds())
    session.pop("csrf_token", None)  # Flask-WTF's secret: a token made before signing in is worth nothing
    g.pop("csrf_token", None)
    user.credential = credential
    login_user(user, remember=remember)
    g.auth_session_id = row.id
    g.device_for = user.username  # the response gives the browser its device cookie


def sign_out(*, everywhere=False):
    """End this page session (or every session and token of the user) and forget the browser's sign-in."""
    from flask_login import logout_user

    if current_user.is_authenticated:
        if everywhere:
            services.end_sessions(db.session, current_user)
        elif g.get("auth_session_id"):
            services.end_session(db.session, g.auth_session_id)
    session.clear()
    logout_user()  # after the clear: it also tells Flask-Login to delete the remember cookie


# --- device cookies ----------------------------------------------------------------------------------

def _device_serializer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="device-cookie")


def set_device_cookie(response):
    """After a successful sign-in: a long-lived cookie saying this browser signed in as that user."""
    username = g.pop("device_for", None)
    if username:
        import secrets

        value = _device_serializer().dumps({"u": username, "n": secrets.token_urlsafe(12)})
        response.set_cookie(DEVICE_COOKIE, value, max_age=365 * 24 * 3600, httponly=True, samesite="Lax",
                            secure=current_app.config.get("SESSION_COOKIE_SECURE", False))
    return response


def _attempted_username():
    body = request.get_json(silent=True) if request.is_json else None
    username = (body or {}).get("username") if isinstance(body, dict) else request.form.get("username")
    return services.normalise_username(str(username or ""))[:64]


def device_nonce():
    """The nonce of this browser's device cookie, when it was given for the account being signed in to."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return None
    try:
        data = _device_serializer().loads(raw)
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("u") != _attempted_username():
        return None
    return str(data.get("n"))


def trusted_device():
    return device_nonce() is not None


def untrusted_device():
    return device_nonce() is None


# --- limits --------------------------------------------------------------------------------------------

def account_key():
    """Failed sign-ins are counted per account, whatever the address (pages and API together)."""
    return "account:" + _attempted_username()


def device_key():
    return "device:" + (device_nonce() or "")


def address_key():
    from flask_limiter.util import get_remote_address

    return "address:" + (get_remote_address() or "")


def api_caller_key():
    """The API's own limit: per signed-in user, else per address."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return address_key()


def failure_limit():
    return current_app.config["LOGIN_FAILURE_LIMITS"]


def address_failure_limit():
    return current_app.config["LOGIN_FAILURE_LIMITS_PER_ADDRESS"]


def device_failure_limit():
    return current_app.config["LOGIN_FAILURE_LIMITS_PER_DEVICE"]


def register_limit():
    return current_app.config["REGISTER_LIMITS"]


def api_limit():
    return current_app.config["API_RATE_LIMITS"]


def failed(response):
    """A sign-in that did not work (whoever is signed in already: that earns no free guesses)."""
    return response.status_code in (401, 422)


def sign_in_limits(view):
    """The limits of a sign-in route (the page's and the API's share their counters)."""
    from union_saas.extensions import limiter

    methods = ["POST"]
    view = limiter.shared_limit(failure_limit, "login-account", key_func=account_key, methods=methods,
                                deduct_when=failed, exempt_when=trusted_device)(view)
    view = limiter.shared_limit(address_failure_limit, "login-address", key_func=address_key, methods=methods,
                                deduct_when=failed, exempt_when=trusted_device)(view)
    view = limiter.shared_limit(device_failure_limit, "login-device", key_func=device_key, methods=methods,
                                deduct_when=failed, exempt_when=untrusted_device)(view)
    return view


@functools.cache
def api_limits():
    """One limit for the whole API, shared by its blueprints (made once: apps made later reuse it)."""
    from union_saas.extensions import limiter

    return limiter.shared_limit(api_limit, "api", key_func=api_caller_key)


def limit_api(app):
    """Put every API blueprint of ``app`` under the API's shared limit (limits are looked up per request)."""
    from union_saas.core.api import Blueprint

    shared = api_limits()
    for blueprint in app.blueprints.values():
        if isinstance(blueprint, Blueprint):
            shared(blueprint)


def register_limits(view):
    """Registration: per address, pages and API together (every attempt counts)."""
    from union_saas.extensions import limiter

    return limiter.shared_limit(register_limit, "register", key_func=address_key, methods=["POST"])(view)


def reset_limit():
    return current_app.config["PASSWORD_RESET_LIMITS"]


def reset_account_limit():
    return current_app.config["PASSWORD_RESET_LIMITS_PER_ACCOUNT"]


def reset_limits(view):
    """Asking for a code and using one: per address and per account, pages and API together (every try counts)."""
    from union_saas.extensions import limiter

    view = limiter.shared_limit(reset_limit, "reset-address", key_func=address_key, methods=["POST"])(view)
    return limiter.shared_limit(reset_account_limit, "reset-account", key_func=account_key, methods=["POST"])(view)
