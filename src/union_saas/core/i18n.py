"""Locale from the user's choice (cookie), else Accept-Language; Simplified Chinese by default."""
from flask import current_app, has_request_context, request
from flask_babel import format_decimal

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
    """A count as the reader's locale writes it (``250,000``); ``None`` stays empty."""
    return "" if value is None else format_decimal(value)
