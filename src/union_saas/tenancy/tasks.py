"""Jobs of the tenant tree."""
from flask_babel import lazy_gettext as _l

from union_saas.access import engine
from union_saas.accounts.models import User
from union_saas.core.errors import Forbidden
from union_saas.core.jobs import job
from union_saas.extensions import db
from union_saas.tenancy import services
from union_saas.tenancy.models import Tenant


@job("imports", title=_l("Importing sub-unions"))
def import_tree(record, tenant_id, data):
    """Create the sub-unions of an uploaded YAML tree under ``tenant_id``."""
    session = db.session
    tenant = session.get(Tenant, tenant_id)
    actor = session.get(User, record.owner_id)
    # The permission is asked again now, from the database: it may have been revoked since the upload.
    subject = engine.load_subject(session, actor) if actor is not None else None
    if tenant is None or subject is None or not subject.can("tenant.create_child", tenant.path):
        raise Forbidden("the uploader may no longer create sub-unions here")
    return services.import_tree(session, actor, data, under=tenant, may_edit=subject.can("tenant.edit", tenant.path),
                                progress=lambda done, total: record.set_progress(session, done, total))
