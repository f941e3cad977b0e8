"""Help request API shapes (API.md, Help requests) and the presenters pages and API both use."""
import marshmallow as ma
from flask_babel import lazy_gettext as _l

from union_saas.assistance import services
from union_saas.assistance.models import CATEGORIES, STATUSES, URGENCIES
from union_saas.core.db import utcnow
from union_saas.core.pagination import PageArgs

TITLE = ma.validate.Length(min=1, max=120)
BODY = ma.validate.Length(min=1, max=10_000)
REASON = ma.validate.Length(min=1, max=1000)


def not_blank(value):
    if not (value or "").strip():
        raise ma.ValidationError([str(_l("Must not be empty."))])


class HelpCaseCreateSchema(ma.Schema):
    category = ma.fields.String(required=True, validate=ma.validate.OneOf(CATEGORIES))
    title = ma.fields.String(required=True, validate=[TITLE, not_blank])
    description = ma.fields.String(required=True, validate=[ma.validate.Length(min=1, max=20_000), not_blank])
    urgency = ma.fields.String(load_default="normal", validate=ma.validate.OneOf(URGENCIES))


class HelpMessageCreateSchema(ma.Schema):
    body = ma.fields.String(required=True, validate=[BODY, not_blank])
    internal = ma.fields.Boolean(load_default=False)


class HelpAssignSchema(ma.Schema):
    username = ma.fields.String(required=True, validate=[ma.validate.Length(min=1, max=80), not_blank])


class HelpStatusSchema(ma.Schema):
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(STATUSES))


class HelpReasonSchema(ma.Schema):
    reason = ma.fields.String(required=True, validate=[REASON, not_blank])


class HelpRateSchema(ma.Schema):
    score = ma.fields.Integer(required=True, strict=False, validate=ma.validate.Range(min=1, max=5))
    comment = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=1000))


POSITIVE = ma.validate.Range(min=0, min_inclusive=False, max=24 * 365,
                             error=_l("A positive number, at most a year."))
POSITIVE_DAYS = ma.validate.Range(min=0, min_inclusive=False, max=365, error=_l("A positive number, at most a year."))


class HelpClockSchema(ma.Schema):
    first_response_hours = ma.fields.Float(required=True, allow_nan=False, validate=POSITIVE)
    resolution_days = ma.fields.Float(required=True, allow_nan=False, validate=POSITIVE_DAYS)


class HelpSettingsSchema(ma.Schema):
    categories = ma.fields.Dict(keys=ma.fields.String(validate=ma.validate.OneOf(
                                    CATEGORIES, error=_l("Not a category of help requests."))),
                                values=ma.fields.Nested(HelpClockSchema), required=True)


class HelpQueueArgs(PageArgs):
    status = ma.fields.String(validate=ma.validate.OneOf((*STATUSES, "active")))
    breached = ma.fields.Boolean(load_default=False)
    escalated = ma.fields.Boolean(load_default=False)
    here = ma.fields.Boolean(load_default=False, metadata={"description": "only the cases this union handles now"})
    category = ma.fields.String(validate=ma.validate.OneOf(CATEGORIES))


class HelpEscalationSchema(ma.Schema):
    from_ = ma.fields.String(data_key="from", required=True)
    to = ma.fields.String(required=True)
    from_name = ma.fields.String()
    to_name = ma.fields.String()
    at = ma.fields.DateTime(required=True)
    reason = ma.fields.String(allow_none=True)
    automatic = ma.fields.Boolean(required=True)


class HelpMessageSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    author = ma.fields.String(required=True)
    by_handler = ma.fields.Boolean(required=True)
    internal = ma.fields.Boolean(required=True)
    body = ma.fields.String(required=True)
    created_at = ma.fields.DateTime(required=True)


class HelpAttachmentSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    filename = ma.fields.String(required=True)
    size = ma.fields.Integer(required=True)
    url = ma.fields.String(required=True)


class HelpEventSchema(ma.Schema):
    kind = ma.fields.String(required=True)
    at = ma.fields.DateTime(required=True)
    actor = ma.fields.String(allow_none=True)
    value = ma.fields.String(allow_none=True)


class HelpCaseSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    tenant = ma.fields.String(required=True, metadata={"description": "the union handling it now"})
    tenant_name = ma.fields.String()
    home = ma.fields.String(required=True, metadata={"description": "the union it was filed at"})
    category = ma.fields.String(required=True, validate=ma.validate.OneOf(CATEGORIES))
    title = ma.fields.String(required=True)
    description = ma.fields.String(allow_none=True, required=True, metadata={
        "description": "null for a hardship case, except to its requester and the handlers of the unions it is "
                       "or has been at"})
    urgency = ma.fields.String(required=True, validate=ma.validate.OneOf(URGENCIES))
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(STATUSES))
    requester = ma.fields.String(required=True, metadata={"description": "display name, or masked"})
    assignee = ma.fields.String(allow_none=True, required=True)
    created_at = ma.fields.DateTime(required=True)
    first_response_due = ma.fields.DateTime(required=True)
    first_response_at = ma.fields.DateTime(allow_none=True)
    resolution_due = ma.fields.DateTime(required=True)
    resolved_at = ma.fields.DateTime(allow_none=True)
    breached = ma.fields.Boolean(required=True)
    escalations = ma.fields.List(ma.fields.Nested(HelpEscalationSchema), required=True)
    rating = ma.fields.Integer(allow_none=True, required=True)
    rating_comment = ma.fields.String(allow_none=True)
    messages = ma.fields.List(ma.fields.Nested(HelpMessageSchema))
    attachments = ma.fields.List(ma.fields.Nested(HelpAttachmentSchema))
    events = ma.fields.List(ma.fields.Nested(HelpEventSchema))


class HelpSettingsDocSchema(ma.Schema):
    categories = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Nested(HelpClockSchema), required=True)


class HelpQueueDocSchema(ma.Schema):
    overdue = ma.fields.Integer(required=True)
    escalated = ma.fields.Integer(required=True)


# --- presenters ---------------------------------------------------------------------------------------------

def message_doc(message, case, who):
    if message.by_handler:
        author = message.author.display_name
    else:
        author = message.author.display_name if services.shows_name(case, who) else services.mask(
            message.author.display_name)
    return {"id": message.id, "author": author, "by_handler": message.by_handler, "internal": message.internal,
            "body": message.body, "created_at": message.created_at}


def case_doc(case, who, *, events=(), messages=None, attachments=None, now=None):
    """A case as ``who`` (``services.Rights``) may see it: a requester never gets an internal message, and a
    hardship case's description and requester are hidden from handlers who were never at its level."""
    now = now or utcnow()
    escalations = [{"from": e.from_tenant.slug, "to": e.to_tenant.slug, "from_name": e.from_tenant.name,
                    "to_name": e.to_tenant.name, "at": e.at,
                    "reason": e.reason if who.handler else None, "automatic": e.automatic}
                   for e in events if e.kind == "escalated"]
    name = case.requester.display_name
    doc = {
        "id": case.id, "tenant": case.tenant.slug, "tenant_name": case.tenant.name, "home": case.home.slug,
        "category": case.category, "title": case.title,
        "description": case.description if services.shows_description(case, who) else None,
        "urgency": case.urgency, "status": case.status,
        "requester": name if services.shows_name(case, who) else services.mask(name),
        "assignee": case.assignee.username if case.assignee_id else None, "created_at": case.created_at,
        "first_response_due": case.first_response_due, "first_response_at": case.first_response_at,
        "resolution_due": case.resolution_due, "resolved_at": case.resolved_at, "breached": case.breached_at(now),
        "escalations": escalations, "rating": case.rating, "rating_comment": case.rating_comment,
    }
    if messages is not None:
        shown = messages if who.handler and not who.requester else [m for m in messages if not m.internal]
        doc["messages"] = [message_doc(m, case, who) for m in shown]
    if attachments is not None:
        doc["attachments"] = [{"id": a.id, "filename": a.file.filename, "size": a.file.size,
                               "url": f"/api/v1/help-attachments/{a.id}"} for a in attachments] \
            if (who.requester or services.shows_description(case, who)) else []
    if who.handler:
        def actor(e):
            if e.actor is None:
                return None
            hidden = e.actor_id == case.requester_id and not services.shows_name(case, who)
            return services.mask(e.actor.display_name) if hidden else e.actor.display_name

        doc["events"] = [{"kind": e.kind, "at": e.at, "actor": actor(e), "value": e.value} for e in events]
    return doc


class HelpAttachmentUploadSchema(ma.Schema):
    file = ma.fields.Raw(required=True, metadata={"type": "string", "format": "binary"})
