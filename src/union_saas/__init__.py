"""union-saas: the platform trade-union federations run their workers' home on."""
import importlib
import importlib.resources
import logging
import os
from pathlib import Path

from flask import Flask
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_principal import AnonymousIdentity, Identity, identity_loaded

from union_saas import config as settings
from union_saas.access import policy
from union_saas.access.guards import check_routes
from union_saas.accounts.auth import limit_api
from union_saas.cli import register as register_cli
from union_saas.core import files
from union_saas.core import views as core_views
from union_saas.core.errors import register_error_handlers
from union_saas.core.i18n import LANGUAGE_NAMES, number, select_locale
from union_saas.core.web import (
    IdConverter,
    add_blueprints,
    commit_on_success,
    refuse_nul_characters,
    reset_request_state,
)
from union_saas.extensions import (
    api,
    babel,
    csrf,
    db,
    limiter,
    login_manager,
    migrate,
    principal,
    talisman,
)

DOMAINS = ("tenancy", "accounts", "access", "members", "activities", "groups", "benefits", "community", "office",
           "polls", "assistance", "projects", "insights", "portal")


def create_app(env=None, **overrides):
    """Build the app: settings, extensions, the domains, error handlers, commands, checks."""
    # The instance folder (SQLite file, development keys, outbox): UNION_SAAS_INSTANCE (``make`` sets the
    # repository's instance/), else Flask's own choice for where the package lives.
    app = Flask(__name__, instance_path=os.environ.get("UNION_SAAS_INSTANCE") or None,
                static_folder="core/static", template_folder="core/templates")
    configure(app, env, overrides)
    register_extensions(app)
    register_domains(app)
    register_errorhandlers(app)
    register_commands(app)
    check(app)
    return app


def configure(app, env, overrides):
    app.config.update(settings.load(env))
    app.config.update(overrides)
    name = app.config["ENV_NAME"]
    if name == "development" and not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = development_secret(app)
    if name == "production":
        if not app.config.get("SECRET_KEY") or len(app.config["SECRET_KEY"]) < 32:
            raise RuntimeError("production needs SECRET_KEY from the environment (32 characters or more)")
        if not app.config.get("DATABASE_URL"):
            raise RuntimeError("production needs DATABASE_URL from the environment")
        app.config["RATELIMIT_STORAGE_URI"] = app.config.get("RATELIMIT_STORAGE_URI") or app.config["REDIS_URL"]
    if not app.config.get("DATABASE_URL"):
        os.makedirs(app.instance_path, exist_ok=True)
        app.config["DATABASE_URL"] = "sqlite:///" + os.path.join(app.instance_path, "union_saas.db")
    url = app.config["DATABASE_URL"]
    if url.startswith(("postgres://", "postgresql://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    if url.startswith("sqlite"):
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"connect_args": {"timeout": 30}})
    else:
        # A pooled connection is pinged when a request takes it (one round trip): after a failover or a
        # restart of the server, the stale ones are replaced before any request uses them.
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True, "pool_recycle": 1800,
                                                            "connect_args": {"connect_timeout": 5}})
    # Each domain keeps its own catalog in <domain>/translations; Flask-Babel merges them.
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(
        str(path) for path in sorted(Path(__file__).parent.glob("*/translations")))
    if app.config.get("PREFERRED_URL_SCHEME") == "https":
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
    logging.basicConfig(level=logging.INFO)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def development_secret(app):
    """``make run``'s secret key: made once under instance/ (no key in the repository signs anything)."""
    import secrets

    path = Path(app.instance_path) / "secret.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


# Content-Security-Policy: scripts and styles from this site's files only (no inline script, no style
# attribute), no framing by other sites, no plugins.
CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": ["'self'", "data:"],
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def register_extensions(app):
    """Bind the extensions; the request starts with a fresh ``g`` and ends with one commit."""
    db.init_app(app)
    _sqlite_pragmas(app, db)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"))
    babel.init_app(app, locale_selector=select_locale, timezone_selector=lambda: "Asia/Shanghai")
    app.add_template_filter(number)
    csrf.init_app(app)
    limiter.init_app(app)
    # Security headers: CSP, X-Frame-Options and frame-ancestors, nosniff, Referrer-Policy; HSTS on HTTPS
    # requests in production (TLS ends at the reverse proxy, which also redirects plain HTTP).
    production = app.config["ENV_NAME"] == "production"
    app.after_request(files.keep_file_policy)  # runs after Talisman's (registered before it)
    talisman.init_app(app, force_https=False, strict_transport_security=production,
                      session_cookie_secure=app.config.get("SESSION_COOKIE_SECURE", False),
                      content_security_policy=CSP, frame_options="DENY",
                      referrer_policy="strict-origin-when-cross-origin")
    api.init_app(app)

    login_manager.init_app(app)
    login_manager.session_protection = "strong"
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please sign in to see this page.")

    principal.init_app(app)
    principal.identity_loader(_identity)
    identity_loaded.connect_via(app)(_attach_user)

    app.extensions["union_saas.policy"] = policy.load_policy(
        app.config.get("POLICY_DIR") or importlib.resources.files("union_saas.policies"))

    # First of all before-request functions: Flask-Principal sets the identity after it.
    app.before_request_funcs.setdefault(None, []).insert(0, reset_request_state)
    app.before_request_funcs[None].insert(1, refuse_nul_characters)
    app.after_request(commit_on_success)
    app.context_processor(lambda: {"languages": LANGUAGE_NAMES, "current_locale": str(get_locale())})


def _identity():
    return Identity(current_user.id) if current_user.is_authenticated else AnonymousIdentity()


def _attach_user(sender, identity):
    identity.user = current_user if current_user.is_authenticated else None


def _sqlite_pragmas(app, db):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    from sqlalchemy import event

    with app.app_context():
        @event.listens_for(db.engine, "connect")
        def _on_connect(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            if ":memory:" not in app.config["SQLALCHEMY_DATABASE_URI"]:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()
            # Let SQLAlchemy, not pysqlite, begin transactions, so that SAVEPOINT works.
            dbapi_connection.isolation_level = None

        @event.listens_for(db.engine, "begin")
        def _on_begin(connection):
            connection.exec_driver_sql("BEGIN")


def register_domains(app):
    """The shared pages (jobs, inbox), then each domain wires itself in (its ``init_app``); the API as a whole
    shares one limit per caller (sign-in and registration have their own)."""
    app.url_map.converters["int"] = IdConverter
    add_blueprints(app, core_views.bp, core_views.blp)
    app.register_blueprint(core_views.docs)
    for name in DOMAINS:
        importlib.import_module(f"union_saas.{name}").init_app(app)
    limit_api(app)


def register_errorhandlers(app):
    register_error_handlers(app)


def register_commands(app):
    register_cli(app)


def check(app):
    """Refuse to start with an unguarded route, an unknown resource or a permission missing from policies/."""
    check_routes(app)
    app.extensions["union_saas.policy"].check_used(policy.USED)
