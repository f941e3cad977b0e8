"""Help requests: a worker asks their union, the union answers in time, and what is not answered climbs."""


def init_app(app):
    """Wire the domain into ``app``: its models, resources, jobs, pages and API."""
    from union_saas.assistance import api, models, services, tasks, views  # noqa: F401 - models, resources and jobs register on import
    from union_saas.core.web import add_blueprints

    add_blueprints(app, views.bp, api.blp)
