"""Calls for community projects: proposals, a review panel that scores them, graded funding and its ledger."""


def init_app(app):
    """Wire the domain into ``app``: its models, resources, jobs, pages and API."""
    from union_saas.core.web import add_blueprints
    from union_saas.projects import api, models, services, tasks, views  # noqa: F401 - they register on import

    add_blueprints(app, views.bp, api.blp)
