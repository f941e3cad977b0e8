"""union-saas: the platform trade-union federations run their workers' home on."""
import logging
import os
from pathlib import Path

from flask import Flask

import config as settings

REPO = Path(__file__).resolve().parents[2]
DOMAINS = ("tenancy", "accounts", "access", "members", "activities", "office", "insights")


def create_app(env=None, **overrides):
    """Build the app: settings, extensions, blueprints, error handlers, commands, checks."""
    app = Flask(__name__, instance_path=os.environ.get("UNION_SAAS_INSTANCE") or str(REPO / "instance"),
                static_folder="core/static", template_folder="core/templates")
    configure(app, env, overrides)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    check(app)
    return app


def configure(app, env, overrides):
    app.config.update(settings.load(env))
    app.config.update(overrides)
    name = app.config["ENV_NAME"]
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


def register_extensions(app):
    from flask_principal import AnonymousIdentity, Identity, identity_loaded

    from union_saas.access.policy import load_policy
    from union_saas.core.i18n import number, select_locale
    from union_saas.extensions import (
        api,
        babel,
        csrf,
        db,
        limiter,
        login_manager,
        migrate,
        principal,
    )

    db.init_app(app)
    _sqlite_pragmas(app, db)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"))
    babel.init_app(app, locale_selector=select_locale, timezone_selector=lambda: "Asia/Shanghai")
    app.add_template_filter(number)
    csrf.init_app(app)
    limiter.init_app(app)
    api.init_app(app)

    login_manager.init_app(app)
    login_manager.session_protection = "strong"
    login_manager.login_view = "accounts.login"
    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Please sign in to see this page.")
    from union_saas.accounts import auth

    auth.init_login(app, login_manager)

    principal.init_app(app)

    @principal.identity_loader
    def _identity():
        from flask_login import current_user

        return Identity(current_user.id) if current_user.is_authenticated else AnonymousIdentity()

    @identity_loaded.connect_via(app)
    def _attach_user(sender, identity):
        from flask_login import current_user

        identity.user = current_user if current_user.is_authenticated else None

    app.extensions["union_saas.policy"] = load_policy(app.config.get("POLICY_DIR") or REPO / "policies")

    from union_saas.core.web import (
        commit_on_success,
        refuse_nul_characters,
        reset_request_state,
    )

    # First of all before-request functions: Flask-Principal sets the identity after it.
    app.before_request_funcs.setdefault(None, []).insert(0, reset_request_state)
    app.before_request_funcs[None].insert(1, refuse_nul_characters)
    app.after_request(commit_on_success)

    @app.context_processor
    def _globals():
        from flask_babel import get_locale

        from union_saas.core.i18n import LANGUAGE_NAMES

        return {"languages": LANGUAGE_NAMES, "current_locale": str(get_locale())}


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


def register_blueprints(app):
    import importlib

    from union_saas.core import views as core_views
    from union_saas.core.web import IdConverter
    from union_saas.extensions import api, csrf

    app.url_map.converters["int"] = IdConverter
    app.register_blueprint(core_views.bp)
    api.register_blueprint(core_views.blp)
    for domain in DOMAINS:
        importlib.import_module(f"union_saas.{domain}.models")
        try:
            views = importlib.import_module(f"union_saas.{domain}.views")
        except ModuleNotFoundError as error:
            if error.name != f"union_saas.{domain}.views":
                raise
        else:
            app.register_blueprint(views.bp)
        try:
            module = importlib.import_module(f"union_saas.{domain}.api")
        except ModuleNotFoundError as error:
            if error.name != f"union_saas.{domain}.api":
                raise
            continue
        api.register_blueprint(module.blp)
        csrf.exempt(module.blp)


def register_errorhandlers(app):
    from union_saas.core.errors import register_error_handlers

    register_error_handlers(app)


def register_commands(app):
    from union_saas.cli import register

    register(app)


def check(app):
    """Refuse to start with an unguarded route or a permission missing from policies/."""
    from union_saas.access.policy import USED
    from union_saas.core.web import check_routes_declare_access

    check_routes_declare_access(app)
    app.extensions["union_saas.policy"].check_used(USED)
