"""Jobs of insights: refreshing the rollups of a federation (scheduled, after imports, or on request)."""
from union_saas.access import engine
from union_saas.accounts.models import User
from union_saas.core.errors import Forbidden
from union_saas.core.jobs import job
from union_saas.extensions import db
from union_saas.insights import services
from union_saas.tenancy.models import Tenant


@job("default")
def refresh(record, tenant_id):
    """Recompute the rollups of the federation that holds ``tenant_id``."""
    session = db.session
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise Forbidden("the tenant is gone")
    if record.owner_id:
        actor = session.get(User, record.owner_id)
        if actor is None or not engine.load_subject(session, actor).can("insights.view", tenant.path):
            raise Forbidden("the starter may no longer see insights here")
    root = session.get(Tenant, tenant.root_id or tenant.id)
    return {"rows": services.refresh(session, root)}
