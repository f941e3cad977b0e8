"""The one policy engine: who may do what at which tenant (DESIGN.md, ideas 2 and 4)."""


def init_app(app):
    """Wire the domain into ``app``: its models, resources, jobs, pages and API."""
    # Imported here, when an app is made, not with the package: importing a model must not build the web layer.
    from union_saas.access import api, models, services, views  # noqa: F401 - models, resources and jobs register on import
    from union_saas.core.web import add_blueprints

    add_blueprints(app, views.bp, api.blp)
