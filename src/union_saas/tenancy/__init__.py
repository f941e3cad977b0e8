"""The tenant tree: federations (roots) and every union below them, at any depth."""


def init_app(app):
    """Wire the domain into ``app``: its models, resources, jobs, pages and API."""
    # Imported here, when an app is made, not with the package: importing a model must not build the web layer.
    from union_saas.core.web import add_blueprints
    from union_saas.tenancy import api, models, views  # noqa: F401 - models, resources and jobs register on import

    add_blueprints(app, views.bp, api.blp)
    warm_pinyin()


def warm_pinyin():
    """pypinyin reads its dictionaries on import (seconds): do it beside the app's start, once, so that the
    first link-name preview does not wait for it (a caller meanwhile waits on the import lock)."""
    import sys
    import threading

    if "pypinyin" not in sys.modules:
        threading.Thread(target=__import__, args=("pypinyin",), name="warm-pypinyin", daemon=True).start()
