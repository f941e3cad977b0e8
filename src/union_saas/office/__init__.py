"""The office: notices with read receipts, and tasks that cascade down the tree and report back up."""


def init_app(app):
    """Wire the domain into ``app``: its models, resources, jobs, pages and API."""
    # Imported here, when an app is made, not with the package: importing a model must not build the web layer.
    from union_saas.core.web import add_blueprints
    from union_saas.office import api, models, services, tasks, views  # noqa: F401 - models, resources and jobs register on import

    add_blueprints(app, views.bp, api.blp)
