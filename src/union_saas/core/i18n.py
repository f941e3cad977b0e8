"""Locale from the user's choice (cookie), else Accept-Language; Simplified Chinese by default. Time zones."""
from zoneinfo import ZoneInfo

from babel.numbers import get_group_symbol
from flask import current_app, g, has_app_context, has_request_context, request
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l

LOCALE_COOKIE = "locale"


def select_locale():
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands, jobs
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = request.args.get("lang") or request.cookies.get(LOCALE_COOKIE)
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


LANGUAGE_NAMES = {"zh": "简体中文", "en": "English"}


def number(value):
    """A count as the reader's locale writes it (``250,000``); ``None`` stays empty.

    Only the grouping symbol comes from Babel, once per request (``g`` starts empty in each):
    ``format_decimal`` costs 30 µs a number, 40 ms for the insights table of a federation."""
    if value is None:
        return ""
    if "number_group" not in g:
        g.number_group = get_group_symbol(get_locale())
    return f"{value:,}".replace(",", g.number_group)


DEFAULT_ZONE = "Asia/Shanghai"


def zone_of(tenant) -> ZoneInfo:
    """The zone a union shows its times in: its ``timezone``, else Asia/Shanghai."""
    try:
        return ZoneInfo(getattr(tenant, "timezone", None) or DEFAULT_ZONE)
    except (KeyError, ValueError):
        return ZoneInfo(DEFAULT_ZONE)


# --- marshmallow's own messages, in the reader's language -------------------------------------------

class SchemaMessage(str):
    """One of marshmallow's messages: formatted and shown translated (marshmallow formats every message it
    raises; ``str()`` of one it stores as is translates too). Outside an app (a validator made at import
    time fills in part of its message), it stays English, to be translated when shown."""

    def format(self, *args, **kwargs):
        text = str.__str__(self)
        if not has_app_context():
            return SchemaMessage(text.format(*args, **kwargs))
        # "Not a valid {obj_type}.": the type's name is marshmallow's English word ("datetime"); name it too.
        for key in ("obj_type", "awareness"):
            if isinstance(kwargs.get(key), str) and kwargs[key] in TYPE_NAMES:
                kwargs[key] = gettext(TYPE_NAMES[kwargs[key]])
        return gettext(text).format(*args, **kwargs)

    def __str__(self):
        return gettext(str.__str__(self)) if has_app_context() else str.__str__(self)


def translate_schema_messages():
    """Make marshmallow's field and validator messages translatable (the API's 422 and the pages' forms
    show them: no "Missing data for required field." in a Chinese page). Idempotent."""
    import inspect

    from marshmallow import fields, schema, validate

    for _name, cls in [*inspect.getmembers(fields, inspect.isclass), (None, schema.Schema)]:
        for attribute in ("default_error_messages", "_default_error_messages"):
            messages = cls.__dict__.get(attribute)
            if isinstance(messages, dict):
                for key, text in messages.items():
                    if isinstance(text, str) and not isinstance(text, SchemaMessage):
                        messages[key] = SchemaMessage(text)
    for _name, cls in inspect.getmembers(validate, inspect.isclass):
        for attribute, text in list(cls.__dict__.items()):
            if attribute.startswith(("message", "default_message", "error")) and isinstance(text, str) \
                    and not isinstance(text, SchemaMessage):
                setattr(cls, attribute, SchemaMessage(text))


# marshmallow's names of types, put into its messages ("Not a valid {obj_type}.").
TYPE_NAMES = {"datetime": "date and time", "date": "date", "time": "time", "aware": "timezone-aware",
              "naive": "timezone-naive"}
TYPE_TEXTS = (_l("date and time"), _l("date"), _l("time"), _l("timezone-aware"), _l("timezone-naive"))

# The texts above, for the catalogs (pybabel finds them here); Range's are whole sentences once it is made.
SCHEMA_TEXTS = (
    _l("Missing data for required field."), _l("Field may not be null."), _l("Invalid value."), _l("Invalid input."),
    _l("Invalid type."), _l("Invalid input type."), _l("Unknown field."), _l("Not a valid string."),
    _l("Not a valid utf-8 string."), _l("Not a valid integer."), _l("Not a valid number."), _l("Number too large."),
    _l("Special numeric values (nan or infinity) are not permitted."), _l("Not a valid boolean."),
    _l("Not a valid {obj_type}."), _l("Not a valid {awareness} {obj_type}."), _l("Not a valid date."),
    _l('"{input}" cannot be formatted as a {obj_type}.'), _l('"{input}" cannot be formatted as a date.'),
    _l("Not a valid period of time."), _l("{input!r} cannot be formatted as a timedelta."),
    _l("Not a valid list."), _l("Not a valid tuple."), _l("Not a valid mapping type."), _l("Not a valid URL."),
    _l("Not a valid email address."), _l("Not a valid UUID."), _l("Not a valid IP address."),
    _l("Not a valid IPv4 address."), _l("Not a valid IPv6 address."), _l("Not a valid IP interface."),
    _l("Not a valid IPv4 interface."), _l("Not a valid IPv6 interface."),
    _l("Shorter than minimum length {min}."), _l("Longer than maximum length {max}."),
    _l("Length must be between {min} and {max}."), _l("Length must be {equal}."), _l("Must be equal to {other}."),
    _l("Must be one of: {choices}."), _l("One or more of the choices you made was not in: {choices}."),
    _l("One or more of the choices you made was in: {values}."), _l("String does not match expected pattern."),
    _l("Must be greater than or equal to {min}."), _l("Must be greater than {min}."),
    _l("Must be less than or equal to {max}."), _l("Must be less than {max}."),
    _l("Must be greater than or equal to {min} and less than or equal to {max}."),
    _l("Must be greater than {min} and less than {max}."),
    _l("Must be greater than or equal to {min} and less than {max}."),
    _l("Must be greater than {min} and less than or equal to {max}."),
)
