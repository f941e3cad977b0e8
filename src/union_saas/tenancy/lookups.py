"""What the API and the pages of the tree share."""
from flask_babel import gettext as _
from flask_login import current_user

from union_saas.access import engine
from union_saas.core.errors import Forbidden, NotFound, ValidationFailed
from union_saas.extensions import db
from union_saas.tenancy import services


def move_target(slug, tenant):
    """The new parent: 422 unless the caller may create sub-unions there (it may not exist for them); 403
    unless the caller may also edit the union's current parent (a union does not take itself away from
    the union above it)."""
    if tenant.parent_id is not None and not engine.can_at(db.session, current_user, "tenant.edit", tenant.parent_id):
        message = _("Moving a union needs the right to edit the union it belongs to now.")
        raise Forbidden(message, errors={"parent": [message]})
    try:
        parent = services.get_by_slug(db.session, slug)
    except NotFound:  # unknown and invisible answer the same
        parent = None
    if parent is None or not engine.can(current_user, "tenant.create_child", parent):
        raise ValidationFailed(errors={"parent": [_("No union you may add sub-unions to has this address.")]})
    return parent


def todo_docs(tenant, held):
    """The lines of ``tenant``'s to-do overview for a caller holding ``held`` there: ``{name, label, count,
    url, tab}`` (pages and API alike; a query per line)."""
    from flask import url_for

    from union_saas.tenancy import sections

    return [{"name": item.name, "label": str(item.label), "count": count, "tab": item.tab,
             "url": url_for(item.endpoint, slug=tenant.slug, **dict(item.args))}
            for item, count in sections.todos_at(tenant, held)]
