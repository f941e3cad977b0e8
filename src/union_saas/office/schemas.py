"""Office API shapes (API.md, Office), shared by the API and the pages."""
import marshmallow as ma
from flask_babel import lazy_gettext as _l

from union_saas.core.db import utcnow
from union_saas.core.pagination import PageArgs
from union_saas.office.models import AUDIENCES, FIELD_KINDS, OPEN, PRIORITIES

TITLE = ma.validate.Length(min=1, max=200, error=_l("Between 1 and 200 characters."))


class To(ma.fields.Field):
    """``children``, ``subtree`` or a list of slugs."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value in ("children", "subtree"):
            return value
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            return value
        raise ma.ValidationError(_l("Use children, subtree, or a list of union addresses."))

    def _serialize(self, value, attr, obj, **kwargs):
        return value


class NoticeCreateSchema(ma.Schema):
    title = ma.fields.String(required=True, validate=TITLE)
    body = ma.fields.String(load_default="", validate=ma.validate.Length(max=20000))
    priority = ma.fields.String(load_default="normal", validate=ma.validate.OneOf(PRIORITIES))
    audience = ma.fields.String(load_default="offices", validate=ma.validate.OneOf(AUDIENCES))
    requires_ack = ma.fields.Boolean(load_default=False)
    to = To(required=True, metadata={"description": "children, subtree, or a list of slugs",
                                     "oneOf": [{"type": "string", "enum": ["children", "subtree"]},
                                               {"type": "array", "items": {"type": "string"}}]})

    @ma.validates("title")
    def not_blank(self, value, **kwargs):
        if not value.strip():
            raise ma.ValidationError(_l("Give the notice a title."))


class NoticeSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    tenant = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    body = ma.fields.String(required=True)
    body_html = ma.fields.String()
    priority = ma.fields.String(required=True)
    audience = ma.fields.String(required=True)
    requires_ack = ma.fields.Boolean(required=True)
    sent_at = ma.fields.DateTime(required=True)
    addressed_count = ma.fields.Integer(required=True)
    read_count = ma.fields.Integer(required=True)
    acked_count = ma.fields.Integer(required=True)


class InboxItemSchema(NoticeSchema):
    read_at = ma.fields.DateTime(allow_none=True, required=True)
    acked_at = ma.fields.DateTime(allow_none=True, required=True)


class MemberNoticeSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    tenant = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    body = ma.fields.String(required=True)
    body_html = ma.fields.String()
    priority = ma.fields.String(required=True)
    sent_at = ma.fields.DateTime(required=True)


class NoticeAcceptedSchema(ma.Schema):
    notice = ma.fields.Nested(NoticeSchema, required=True)
    job = ma.fields.String(required=True)


class InboxArgs(PageArgs):
    unread = ma.fields.Boolean(load_default=False)


class UnderArgs(PageArgs):
    under = ma.fields.String(load_default=None, validate=ma.validate.Length(min=1, max=63),
                             metadata={"description": "the tenant whose children the rows are (default: the sender)"})


class ReceiptRowSchema(ma.Schema):
    tenant = ma.fields.String(required=True)
    name = ma.fields.String()
    addressed = ma.fields.Integer(required=True)
    read = ma.fields.Integer(required=True)
    acked = ma.fields.Integer(required=True)


class RemindSchema(ma.Schema):
    under = ma.fields.String(load_default=None, allow_none=True)


class RemindedSchema(ma.Schema):
    reminded = ma.fields.Integer(required=True)


class OfficeNotificationSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    kind = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    notice = ma.fields.Integer(allow_none=True)
    assignment = ma.fields.Integer(allow_none=True)
    created_at = ma.fields.DateTime(required=True)


# --- tasks ------------------------------------------------------------------------------------------

class FieldSpecSchema(ma.Schema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=60))
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(FIELD_KINDS))
    required = ma.fields.Boolean(load_default=True)


class TaskCreateSchema(ma.Schema):
    title = ma.fields.String(required=True, validate=TITLE)
    instructions = ma.fields.String(load_default="", validate=ma.validate.Length(max=20000))
    due_at = ma.fields.AwareDateTime(required=True, default_timezone=None)
    fields = ma.fields.List(ma.fields.Nested(FieldSpecSchema), load_default=list,
                            validate=ma.validate.Length(max=30))
    to = To(required=True, metadata={"description": "children, subtree, or a list of slugs",
                                     "oneOf": [{"type": "string", "enum": ["children", "subtree"]},
                                               {"type": "array", "items": {"type": "string"}}]})

    @ma.validates("title")
    def not_blank(self, value, **kwargs):
        if not value.strip():
            raise ma.ValidationError(_l("Give the task a title."))

    @ma.validates("fields")
    def unique_names(self, value, **kwargs):
        # Runs even when a nested field failed its own checks (reported there): skip what has no name.
        names = [f["name"].strip() for f in value if isinstance(f, dict) and isinstance(f.get("name"), str)]
        if len(set(names)) != len(names) or any(not n for n in names):
            raise ma.ValidationError(_l("Each field needs its own name."))


class TaskSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    tenant = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    instructions = ma.fields.String(required=True)
    due_at = ma.fields.DateTime(required=True)
    fields = ma.fields.List(ma.fields.Nested(FieldSpecSchema), required=True)
    assigned_count = ma.fields.Integer(required=True)
    submitted_count = ma.fields.Integer(required=True)
    accepted_count = ma.fields.Integer(required=True)
    overdue_count = ma.fields.Integer(required=True)


class TaskAcceptedSchema(ma.Schema):
    task = ma.fields.Nested(TaskSchema, required=True)
    job = ma.fields.String(required=True)


class JobOnlySchema(ma.Schema):
    job = ma.fields.String(required=True)


class AssignmentSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    task = ma.fields.Integer(required=True)
    title = ma.fields.String()
    due_at = ma.fields.DateTime()
    tenant = ma.fields.String(required=True)
    status = ma.fields.String(required=True)
    parent_assignment = ma.fields.Integer(allow_none=True)
    report = ma.fields.Dict(allow_none=True)
    submitted_at = ma.fields.DateTime(allow_none=True)
    reason = ma.fields.String(allow_none=True)
    overdue = ma.fields.Boolean()
    cascaded = ma.fields.Boolean()


class AssignmentArgs(PageArgs):
    status = ma.fields.String(validate=ma.validate.OneOf(("open", "submitted", "accepted", "returned")))


class CascadeSchema(ma.Schema):
    to = To(required=True, metadata={"oneOf": [{"type": "string", "enum": ["children", "subtree"]},
                                               {"type": "array", "items": {"type": "string"}}]})


class ReportSchema(ma.Schema):
    values = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Raw(allow_none=True), required=True)


class ReturnSchema(ma.Schema):
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=2000))

    @ma.validates("reason")
    def not_blank(self, value, **kwargs):
        if not value.strip():
            raise ma.ValidationError(_l("Say why the report is returned."))


class ProgressRowSchema(ma.Schema):
    tenant = ma.fields.String(required=True)
    name = ma.fields.String()
    status = ma.fields.String(allow_none=True, required=True)
    assigned = ma.fields.Integer(required=True)
    submitted = ma.fields.Integer(required=True)
    accepted = ma.fields.Integer(required=True)
    overdue = ma.fields.Integer(required=True)
    values = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Float(allow_none=True), required=True)


class AttachmentUploadSchema(ma.Schema):
    field = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=60))


class AttachmentFileSchema(ma.Schema):
    file = ma.fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class AttachmentSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    field = ma.fields.String(required=True)
    filename = ma.fields.String(required=True)
    content_type = ma.fields.String(required=True)
    size = ma.fields.Integer(required=True)


def notice_doc(notice, sender_slug, counts=(0, 0)):
    return {"id": notice.id, "tenant": sender_slug, "title": notice.title, "body": notice.body,
            "body_html": notice.body_html, "priority": notice.priority, "audience": notice.audience,
            "requires_ack": notice.requires_ack, "sent_at": notice.sent_at,
            "addressed_count": notice.addressed_count, "read_count": counts[0], "acked_count": counts[1]}


def notification_doc(n):
    return {"id": n.id, "kind": n.kind, "title": n.title, "notice": n.notice_id, "assignment": n.assignment_id,
            "created_at": n.created_at}


class NoticeFileSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    filename = ma.fields.String(required=True)
    content_type = ma.fields.String(required=True)
    size = ma.fields.Integer(required=True)


def notice_file_doc(a):
    return {"id": a.id, "filename": a.file.filename, "content_type": a.file.content_type, "size": a.file.size}


def assignment_doc(assignment, task, slug, now=None):
    now = now or utcnow()
    return {"id": assignment.id, "task": task.id, "title": task.title, "due_at": assignment.due_at,
            "tenant": slug, "status": assignment.status, "parent_assignment": assignment.parent_assignment_id,
            "report": assignment.report, "submitted_at": assignment.submitted_at, "reason": assignment.reason,
            "overdue": assignment.status in OPEN and assignment.due_at < now, "cascaded": assignment.cascaded}


def task_doc(task, slug, counts=(0, 0, 0, 0)):
    return {"id": task.id, "tenant": slug, "title": task.title, "instructions": task.instructions,
            "due_at": task.due_at, "fields": task.fields, "assigned_count": counts[0],
            "submitted_count": counts[1], "accepted_count": counts[2], "overdue_count": counts[3]}
