"""The worker's own place: the member's home (``/``), the services grid, "我的" and the e-member card.

A portal of its own because it gathers what every other domain registers (``tenancy.sections``: home
sections, services, "我的" entries) and reads members and activities through their services; no other
domain depends on it, and ``members``/``accounts`` stay the kit they are.
"""


def init_app(app):
    """Wire the domain into ``app``: its pages, API and the entries it registers for today's modules."""
    from union_saas.core.web import add_blueprints
    from union_saas.portal import api, entries, views  # noqa: F401 - entries register on import

    add_blueprints(app, views.bp, api.blp)
