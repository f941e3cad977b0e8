"""Request plumbing: one commit per request, safe redirects, ids in paths, NUL characters refused.

Core's layers, bottom up: ``db`` (models' base), ``errors`` (domain errors, problem+json), ``text``, ``web``
and ``api`` (requests), ``jobs``; ``extensions`` binds the Flask extensions between ``db`` and ``errors``.
"""
import logging
from urllib.parse import urlsplit

from flask import current_app, g, request, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from werkzeug.routing import IntegerConverter

from union_saas.core import jobs
from union_saas.core.db import database_unavailable
from union_saas.core.errors import (
    NotFound,
    ValidationFailed,
    problem,
    service_unavailable,
)
from union_saas.core.text import nul_errors
from union_saas.extensions import api as rest_api
from union_saas.extensions import csrf, db

log = logging.getLogger(__name__)


def reset_request_state():
    """Start each request with an empty ``g``, as a request of its own app context does.

    Requests made while an app context is already pushed (the tests do that) share that context's
    ``g``; without this, a user, grants, a locale or a per-request cache would leak from one to the next.
    """
    for name in list(vars(g)):
        g.pop(name, None)
    refresh()  # the locale is chosen per request


def commit_on_success(response):
    """Commit once when the request succeeded; otherwise the error handler already rolled back. Then hand
    on the jobs it recorded: if that fails, they are committed all the same, and the sweeper hands them on."""
    if response.status_code >= 400:
        db.session.rollback()
        return response
    try:
        db.session.commit()
    except DBAPIError as error:
        db.session.rollback()
        if database_unavailable(error):
            log.warning("the database went away at the commit of %s %s: %s", request.method, request.path,
                        error.orig)
            return service_unavailable()
        if not isinstance(error, (IntegrityError, OperationalError)):
            raise
        return problem(409, _("The change conflicts with another one made at the same time; reload and try again."))
    try:
        jobs.dispatch_pending()
    except Exception:  # the work is committed: its jobs wait, queued, for the sweeper
        log.exception("the jobs of %s %s were not handed on", request.method, request.path)
    return response


def add_blueprints(app, pages, api=None):
    """Register a domain's pages and its API (exempt from CSRF: the API signs in by bearer token only)."""
    app.register_blueprint(pages)
    if api is not None:
        rest_api.register_blueprint(api)
        csrf.exempt(api)


def signing_key() -> str:
    """The key that signs codes and links (check-in codes, tickets, calendar feeds): the app's secret."""
    return current_app.config["SECRET_KEY"]


def safe_next(target, default="portal.home"):
    """Follow ``next`` only when it is a path on this site, after normalising."""
    if target:
        # Browsers ignore tabs and newlines and read a backslash as a slash: so do we, before checking.
        target = "".join(ch for ch in target if ch >= " " and ch != "\x7f").replace("\\", "/").strip()
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for(default)


class IdConverter(IntegerConverter):
    """``<int:id>`` for database ids. A number beyond an INTEGER column (2**31 - 1, documented as the
    parameter's maximum) names no record: it becomes 0, which no row has, so the view answers 404 as for
    any unknown id, instead of a database error (500). (Refusing it in the converter would make werkzeug
    answer 405 when another method has a route of the same shape.)"""

    def __init__(self, map, *args, max=2**31 - 1, **kwargs):
        super().__init__(map, *args, max=max, **kwargs)

    def to_python(self, value):
        number = int(value)
        return number if number <= self.max else 0


def refuse_nul_characters():
    """No text the database stores or compares may hold a NUL character (PostgreSQL answers with an
    error, not a mismatch): a path holding one names nothing (404); page forms and queries holding one
    are refused (422). The API's declared input is checked by its parser (``core.api.Parser``)."""
    if "\x00" in request.path:
        raise NotFound(_("Not found."))
    if request.path.startswith("/api/"):
        return
    errors = {**nul_errors(request.args), **nul_errors(request.form)}
    if errors:
        raise ValidationFailed(errors=errors)
