"""Community: posts, comments and likes in a union's (or a group's) space; reports, moderation along the
tenant tree, watched words and limits."""


def init_app(app):
    """Wire the domain into ``app``: its models, resources, jobs, pages and API."""
    from union_saas.community import api, models, services, tasks, views  # noqa: F401 - they register on import
    from union_saas.core.web import add_blueprints

    add_blueprints(app, views.bp, api.blp)
