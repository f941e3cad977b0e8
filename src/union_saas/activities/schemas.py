"""Activity API shapes (API.md, Activities and sign-up); the pages validate their forms with the same schemas."""
import marshmallow as ma
from flask import url_for
from flask_babel import lazy_gettext as _l

from union_saas.activities.models import (
    CATEGORIES,
    RAW_HTML,
    SCOPES,
    SIGNUP_STATUSES,
    STATUSES,
)
from union_saas.tenancy.content import REACH_STATES
from union_saas.tenancy.schemas import JobAcceptedSchema  # noqa: F401 - one schema of that name in OpenAPI

TITLE = ma.validate.Length(min=1, max=120)
MAX_DESCRIPTION = 20_000


def no_html(text):
    if RAW_HTML.search(text or ""):
        raise ma.ValidationError([str(_l("Write Markdown, not HTML: tags and scripts are not allowed."))])


class ActivityFields(ma.Schema):
    """Fields an organiser sets; cross-field rules (end after start, window) live in the service."""

    title = ma.fields.String(validate=TITLE)
    description = ma.fields.String(validate=[ma.validate.Length(max=MAX_DESCRIPTION), no_html])
    category = ma.fields.String(validate=ma.validate.OneOf(CATEGORIES))
    series = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=80))
    starts_at = ma.fields.AwareDateTime()
    ends_at = ma.fields.AwareDateTime()
    location = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=200))
    online_url = ma.fields.Url(allow_none=True, schemes={"http", "https"}, validate=ma.validate.Length(max=500))
    capacity = ma.fields.Integer(allow_none=True, validate=ma.validate.Range(
        min=1, max=1_000_000, error=_l("At least 1 place (leave empty for unlimited).")),
        metadata={"description": "null = unlimited"})
    signup_opens_at = ma.fields.AwareDateTime(allow_none=True)
    signup_closes_at = ma.fields.AwareDateTime(allow_none=True, metadata={"description": "default: the start"})
    members_only = ma.fields.Boolean()
    scope = ma.fields.String(validate=ma.validate.OneOf(SCOPES))


class ActivityCreateSchema(ActivityFields):
    title = ma.fields.String(required=True, validate=TITLE)
    starts_at = ma.fields.AwareDateTime(required=True)
    ends_at = ma.fields.AwareDateTime(required=True)
    status = ma.fields.String(load_default="published", validate=ma.validate.OneOf(("draft", "published")))


class ActivityPatchSchema(ActivityFields):
    pass


class ActivitySchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    tenant = ma.fields.String(required=True)
    tenant_name = ma.fields.String()
    title = ma.fields.String(required=True)
    description = ma.fields.String(required=True)
    description_html = ma.fields.String()
    cover_url = ma.fields.String(allow_none=True)
    category = ma.fields.String(required=True, validate=ma.validate.OneOf(CATEGORIES))
    series = ma.fields.String(allow_none=True)
    starts_at = ma.fields.DateTime(required=True)
    ends_at = ma.fields.DateTime(required=True)
    location = ma.fields.String(allow_none=True)
    online_url = ma.fields.String(allow_none=True)
    scope = ma.fields.String(required=True, validate=ma.validate.OneOf(SCOPES))
    capacity = ma.fields.Integer(allow_none=True, required=True)
    remaining = ma.fields.Integer(allow_none=True)
    signup_opens_at = ma.fields.DateTime(allow_none=True, required=True)
    signup_closes_at = ma.fields.DateTime(allow_none=True, required=True)
    members_only = ma.fields.Boolean(required=True)
    confirmed_count = ma.fields.Integer(required=True)
    waitlist_count = ma.fields.Integer(required=True)
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(STATUSES))
    reach = ma.fields.String(allow_none=True, validate=ma.validate.OneOf(REACH_STATES), metadata={
        "description": "null unless scope is platform: pending (visible as subtree until the federation's "
                       "organisers decide), approved or rejected"})
    reach_reason = ma.fields.String(allow_none=True)
    my_signup = ma.fields.Dict(allow_none=True, metadata={"description": "{status, position?} of the caller"})
    group = ma.fields.Integer(allow_none=True, metadata={"description": "the interest group it belongs to"})


class ListArgs(ma.Schema):
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=1_000_000))
    per_page = ma.fields.Integer(load_default=50, validate=ma.validate.Range(min=1, max=200))
    upcoming = ma.fields.Boolean(load_default=True)
    category = ma.fields.String(validate=ma.validate.OneOf(CATEGORIES))
    where = ma.fields.String(load_default="everywhere", validate=ma.validate.OneOf(("mine", "above", "everywhere")),
                             metadata={"description": "mine: my union's; above: my ancestors'; everywhere"})
    tenant = ma.fields.String(metadata={"description": "only the federation of this tenant (slug)"})


class ReachListArgs(ma.Schema):
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=1_000_000))
    per_page = ma.fields.Integer(load_default=50, validate=ma.validate.Range(min=1, max=200))
    status = ma.fields.String(load_default="pending", validate=ma.validate.OneOf(REACH_STATES))


class ReachDecisionSchema(ma.Schema):
    reason = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=500))


class ManageListArgs(ma.Schema):
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=1_000_000))
    per_page = ma.fields.Integer(load_default=50, validate=ma.validate.Range(min=1, max=200))
    status = ma.fields.String(validate=ma.validate.OneOf(STATUSES))


class SignUpResultSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(SIGNUP_STATUSES))
    position = ma.fields.Integer(metadata={"description": "rank on the waitlist (1 = next)"})


class SignUpSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    user = ma.fields.String(required=True)
    display_name = ma.fields.String(required=True)
    union = ma.fields.String(allow_none=True)
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(SIGNUP_STATUSES))
    position = ma.fields.Integer(allow_none=True)
    created_at = ma.fields.DateTime(required=True)
    checked_in_at = ma.fields.DateTime(allow_none=True)


class SignUpListArgs(ma.Schema):
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=1_000_000))
    per_page = ma.fields.Integer(load_default=50, validate=ma.validate.Range(min=1, max=200))
    status = ma.fields.String(validate=ma.validate.OneOf(SIGNUP_STATUSES))


class CheckInSchema(ma.Schema):
    code = ma.fields.String(validate=ma.validate.Length(min=1, max=500),
                            metadata={"description": "the code of the QR on the organiser's screen (checks in the caller)"})
    ticket = ma.fields.String(validate=ma.validate.Length(min=1, max=500),
                              metadata={"description": "a member's ticket code (organisers only)"})

    @ma.validates_schema
    def one_of(self, data, **kwargs):
        if bool(data.get("code")) == bool(data.get("ticket")):
            raise ma.ValidationError([str(_l("Send either the code shown on the screen or a ticket."))], "code")


class CheckInResultSchema(ma.Schema):
    signup = ma.fields.Integer(required=True)
    user = ma.fields.String(required=True)
    display_name = ma.fields.String(required=True)
    checked_in_at = ma.fields.DateTime(required=True)


class CheckInCodeSchema(ma.Schema):
    code = ma.fields.String(required=True)
    url = ma.fields.String(required=True)
    expires_in = ma.fields.Integer(required=True, metadata={"description": "seconds until the next code"})


class MessageSchema(ma.Schema):
    body = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=2000))


class MessageResultSchema(ma.Schema):
    sent = ma.fields.Integer(required=True)


class MeasuresSchema(ma.Schema):
    signups = ma.fields.Integer(required=True, metadata={"description": "confirmed + waitlisted now"})
    confirmed = ma.fields.Integer(required=True)
    waitlisted = ma.fields.Integer(required=True)
    cancelled = ma.fields.Integer(required=True)
    checked_in = ma.fields.Integer(required=True)
    no_shows = ma.fields.Integer(required=True, metadata={"description": "confirmed, not checked in, once ended"})
    by_union = ma.fields.List(ma.fields.Dict(), required=True,
                              metadata={"description": "[{tenant, name, signups, checked_in}], most first"})


class CoverSchema(ma.Schema):
    file = ma.fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class MySignUpSchema(ma.Schema):
    activity = ma.fields.Nested(ActivitySchema, required=True)
    status = ma.fields.String(required=True)
    position = ma.fields.Integer(allow_none=True)
    checked_in_at = ma.fields.DateTime(allow_none=True)
    ticket = ma.fields.String(allow_none=True, metadata={"description": "ticket code for the organiser to scan"})


class CalendarSchema(ma.Schema):
    url = ma.fields.String(required=True, metadata={"description": "secret feed URL of my confirmed activities"})



# --- presenters: what the pages and the API show of a record (one place for both) -------------------

def my_doc(signup, rank=None):
    """The caller's own sign-up as the activity shows it: ``{status, position?}``, or None."""
    if signup is None or signup.status not in ("confirmed", "waitlisted"):
        return None
    doc = {"status": signup.status}
    if rank is not None:
        doc["position"] = rank
    return doc


def activity_doc(activity, signup=None, rank=None):
    """An activity as API.md gives it (its ``tenant`` loaded), with the caller's sign-up."""
    return {
        "id": activity.id, "tenant": activity.tenant.slug, "tenant_name": activity.tenant.name,
        "title": activity.title, "description": activity.description, "description_html": activity.description_html,
        "cover_url": url_for("activities.cover", activity_id=activity.id, v=activity.cover_id) if activity.cover_id
        else None,
        "category": activity.category, "series": activity.series, "starts_at": activity.starts_at,
        "ends_at": activity.ends_at, "location": activity.location, "online_url": activity.online_url,
        "scope": activity.scope, "capacity": activity.capacity, "remaining": activity.remaining,
        "signup_opens_at": activity.signup_opens_at, "signup_closes_at": activity.signup_closes_at,
        "members_only": activity.members_only, "confirmed_count": activity.confirmed_count,
        "waitlist_count": activity.waitlist_count, "status": activity.status, "reach": activity.reach,
        "reach_reason": activity.reach_reason, "my_signup": my_doc(signup, rank), "group": activity.group_id,
    }


def signup_doc(signup, rank=None):
    """A sign-up as its organisers see it (``user`` and ``home_tenant`` loaded)."""
    return {"id": signup.id, "user": signup.user.username, "display_name": signup.user.display_name,
            "union": signup.home_tenant.name if signup.home_tenant else None, "status": signup.status,
            "position": rank if rank is not None else signup.position, "created_at": signup.created_at,
            "checked_in_at": signup.checked_in_at}
