"""Text every request may carry: no NUL character (PostgreSQL cannot store or compare one)."""
from flask_babel import gettext as _


def has_nul(value):
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_nul(v) for v in value)
    return False


def nul_errors(data):
    """Field -> message for each field of ``data`` (a mapping) holding a NUL character anywhere."""
    if not hasattr(data, "items"):
        return {"json": [_("Must not contain the NUL character.")]} if has_nul(data) else {}
    items = data.items(multi=True) if hasattr(data, "getlist") else data.items()
    return {str(key).replace("\x00", ""): [_("Must not contain the NUL character.")]
            for key, value in items if has_nul(key) or has_nul(value)}
