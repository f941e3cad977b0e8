"""Domain errors, and the one place that turns any error into problem+json or an error page."""
from flask import jsonify, make_response, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException, InternalServerError


class DomainError(Exception):
    """A rule refused the change. ``status`` is what the API answers."""

    status = 400

    def __init__(self, detail=None, errors=None, *, audit=None, keep=None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or {}
        # An audit entry to keep although the change is rolled back (a refused grant, say).
        self.audit = audit
        # ``keep(session)``: what the refusal itself writes, committed after the rollback (a wrong code's try).
        self.keep = keep


class Unauthenticated(DomainError):
    status = 401


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    status = 403


class Conflict(DomainError):
    status = 409


class ValidationFailed(DomainError):
    """Input fails validation: ``errors`` maps each field to a list of messages."""

    status = 422


class TooManyAttempts(DomainError):
    status = 429


def titles():
    return {
        400: _("Bad request"),
        401: _("Sign-in required"),
        403: _("Not allowed"),
        404: _("Not found"),
        405: _("Method not allowed"),
        409: _("Conflict"),
        413: _("Upload too large"),
        422: _("Invalid input"),
        429: _("Too many attempts"),
        500: _("Server error"),
        503: _("Service unavailable"),
    }


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _plain(messages):
    """Messages as JSON can hold them: keys as strings (marshmallow keys list items by index)."""
    if isinstance(messages, dict):
        return {str(key): _plain(value) for key, value in messages.items()}
    if isinstance(messages, (list, tuple)):
        return [_plain(value) for value in messages]
    return str(messages) if not isinstance(messages, (int, float, bool, type(None))) else messages


def problem(status, detail=None, errors=None, headers=None):
    """An RFC 9457 problem details response."""
    body = {"type": "about:blank", "title": titles().get(status, str(status)), "status": status}
    if detail:
        body["detail"] = str(detail)
    if errors:
        body["errors"] = _plain(errors)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def flatten_webargs(messages):
    """webargs nests messages by location ({"json": {"name": [...]}}); clients want field -> messages."""
    flat = {}
    for location, fields in (messages or {}).items():
        if isinstance(fields, dict):
            flat.update(fields)
        else:
            flat[location] = fields
    return flat


def keep_audit(error):
    """A refusal's audit entry (and what else it keeps) outlives the refused change: undo the request's
    writes, record it, commit."""
    from union_saas.core.audit import record
    from union_saas.extensions import db

    if getattr(error, "audit", None) is not None or getattr(error, "keep", None) is not None:
        db.session.rollback()
        if error.audit is not None:
            record(db.session, **error.audit)
        if error.keep is not None:
            error.keep(db.session)
        db.session.commit()


def rollback_keeping_audit(error):
    """Undo the request's changes; keep the audit entry of a refusal, which must outlive them."""
    from union_saas.extensions import db

    db.session.rollback()
    keep_audit(error)


# Lock conflicts a database reports when concurrent transactions collide: SQLite's "database is locked"
# (two deferred transactions both upgrading to write), PostgreSQL's serialization failure, deadlock and
# lock-not-available. Like a unique index refusing the second of two racing inserts, they decide a race.
RACE_SQLSTATES = {"40001", "40P01", "55P03"}


def lost_a_race(error) -> bool:
    from sqlalchemy.exc import IntegrityError, OperationalError

    if isinstance(error, IntegrityError):
        return True
    if not isinstance(error, OperationalError):
        return False
    orig = getattr(error, "orig", None)
    return (getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)) in RACE_SQLSTATES or \
        "database is locked" in str(orig)


def retry_after_of_the_limit():
    """Seconds until the limit that refused this request lets it through again."""
    import time

    from union_saas.extensions import limiter

    current = limiter.current_limit
    return str(max(1, int(current.reset_at - time.time()))) if current else "60"


RETRY_AFTER = "5"  # seconds: a failover or a restart of the database takes about that long


def service_unavailable():
    """503 with ``Retry-After``: the database went away for a moment (a failover, a restart); the request's
    transaction was rolled back with it."""
    from flask import g

    from union_saas.extensions import db, login_manager

    db.session.rollback()
    detail = _("The service is briefly unavailable. Please try again in a few seconds.")
    headers = {"Retry-After": RETRY_AFTER}
    if wants_json():
        return problem(503, detail, headers=headers)
    g._login_user = login_manager.anonymous_user()  # the page must not ask the database who is signed in
    return make_response(render_template("error.html", status=503, title=titles()[503], detail=detail), 503,
                         headers)


def register_error_handlers(app):
    from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

    from union_saas.core.db import database_unavailable
    from union_saas.extensions import db

    def render(status, detail=None, errors=None, headers=None):
        if status == 404:
            # One text for every miss: a record that exists but is hidden from the caller and one that does
            # not exist answer the same (field messages about the request body are kept).
            detail = _("Not found: there is nothing here, or you may not see it.")
        if wants_json():
            return problem(status, detail, errors, headers)
        html = render_template("error.html", status=status, title=titles().get(status, status), detail=detail,
                               errors=_plain(errors or {}))
        return html, status, headers or {}

    @app.errorhandler(DomainError)
    def domain_error(error):
        rollback_keeping_audit(error)
        return render(error.status, error.detail, error.errors)

    @app.errorhandler(HTTPException)
    def http_error(error):
        db.session.rollback()
        data = getattr(error, "data", None) or {}
        errors = data.get("errors") or flatten_webargs(data.get("messages"))
        headers = dict(data.get("headers") or {})
        if error.code == 405 and error.valid_methods:
            headers["Allow"] = ", ".join(error.valid_methods)
        if error.code == 429:
            headers.setdefault("Retry-After", retry_after_of_the_limit())
            if request.endpoint in ("accounts.login", "accounts_api.token"):
                detail = _("Too many failed attempts. Please wait a few minutes and try again.")
            else:
                detail = _("Too many requests. Please wait a moment and try again.")
            return render(429, detail, headers=headers)
        detail = data.get("message")
        if not detail and error.code == 422:
            detail = _("Please correct the marked fields.")
        elif not detail and error.code not in (404, 500):
            detail = error.description
        return render(error.code or 500, detail, errors, headers)

    @app.errorhandler(IntegrityError)
    @app.errorhandler(OperationalError)
    def database_race(error):
        """A request that lost a race the database decided (its uniqueness or its locks): 409, never 500; one
        the database could not answer at all (a failover): 503."""
        if database_unavailable(error):
            return database_error(error)
        db.session.rollback()
        if not lost_a_race(error):
            return unexpected(error)
        return render(409, _("The change conflicts with another one made at the same time; reload and try again."))

    @app.errorhandler(Exception)
    def unexpected(error):
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return http_error(InternalServerError())

    @app.errorhandler(DBAPIError)
    def database_error(error):
        if not database_unavailable(error):
            return unexpected(error)
        app.logger.warning("the database is unavailable on %s %s: %s", request.method, request.path, error.orig)
        return service_unavailable()
