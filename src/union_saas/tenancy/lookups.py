"""What the API and the pages of the tree share."""
from flask_babel import gettext as _
from flask_login import current_user

from union_saas.access import engine
from union_saas.core.errors import NotFound, ValidationFailed
from union_saas.extensions import db
from union_saas.tenancy import services


def move_target(slug):
    """The new parent: 422 unless the caller may create sub-unions there (it may not exist for them)."""
    try:
        parent = services.get_by_slug(db.session, slug)
    except NotFound:  # unknown and invisible answer the same
        parent = None
    if parent is None or not engine.can(current_user, "tenant.create_child", parent):
        raise ValidationFailed(errors={"parent": [_("No union you may add sub-unions to has this address.")]})
    return parent
