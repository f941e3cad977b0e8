"""Community API (API.md, Community: posts, comments, moderation)."""
from flask_babel import gettext as _
from flask_login import current_user

from union_saas.access.guards import record_view, signed_in, tenant_public, tenant_view
from union_saas.accounts.models import User
from union_saas.community import schemas, services
from union_saas.community.lookups import flood_limited
from union_saas.community.schemas import (
    comment_doc,
    item_doc,
    mute_doc,
    post_doc,
    report_doc,
)
from union_saas.core import files
from union_saas.core.api import Blueprint
from union_saas.core.pagination import paginate
from union_saas.extensions import db

blp = Blueprint("community_api", __name__, url_prefix="/api/v1", description="Community: posts, comments, moderation")

IMAGE_KINDS = (files.PNG, files.JPEG)
MAX_IMAGE_BYTES = 5 * 1024 * 1024


def check_image(storage, field="file"):
    return files.check(storage, IMAGE_KINDS, max_bytes=MAX_IMAGE_BYTES, field=field,
                       refused=_("Upload a PNG or JPEG image."))


# --- posts ---------------------------------------------------------------------------------------

@blp.route("/tenants/<slug>/posts", methods=["POST"])
@blp.arguments(schemas.PostCreateSchema)
@blp.response(201, schemas.PostSchema)
@blp.alt_response(403, description="Not a member or officer of this union, or muted")
@blp.alt_response(422, description="Empty, too long, HTML, or a blocked word")
@blp.alt_response(429, description="Past the new-account limits, or too fast")
@flood_limited
@tenant_public(signed_in=True)
def create_post(data, tenant):
    """``visible``, or ``pending`` (held for review by a watched word). Images: ``POST /posts/<id>/images``."""
    return post_doc(services.create_post(db.session, current_user, tenant, data), user=current_user)


@blp.route("/tenants/<slug>/posts", methods=["GET"])
@blp.arguments(schemas.FeedArgs, location="query")
@blp.response(200, schemas.PostPageSchema)
@tenant_public(signed_in=True)
def list_posts(args, tenant):
    """The visible posts of the union's space, pinned first, then newest first (the caller's own pending ones
    too): one query a page; continue with ``before=<next>``."""
    v = services.viewer(db.session, current_user)
    page = services.feed(db.session, v, tenant=tenant, per_page=args["per_page"], page=args["page"],
                         before=services.parse_cursor(args["before"]) if args.get("before") else None)
    return page.doc([post_doc(p, liked=p.id in page.liked, user=current_user) for p in page.items])


@blp.route("/groups/<int:group_id>/posts", methods=["POST"])
@blp.arguments(schemas.PostCreateSchema)
@blp.response(201, schemas.PostSchema)
@blp.alt_response(403, description="Not an active member of the group (or the group is not active), or muted")
@blp.alt_response(422, description="Empty, too long, HTML, or a blocked word")
@blp.alt_response(429, description="Past the new-account limits, or too fast")
@flood_limited
@record_view("group")
def create_group_post(data, group):
    """A post in the group's space (its union's watched words and moderators): ``visible`` or ``pending``."""
    post = services.create_post(db.session, current_user, group.tenant, data, group_id=group.id)
    return post_doc(post, user=current_user)


@blp.route("/groups/<int:group_id>/posts", methods=["GET"])
@blp.arguments(schemas.FeedArgs, location="query")
@blp.response(200, schemas.PostPageSchema)
@record_view("group")
def list_group_posts(args, group):
    """The visible posts of the group's space, pinned first, then newest first (the caller's own pending ones
    too): one query a page; continue with ``before=<next>``."""
    v = services.viewer(db.session, current_user)
    page = services.feed(db.session, v, tenant=group.tenant, group_id=group.id, per_page=args["per_page"],
                         page=args["page"],
                         before=services.parse_cursor(args["before"]) if args.get("before") else None)
    return page.doc([post_doc(p, liked=p.id in page.liked, user=current_user) for p in page.items])


@blp.route("/me/posts", methods=["GET"])
@blp.arguments(schemas.FeedArgs, location="query")
@blp.response(200, schemas.PostPageSchema)
@signed_in
def my_posts(args):
    """The caller's own posts, newest first (waiting and hidden ones included)."""
    v = services.viewer(db.session, current_user)
    page = services.feed(db.session, v, author=current_user, per_page=args["per_page"], page=args["page"],
                         before=services.parse_cursor(args["before"]) if args.get("before") else None)
    return page.doc([post_doc(p, liked=p.id in page.liked, user=current_user) for p in page.items])


@blp.route("/posts/<int:post_id>", methods=["GET"])
@blp.response(200, schemas.PostSchema)
@record_view("post")
def get_post(post):
    liked = post.id in services.liked_by(db.session, current_user, [post.id])
    return post_doc(post, liked=liked, user=current_user)


@blp.route("/posts/<int:post_id>", methods=["PATCH"])
@blp.arguments(schemas.PostPatchSchema)
@blp.response(200, schemas.PostSchema)
@record_view("post", services.MODERATE)
def patch_post(data, post):
    """Officers pin a post or close its comments."""
    services.edit_post(db.session, current_user, post, data)
    return post_doc(post, liked=post.id in services.liked_by(db.session, current_user, [post.id]), user=current_user)


@blp.route("/posts/<int:post_id>/images", methods=["POST"])
@blp.arguments(schemas.ImagesSchema, location="files")
@blp.response(201, schemas.PostSchema)
@blp.alt_response(403, description="Not the author")
@blp.alt_response(422, description="Not a PNG or JPEG, or a tenth image")
@record_view("post")
def add_image(files_, post):
    """The author adds an image (PNG or JPEG, up to 9 a post)."""
    services.add_images(db.session, current_user, post, [check_image(files_["file"])])
    return post_doc(post, user=current_user)


# --- comments ------------------------------------------------------------------------------------

@blp.route("/posts/<int:post_id>/comments", methods=["POST"])
@blp.arguments(schemas.CommentCreateSchema)
@blp.response(201, schemas.CommentSchema)
@blp.alt_response(403, description="Not a member or officer of the post's union, or muted")
@blp.alt_response(409, description="Comments closed, or the post is not visible")
@blp.alt_response(422, description="Empty, too long, HTML, a blocked word, or a reply to a reply")
@blp.alt_response(429, description="Past the new-account limits, or too fast")
@flood_limited
@record_view("post")
def create_comment(data, post):
    return comment_doc(services.create_comment(db.session, current_user, post, data), user=current_user)


@blp.route("/posts/<int:post_id>/comments", methods=["GET"])
@blp.arguments(schemas.CommunityPageArgs, location="query")
@blp.response(200, schemas.CommentPageSchema)
@record_view("post")
def list_comments(args, post):
    """Thread by thread: a comment, then its replies, oldest first."""
    v = services.viewer(db.session, current_user)
    page = paginate(db.session, services.comments_stmt(v, post), args["page"], args["per_page"])
    return page.doc([comment_doc(c, user=current_user) for c in page.items])


# --- likes ---------------------------------------------------------------------------------------

@blp.route("/posts/<int:post_id>/likes", methods=["POST"])
@blp.response(204)
@blp.alt_response(409, description="The post is not visible")
@record_view("post")
def like(post):
    """Idempotent: counted once per person."""
    services.like(db.session, current_user, post)


@blp.route("/posts/<int:post_id>/likes/me", methods=["DELETE"])
@blp.response(204)
@record_view("post")
def unlike(post):
    services.unlike(db.session, current_user, post)


# --- reports -------------------------------------------------------------------------------------

@blp.route("/posts/<int:post_id>/reports", methods=["POST"])
@blp.arguments(schemas.ReportCreateSchema)
@blp.response(201, schemas.CommunityReportSchema)
@blp.alt_response(409, description="Reported already, or not visible")
@record_view("post")
def report_post(data, post):
    return report_doc(services.report(db.session, current_user, "post", post, data))


@blp.route("/comments/<int:comment_id>/reports", methods=["POST"])
@blp.arguments(schemas.ReportCreateSchema)
@blp.response(201, schemas.CommunityReportSchema)
@blp.alt_response(409, description="Reported already, or not visible")
@record_view("comment")
def report_comment(data, comment):
    return report_doc(services.report(db.session, current_user, "comment", comment, data))


# --- moderation ----------------------------------------------------------------------------------

def detail_doc(item):
    counts = services.reports_counts(db.session, [item])
    appeal = services.appeal_of(db.session, item)
    doc = item_doc(item, counts.get((item.item_type, item.item_id), 0), appealed=appeal is not None)
    doc["reports"] = [{"reason": r.reason, "detail": r.detail, "created_at": r.created_at}
                      for r in services.item_reports(db.session, item)]
    history = services.author_history(db.session, item.author_id)
    doc["history"] = {k: v for k, v in history.items() if k != "decisions"}
    doc["appeal"] = {"statement": appeal.statement, "created_at": appeal.created_at} if appeal else None
    return doc


@blp.route("/tenants/<slug>/moderation", methods=["GET"])
@blp.arguments(schemas.QueueArgs, location="query")
@blp.response(200, schemas.QueuePageSchema)
@tenant_view(services.MODERATE)
def queue(args, tenant):
    """The queue of this union and every union below it, oldest first (``status``: open, kept, removed)."""
    page = paginate(db.session, services.queue_stmt(current_user, tenant, status=args["status"]), args["page"],
                    args["per_page"])
    counts = services.reports_counts(db.session, page.items)
    return page.doc([item_doc(i, counts.get((i.item_type, i.item_id), 0)) for i in page.items])


@blp.route("/moderation/<int:moderation_id>", methods=["GET"])
@blp.response(200, schemas.QueueDetailSchema)
@record_view("moderation", services.MODERATE)
def get_item(moderation):
    """One queue item with its reports and the author's history."""
    return detail_doc(moderation)


@blp.route("/moderation/<int:moderation_id>/decide", methods=["POST"])
@blp.arguments(schemas.ModerationDecisionSchema)
@blp.response(200, schemas.QueueDetailSchema)
@blp.alt_response(409, description="Decided already")
@blp.alt_response(422, description="A removal without a reason")
@record_view("moderation", services.MODERATE)
def decide(data, moderation):
    """Keep (it is visible again) or remove; the author is told."""
    return detail_doc(services.decide(db.session, current_user, moderation, data))


@blp.route("/moderation/<int:moderation_id>/appeal", methods=["POST"])
@blp.arguments(schemas.AppealCreateSchema)
@blp.response(201, schemas.AppealSchema)
@blp.alt_response(403, description="Not the author")
@blp.alt_response(409, description="Appealed already, not a removal, or decided at the federation")
@record_view("moderation")
def appeal(data, moderation):
    """The author appeals a removal, once: the parent union's moderators decide."""
    row = services.appeal(db.session, current_user, moderation, data)
    return schemas.appeal_doc(row, db.session.get(type(moderation.tenant), moderation.tenant.parent_id))


# --- watched words -------------------------------------------------------------------------------

@blp.route("/tenants/<slug>/watched-words", methods=["GET"])
@blp.response(200, schemas.WatchedWordsSchema)
@tenant_view(services.MODERATE)
def get_words(tenant):
    """The union's own words, and apart those it inherits (the federation's and every union's above)."""
    return services.watched_words(db.session, tenant)


@blp.route("/tenants/<slug>/watched-words", methods=["PUT"])
@blp.arguments(schemas.WatchedWordsInSchema)
@blp.response(200, schemas.WatchedWordsSchema)
@tenant_view(services.MODERATE)
def put_words(data, tenant):
    """Replace the union's own words (inherited ones stay)."""
    return services.set_watched_words(db.session, current_user, tenant, data)


# --- mutes ---------------------------------------------------------------------------------------

@blp.route("/tenants/<slug>/mutes", methods=["GET"])
@blp.arguments(schemas.CommunityPageArgs, location="query")
@blp.response(200, schemas.MutePageSchema)
@tenant_view(services.MODERATE)
def list_mutes(args, tenant):
    page = paginate(db.session, services.mutes_stmt(tenant), args["page"], args["per_page"])
    return page.doc([mute_doc(m) for m in page.items])


@blp.route("/tenants/<slug>/mutes", methods=["POST"])
@blp.arguments(schemas.MuteCreateSchema)
@blp.response(201, schemas.MuteSchema)
@blp.alt_response(422, description="No member of this subtree has that username")
@tenant_view(services.MODERATE)
def create_mute(data, tenant):
    """The person may not post or comment anywhere in this union's subtree for ``hours``."""
    user = db.session.query(User).filter_by(username=data["username"]).one_or_none()
    if user is None:
        raise services.fix("username", _("No member of this union or of a union below it has that username."))
    return mute_doc(services.mute(db.session, current_user, tenant, user, data))


@blp.route("/mutes/<int:mute_id>", methods=["DELETE"])
@blp.response(204)
@record_view("mute", services.MODERATE)
def delete_mute(mute):
    services.unmute(db.session, current_user, mute)
