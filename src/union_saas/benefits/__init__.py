"""Benefits: free tickets and goods given away fairly (first come, or a draw anyone can check), and subsidies for
the unions and partner organisations that host activities for workers."""


def init_app(app):
    """Wire the domain into ``app``: its models, resources, jobs, pages and API."""
    from union_saas.benefits import api, models, services, tasks, views  # noqa: F401 - they register on import
    from union_saas.core.web import add_blueprints

    add_blueprints(app, views.bp, api.blp)
