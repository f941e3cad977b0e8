"""Polls and contests: one vote per verified person, results anyone can trust."""


def init_app(app):
    """Wire the domain into ``app``: its models, resources, jobs, pages and API."""
    from union_saas.core.web import add_blueprints
    from union_saas.polls import api, models, services, tasks, views  # noqa: F401 - they register on import

    add_blueprints(app, views.bp, api.blp)
