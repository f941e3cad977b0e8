"""Form pages: read a form through the API's own schema, and show it again, as typed, with its errors.

``load(schema, data)`` validates like the API (422 with field errors). ``form_page(render)`` wraps a view
that handles a form: when the view raises a domain error, what it wrote is rolled back (to a savepoint:
the records the guards loaded stay usable) and ``render(**view_kwargs, values=..., errors=..., detail=...)``
answers with the error's status, the form filled in as it was sent. Views need no ``try``.
"""
from datetime import datetime
from functools import wraps

import marshmallow as ma
from flask import request
from flask_babel import gettext as _

from union_saas.core.errors import DomainError, ValidationFailed, keep_audit
from union_saas.extensions import db

# model -> (session, id) -> record: how routes load each kind of record (``access.resources`` fills it)
LOADERS = {}


def local_input(form, fields, *, zone, datetimes=(), blank_as_none=()):
    """A page form as the API's schema reads it: each of ``fields`` stripped and left out when empty (``None``
    for those in ``blank_as_none``: emptied on purpose), the ones in ``datetimes`` (datetime-local fields, typed
    without an offset) in the union's ``zone``."""
    data = {}
    for name in fields:
        value = (form.get(name) or "").strip()
        if not value:
            if name in blank_as_none:
                data[name] = None
            continue
        data[name] = local_time(value, zone) if name in datetimes else value
    return data


def local_time(value, zone):
    """A datetime-local field's ``value`` as ISO 8601 with ``zone``'s offset; as typed when it is no time (the
    schema says what is wrong with it)."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return value
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)).isoformat()


def reload(record):
    """Load ``record`` again as routes load it, relationships included, once a rollback expired it."""
    load = LOADERS.get(type(record))
    if load is not None:
        load(db.session, record.id)


def load(schema, data, **kwargs):
    """``schema.load(data)``, or a 422 naming each wrong field (the messages the API gives)."""
    try:
        return schema.load(data, **kwargs)
    except ma.ValidationError as error:
        raise ValidationFailed(_("Please correct the marked fields."), errors=error.messages) from None


def sent_values():
    """The form as sent: one value per field (checkboxes: whether they were ticked)."""
    return {key: (values[0] if len(values) == 1 else values) for key, values in request.form.lists()}


def form_page(render, values=sent_values):
    """Run the view; on a domain error, undo its writes and answer ``render(...)`` with the error's status.

    ``values`` makes what the form shows again from the request (default: the fields as sent).
    """

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if request.method in ("GET", "HEAD"):
                return view(*args, **kwargs)
            savepoint = db.session.begin_nested()
            try:
                response = view(*args, **kwargs)
            except DomainError as error:
                if savepoint.is_active:
                    savepoint.rollback()
                else:  # a failed flush inside the view already undid the savepoint: start afresh
                    db.session.rollback()
                keep_audit(error)
                for value in kwargs.values():  # what the guards loaded, as they loaded it (relationships too)
                    reload(value)
                body = render(*args, **kwargs, values=values(), errors=error.errors, detail=error.detail)
                return (body[0] if isinstance(body, tuple) else body), error.status
            if savepoint.is_active:
                savepoint.commit()
            return response

        return wrapper

    return decorate
