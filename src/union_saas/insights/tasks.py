"""Jobs of insights: refreshing the rollups of a federation (every 10 minutes, after bulk imports, or on
request; never two queued at once for one federation), and the .xlsx export of a subtree's figures."""
import io
from datetime import timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from union_saas.access import engine
from union_saas.accounts.models import User
from union_saas.core import signals, xlsx
from union_saas.core.db import utcnow
from union_saas.core.errors import Forbidden
from union_saas.core.jobs import JobRecord, job, periodic, submit
from union_saas.extensions import db
from union_saas.insights import exports, services
from union_saas.insights.models import RefreshState
from union_saas.tenancy.models import Tenant


def _still_allowed(session, record, tenant_id):
    """The tenant, asking again whether the job's starter may still see insights there."""
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise Forbidden("the tenant is gone")
    actor = None
    if record.owner_id:
        actor = session.get(User, record.owner_id)
        if actor is None or not engine.load_subject(session, actor).can("insights.view", tenant.path):
            raise Forbidden("the starter may no longer see insights here")
    return tenant, actor


@job("default", title=_l("Counting the figures"))
def refresh(record, tenant_id):
    """Recompute the rollups of the federation that holds ``tenant_id``."""
    session = db.session
    tenant, _actor = _still_allowed(session, record, tenant_id)
    root = session.get(Tenant, tenant.root_id or tenant.id)
    return {"rows": services.refresh(session, root)}


def queue_refresh(session, tenant, *, owner=None):
    """Queue a refresh of ``tenant``'s federation, unless one is queued already (it will count what is
    committed by the time it starts). Returns ``(job record, True)`` when queued now, else the waiting
    one and False.

    Asked for by a person (``owner``), it is coalesced harder: not while one is queued *or running*, nor
    within ``INSIGHTS_REFRESH_INTERVAL`` of the last one (figures that young are fresh): then the last
    job is returned, and False. The schedule and imports are not held back."""
    root_id = tenant.root_id or tenant.id
    services.lock_federation(session, services.LOCK_QUEUE, root_id)
    state = session.get(RefreshState, root_id, populate_existing=True)
    if state is None:
        state = RefreshState(root_id=root_id)
        session.add(state)
    elif state.job_id:
        waiting = session.get(JobRecord, state.job_id, populate_existing=True)
        busy = ("queued", "started") if owner is not None else ("queued",)
        if waiting is not None and waiting.status in busy:
            return waiting, False
        if owner is not None and waiting is not None and state.refreshed_at is not None and \
                utcnow() - state.refreshed_at < refresh_interval():
            return waiting, False
    record = submit(session, refresh, tenant.id, owner=owner, tenant=tenant)
    state.job_id = record.id
    session.flush()
    return record, True


def refresh_interval():
    return timedelta(seconds=current_app.config.get("INSIGHTS_REFRESH_INTERVAL", 300))


def refresh_limit():
    """How often one person may ask for a refresh (Flask-Limiter), whatever the federation."""
    return current_app.config.get("INSIGHTS_REFRESH_LIMITS", "10 per hour")


@periodic(every=600)
def refresh_federations(session):
    """Refresh the figures of every federation (every 10 minutes)."""
    queued = [queue_refresh(session, root)[1] for root in services.federations(session)]
    return {"queued": sum(queued), "already_queued": len(queued) - sum(queued)}


@signals.bulk_import_finished.connect
def refresh_after_import(session, tenant, **_details):
    """A roster (or any bulk) import changed the federation's figures: queue its refresh."""
    queue_refresh(session, tenant)


@job("default", file_permission="insights.view", title=_l("Exporting the figures"))
def export(record, tenant_id, sort="name", direction="asc", locale=None):
    """The subtree's figures as the page shows them (headline, per-child table in the page's order, trends,
    categories), as an .xlsx file attached to the job for its starter."""
    session = db.session
    tenant, actor = _still_allowed(session, record, tenant_id)
    if actor is None:
        raise Forbidden("an export belongs to someone")
    if sort not in services.SORTABLE or direction not in ("asc", "desc"):
        raise Forbidden("not a column of the table")
    out = io.BytesIO()
    with force_locale(locale or actor.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        rows = exports.write(session, tenant, sort, direction == "desc", out,
                             progress=lambda done, total: record.set_progress(session, done, total))
    record.attach_file(session, f"insights-{tenant.slug}.xlsx", xlsx.MIMETYPE, out.getvalue())
    return {"rows": rows}
