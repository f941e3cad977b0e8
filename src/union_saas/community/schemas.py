"""Community API shapes (API.md, Community: posts, comments, moderation); pages validate with the same schemas.

The presenters (``post_doc``, ``comment_doc``, ``item_doc``...) are what pages and API both show.
"""
import re

import marshmallow as ma
from flask import url_for
from flask_babel import lazy_gettext as _l

from union_saas.community.models import (
    MAX_BODY,
    POST_SCOPES,
    QUEUE_REASONS,
    QUEUE_STATUSES,
    REASONS,
    STATUSES,
)
from union_saas.core.pagination import MAX_PAGE, MAX_PER_PAGE

# A tag (not a Markdown autolink such as <https://...>), or a script URL: refused (422), not silently cut.
RAW_HTML = re.compile(r"<(?!(?:https?://|mailto:)[^>\s]*>)\s*/?\s*[a-zA-Z!?]|javascript\s*:|data\s*:\s*text/html",
                      re.IGNORECASE)


def no_html(text):
    if RAW_HTML.search(text or ""):
        raise ma.ValidationError([str(_l("Write Markdown, not HTML: tags and scripts are not allowed."))])


def not_blank(text):
    if not (text or "").strip():
        raise ma.ValidationError([str(_l("Write something first."))])


BODY = [ma.validate.Length(min=1, max=MAX_BODY), not_blank, no_html]
COMMENT_BODY = [ma.validate.Length(min=1, max=2000), not_blank, no_html]


class PostCreateSchema(ma.Schema):
    body = ma.fields.String(required=True, validate=BODY, metadata={"description": "Markdown, at most 5,000 characters"})
    scope = ma.fields.String(load_default="subtree", validate=ma.validate.OneOf(POST_SCOPES),
                             metadata={"description": "tenant: this union's members; subtree: and every union below"})
    link = ma.fields.Url(load_default=None, allow_none=True, schemes={"http", "https"},
                         validate=ma.validate.Length(max=500))


class PostPatchSchema(ma.Schema):
    pinned = ma.fields.Boolean()
    comments_closed = ma.fields.Boolean()


class ImagesSchema(ma.Schema):
    file = ma.fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class FeedArgs(ma.Schema):
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=MAX_PAGE))
    per_page = ma.fields.Integer(load_default=20, validate=ma.validate.Range(min=1, max=MAX_PER_PAGE))
    before = ma.fields.String(validate=ma.validate.Regexp(r"^[01]\.[1-9][0-9]{0,9}$"), metadata={
        "description": "the `next` of the previous page: the page after it (keyset; `page` is then ignored)"})


class CommunityPageArgs(ma.Schema):
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=MAX_PAGE))
    per_page = ma.fields.Integer(load_default=50, validate=ma.validate.Range(min=1, max=MAX_PER_PAGE))


class QueueArgs(CommunityPageArgs):
    status = ma.fields.String(load_default="open", validate=ma.validate.OneOf(QUEUE_STATUSES))


class CommentCreateSchema(ma.Schema):
    body = ma.fields.String(required=True, validate=COMMENT_BODY)
    parent = ma.fields.Integer(load_default=None, allow_none=True, validate=ma.validate.Range(min=1, max=2**31 - 1),
                               metadata={"description": "the comment answered (one level deep)"})


class ReportCreateSchema(ma.Schema):
    reason = ma.fields.String(required=True, validate=ma.validate.OneOf(REASONS))
    detail = ma.fields.String(load_default="", validate=[ma.validate.Length(max=500), no_html])


class ModerationDecisionSchema(ma.Schema):
    action = ma.fields.String(required=True, validate=ma.validate.OneOf(("keep", "remove")))
    reason = ma.fields.String(load_default="", validate=[ma.validate.Length(max=500), no_html])


class AppealCreateSchema(ma.Schema):
    statement = ma.fields.String(required=True, validate=[ma.validate.Length(min=1, max=2000), not_blank, no_html])


WORD = ma.fields.String(validate=ma.validate.Length(min=1, max=100))


class WatchedWordsInSchema(ma.Schema):
    block = ma.fields.List(WORD, load_default=list, validate=ma.validate.Length(max=20_000))
    review = ma.fields.List(WORD, load_default=list, validate=ma.validate.Length(max=20_000))


class InheritedWordsSchema(ma.Schema):
    block = ma.fields.List(ma.fields.String(), required=True)
    review = ma.fields.List(ma.fields.String(), required=True)


class WatchedWordsSchema(ma.Schema):
    block = ma.fields.List(ma.fields.String(), required=True)
    review = ma.fields.List(ma.fields.String(), required=True)
    inherited = ma.fields.Nested(InheritedWordsSchema, required=True,
                                 metadata={"description": "the words of every union above (the federation's)"})


class MuteCreateSchema(ma.Schema):
    username = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=80))
    hours = ma.fields.Integer(required=True, validate=ma.validate.Range(min=1, max=24 * 90))
    reason = ma.fields.String(load_default="", validate=[ma.validate.Length(max=500), no_html])


# --- out ---------------------------------------------------------------------------------------------

class PostSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    tenant = ma.fields.String(required=True)
    tenant_name = ma.fields.String()
    group = ma.fields.Integer(allow_none=True)
    author = ma.fields.String(required=True, metadata={"description": "the author's display name"})
    mine = ma.fields.Boolean()
    body = ma.fields.String(required=True)
    body_html = ma.fields.String(required=True, metadata={"description": "the body rendered and sanitised"})
    link = ma.fields.String(allow_none=True)
    images = ma.fields.List(ma.fields.String(), required=True, metadata={"description": "image URLs"})
    scope = ma.fields.String(required=True, validate=ma.validate.OneOf(POST_SCOPES))
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(STATUSES))
    pinned = ma.fields.Boolean(required=True)
    comments_closed = ma.fields.Boolean(required=True)
    likes_count = ma.fields.Integer(required=True)
    comments_count = ma.fields.Integer(required=True)
    liked_by_me = ma.fields.Boolean(required=True)
    created_at = ma.fields.DateTime(required=True)


class PostPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(PostSchema), required=True)
    page = ma.fields.Integer(required=True)
    per_page = ma.fields.Integer(required=True)
    total = ma.fields.Integer(required=True)
    next = ma.fields.String(allow_none=True, required=True,
                            metadata={"description": "pass as `before` for the next page; null at the end"})


class CommentSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    post = ma.fields.Integer(required=True)
    parent = ma.fields.Integer(allow_none=True, required=True)
    author = ma.fields.String(required=True)
    mine = ma.fields.Boolean()
    body = ma.fields.String(required=True)
    body_html = ma.fields.String(required=True)
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(STATUSES))
    created_at = ma.fields.DateTime(required=True)


class CommunityReportSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    item = ma.fields.Dict(required=True, metadata={"description": "{type, id}"})
    reason = ma.fields.String(required=True, validate=ma.validate.OneOf(REASONS))
    detail = ma.fields.String(required=True)
    created_at = ma.fields.DateTime(required=True)


class QueueItemSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    tenant = ma.fields.String(required=True, metadata={"description": "the union whose queue holds it"})
    item = ma.fields.Dict(required=True, metadata={"description": "{type (post or comment), id, excerpt}"})
    reason = ma.fields.String(required=True, validate=ma.validate.OneOf(QUEUE_REASONS))
    reports_count = ma.fields.Integer(required=True)
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(QUEUE_STATUSES))
    author = ma.fields.String(required=True)
    created_at = ma.fields.DateTime(required=True)
    escalated_at = ma.fields.DateTime(allow_none=True)
    decided_at = ma.fields.DateTime(allow_none=True)
    decision_reason = ma.fields.String()
    appealed = ma.fields.Boolean()


class QueuePageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(QueueItemSchema), required=True)
    page = ma.fields.Integer(required=True)
    per_page = ma.fields.Integer(required=True)
    total = ma.fields.Integer(required=True)


class QueueDetailSchema(QueueItemSchema):
    reports = ma.fields.List(ma.fields.Dict(), required=True,
                             metadata={"description": "[{reason, detail, created_at}] (reporters are not named)"})
    history = ma.fields.Dict(required=True, metadata={
        "description": "{posts, posts_removed, comments, comments_removed} of the author"})
    appeal = ma.fields.Dict(allow_none=True, metadata={"description": "{statement, created_at}"})


class AppealSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    moderation = ma.fields.Integer(required=True, metadata={"description": "the removal appealed against"})
    review = ma.fields.Integer(required=True, metadata={"description": "the queue item at the parent union"})
    tenant = ma.fields.String(required=True, metadata={"description": "the union that decides"})
    statement = ma.fields.String(required=True)
    created_at = ma.fields.DateTime(required=True)


class MuteSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    tenant = ma.fields.String(required=True)
    username = ma.fields.String(required=True)
    display_name = ma.fields.String(required=True)
    until = ma.fields.DateTime(required=True)
    reason = ma.fields.String(required=True)


class MutePageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(MuteSchema), required=True)
    page = ma.fields.Integer(required=True)
    per_page = ma.fields.Integer(required=True)
    total = ma.fields.Integer(required=True)


class CommentPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(CommentSchema), required=True)
    page = ma.fields.Integer(required=True)
    per_page = ma.fields.Integer(required=True)
    total = ma.fields.Integer(required=True)


def _uid(user):
    return user.id if getattr(user, "is_authenticated", False) else None


def post_doc(post, *, liked=False, user=None):
    """A post as API.md gives it (its ``tenant`` and ``author`` loaded)."""
    return {
        "id": post.id, "tenant": post.tenant.slug, "tenant_name": post.tenant.name, "group": post.group_id,
        "author": post.author.display_name, "mine": post.author_id == _uid(user), "body": post.body,
        "body_html": post.body_html, "link": post.link,
        "images": [url_for("community.image", post_id=post.id, index=i) for i in range(len(post.image_ids or []))],
        "scope": post.scope, "status": post.status, "pinned": post.pinned, "comments_closed": post.comments_closed,
        "likes_count": post.likes_count, "comments_count": post.comments_count, "liked_by_me": bool(liked),
        "created_at": post.created_at,
    }


def comment_doc(comment, *, user=None):
    return {"id": comment.id, "post": comment.post_id, "parent": comment.parent_id,
            "author": comment.author.display_name, "mine": comment.author_id == _uid(user), "body": comment.body,
            "body_html": comment.body_html, "status": comment.status, "created_at": comment.created_at}


def report_doc(report):
    return {"id": report.id, "item": {"type": report.item_type, "id": report.item_id}, "reason": report.reason,
            "detail": report.detail, "created_at": report.created_at}


def item_doc(item, reports_count=0, *, appealed=None):
    """A queue item (its ``tenant`` and ``author`` loaded)."""
    doc = {"id": item.id, "tenant": item.tenant.slug,
           "item": {"type": item.item_type, "id": item.item_id, "excerpt": item.excerpt},
           "reason": item.reason, "reports_count": reports_count, "status": item.status,
           "author": item.author.display_name, "created_at": item.created_at, "escalated_at": item.escalated_at,
           "decided_at": item.decided_at, "decision_reason": item.decision_reason}
    if appealed is not None:
        doc["appealed"] = appealed
    return doc


def appeal_doc(appeal, tenant):
    return {"id": appeal.id, "moderation": appeal.moderation_id, "review": appeal.review_id, "tenant": tenant.slug,
            "statement": appeal.statement, "created_at": appeal.created_at}


def mute_doc(mute):
    return {"id": mute.id, "tenant": mute.tenant.slug, "username": mute.user.username,
            "display_name": mute.user.display_name, "until": mute.until, "reason": mute.reason}


