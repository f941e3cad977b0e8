"""Interest groups (start, find, join, organise, group activities, oversight) and the yearly awards."""


def init_app(app):
    """Wire the domain into ``app``: its models, resources, jobs, pages and API."""
    from union_saas.core.web import add_blueprints
    from union_saas.groups import api, models, services, tasks, views  # noqa: F401 - models, resources and jobs register on import

    add_blueprints(app, views.bp, api.blp)
