"""The platform operator's area (/admin): federations (tenancy), finding people, locking accounts, counts."""


def init_app(app):
    from union_saas.core.web import add_blueprints
    from union_saas.platform import api, services, views  # noqa: F401 - audit labels register on import

    add_blueprints(app, views.bp, api.blp)
