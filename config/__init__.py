"""Settings, one module per environment; environment variables override (see ``load``).

Installed as ``union_saas.config`` (setup.cfg maps this folder into the package), so that ``pip install .``
carries the settings with the code."""
import os

ENVIRONMENTS = ("development", "testing", "production")

# Settings that may come from the environment, and how to read them.
ENV_OVERRIDES = {
    "SECRET_KEY": str,
    "DATABASE_URL": str,
    "REDIS_URL": str,
    "PII_KEY": str,
    "RATELIMIT_STORAGE_URI": str,
    "TOKEN_MAX_AGE": int,
    "JOBS_INLINE": lambda v: v.lower() in ("1", "true", "yes"),
    "MESSAGE_CHANNEL": str,
    "SMS_GATEWAY_URL": str,
    "SMS_GATEWAY_TOKEN": str,
    "MAIL_SERVER": str,
    "MAIL_PORT": int,
    "MAIL_USERNAME": str,
    "MAIL_PASSWORD": str,
    "MAIL_DEFAULT_SENDER": str,
    "MAIL_USE_TLS": lambda v: v.lower() in ("1", "true", "yes"),
    "JOBS_SWEEP_AFTER": int,
    "API_RATE_LIMITS": str,
}


def load(name=None):
    """Return the settings of environment ``name`` (default ``UNION_SAAS_ENV``, else production: an app
    started without saying which environment it is runs the production settings, and so refuses to start
    without real secrets; ``make`` says development, the tests say testing)."""
    import importlib

    name = name or os.environ.get("UNION_SAAS_ENV") or "production"
    if name not in ENVIRONMENTS:
        raise RuntimeError(f"unknown environment {name!r}; choose one of {', '.join(ENVIRONMENTS)}")
    module = importlib.import_module(f"{__name__}.{name}")
    settings = {k: getattr(module, k) for k in dir(module) if k.isupper()}
    for key, parse in ENV_OVERRIDES.items():
        if os.environ.get(key):
            settings[key] = parse(os.environ[key])
    settings["ENV_NAME"] = name
    return settings
