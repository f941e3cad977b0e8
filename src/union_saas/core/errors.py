"""Domain errors, and the one place that turns any error into problem+json or an error page."""
from flask import jsonify, make_response, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException, InternalServerError


class DomainError(Exception):
    """A rule refused the change. ``status`` is what the API answers."""

    status = 400

    def __init__(self, detail=None, errors=None, *, audit=None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or {}
        # An audit entry to keep although the change is rolled back (a refused grant, say).
        self.audit = audit


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


def rollback_keeping_audit(error):
    """Undo the request's changes; keep the audit entry of a refusal, which must outlive them."""
    from union_saas.core.audit import record
    from union_saas.extensions import db

    db.session.rollback()
    if getattr(error, "audit", None) is not None:
        record(db.session, **error.audit)
        db.session.commit()


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
    from sqlalchemy.exc import DBAPIError

    from union_saas.core.db import database_unavailable
    from union_saas.extensions import db

    def render(status, detail=None, errors=None, headers=None):
        if wants_json():
            return problem(status, detail, errors, headers)
        html = render_template("error.html", status=status, title=titles().get(status, status), detail=detail)
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
            return render(429, _("Too many failed attempts. Please wait a few minutes and try again."),
                          headers=headers)
        detail = data.get("message") or (error.description if error.code not in (404, 500) else None)
        return render(error.code or 500, detail, errors, headers)

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
