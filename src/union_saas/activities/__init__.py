"""Activities: publish across the tree, sign up with capacity and waitlist, check in, remember, measure."""


def init_app(app):
    """Wire the domain into ``app``: its models, resources, jobs, pages and API."""
    # Imported here, when an app is made, not with the package: importing a model must not build the web layer.
    from union_saas.activities import api, models, services, tasks, views  # noqa: F401 - models, resources and jobs register on import
    from union_saas.core.web import add_blueprints

    add_blueprints(app, views.bp, api.blp)
