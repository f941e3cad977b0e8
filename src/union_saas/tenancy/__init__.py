"""The tenant tree: federations (roots) and every union below them, at any depth."""


def init_app(app):
    """Wire the domain into ``app``: its models, resources, jobs, pages and API."""
    # Imported here, when an app is made, not with the package: importing a model must not build the web layer.
    from union_saas.core.web import add_blueprints
    from union_saas.tenancy import api, models, views  # noqa: F401 - models, resources and jobs register on import

    add_blueprints(app, views.bp, api.blp)
