"""Members: real-name verified membership of one union, transfers, followers, rosters."""


def init_app(app):
    """Wire the domain into ``app``: its models, resources, jobs, pages and API."""
    # Imported here, when an app is made, not with the package: importing a model must not build the web layer.
    from union_saas.core.web import add_blueprints
    from union_saas.members import api, crypto, models, services, views  # noqa: F401 - models, resources and jobs register on import

    crypto.init_app(app)  # no PII key in production: no start
    add_blueprints(app, views.bp, api.blp)
