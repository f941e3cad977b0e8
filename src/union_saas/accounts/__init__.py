"""Accounts: one per worker across the whole platform; sign-in for pages and API tokens."""


def init_app(app):
    """Wire the domain into ``app``: its models, resources, jobs, pages and API."""
    # Imported here, when an app is made, not with the package: importing a model must not build the web layer.
    from union_saas.accounts import api, auth, models, views  # noqa: F401 - models, resources and jobs register on import
    from union_saas.core.web import add_blueprints
    from union_saas.extensions import login_manager

    auth.init_login(app, login_manager)
    app.after_request(auth.set_device_cookie)
    add_blueprints(app, views.bp, api.blp)
