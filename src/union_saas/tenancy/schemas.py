"""Tenant API shapes (API.md, Tenants)."""
import marshmallow as ma
from flask_babel import lazy_gettext as _l

from union_saas.tenancy.models import KINDS, STATUSES

SLUG = ma.validate.Regexp(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$",
                          error=_l("Use 1 to 63 lowercase letters, digits and hyphens."))
NAME = ma.validate.Length(min=1, max=120)


class TenantSchema(ma.Schema):
    slug = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(KINDS))
    parent = ma.fields.String(allow_none=True, required=True)
    depth = ma.fields.Integer(required=True)
    path = ma.fields.List(ma.fields.String(), required=True)
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(STATUSES))
    children_count = ma.fields.Integer(required=True)
    contact_name = ma.fields.String(allow_none=True)
    contact_phone = ma.fields.String(allow_none=True)
    contact_email = ma.fields.String(allow_none=True)
    address = ma.fields.String(allow_none=True)


class ContactFields(ma.Schema):
    contact_name = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=60))
    contact_phone = ma.fields.String(allow_none=True, validate=ma.validate.Regexp(
        r"^[0-9+\- ]{5,20}$", error=_l("Digits, spaces, + and - only (5 to 20).")))
    contact_email = ma.fields.Email(allow_none=True, validate=ma.validate.Length(max=120))
    address = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=200))
    description = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=2000))


class TenantCreateSchema(ContactFields):
    # Left out, the link name is made from the name (its pinyin), free of clashes.
    slug = ma.fields.String(validate=SLUG)
    name = ma.fields.String(required=True, validate=NAME)
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf([k for k in KINDS if k != "federation"]))


class TreeRootSchema(ContactFields):
    """The top of a whole federation's tree file (``flask tenants load``)."""

    slug = ma.fields.String(required=True, validate=SLUG)
    name = ma.fields.String(required=True, validate=NAME)
    kind = ma.fields.String(required=True, validate=ma.validate.Equal("federation"))


class TenantPatchSchema(ContactFields):
    name = ma.fields.String(validate=NAME)
    status = ma.fields.String(validate=ma.validate.OneOf(STATUSES))


class MoveSchema(ma.Schema):
    parent = ma.fields.String(required=True, validate=SLUG)


class FederationCreateSchema(ContactFields):
    slug = ma.fields.String(validate=SLUG)
    name = ma.fields.String(required=True, validate=NAME)
    admin_username = ma.fields.String(required=True, validate=ma.validate.Length(min=3, max=32))


class SlugQuerySchema(ma.Schema):
    name = ma.fields.String(required=True, validate=NAME)


class SlugSuggestionSchema(ma.Schema):
    slug = ma.fields.String(required=True)


class TodoSchema(ma.Schema):
    name = ma.fields.String(required=True, metadata={"description": "What kind of work (stable)"})
    label = ma.fields.String(required=True, metadata={"description": "What waits, in the caller's language"})
    count = ma.fields.Integer(required=True)
    url = ma.fields.String(required=True, metadata={"description": "The page where it is done"})
    tab = ma.fields.String(allow_none=True, metadata={"description": "The management tab whose badge counts it"})


class TodoListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(TodoSchema), required=True)
    total = ma.fields.Integer(required=True)


class ImportFileSchema(ma.Schema):
    file = ma.fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class JobAcceptedSchema(ma.Schema):
    job = ma.fields.String(required=True)


def strip_blanks(data):
    """Form fields left empty mean "not given"."""
    return {k: v.strip() if isinstance(v, str) else v for k, v in data.items() if not (isinstance(v, str) and not v.strip())}


def tenant_doc(tenant, ancestors_by_id):
    """A tenant as the API shows it; ``ancestors_by_id`` maps id -> slug for its ancestors."""
    path = [ancestors_by_id[i] for i in tenant.ancestor_ids if i in ancestors_by_id] + [tenant.slug]
    return {
        "slug": tenant.slug, "name": tenant.name, "kind": tenant.kind,
        "parent": path[-2] if len(path) > 1 else None, "depth": tenant.depth, "path": path,
        "status": tenant.status, "children_count": tenant.children_count,
        "contact_name": tenant.contact_name, "contact_phone": tenant.contact_phone,
        "contact_email": tenant.contact_email, "address": tenant.address,
    }
