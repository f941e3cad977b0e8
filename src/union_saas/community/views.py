"""Pages: a union's posts (read, write, comment, like, report), my posts, and the moderators' queue, watched
words and mutes under /manage. Every page has its API twin (``community.api``)."""
import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from union_saas.access.guards import record_view, signed_in, tenant_public, tenant_view
from union_saas.accounts.models import User
from union_saas.community import schemas, services
from union_saas.community.lookups import flood_limited
from union_saas.community.models import MAX_IMAGES, REASON_LABELS, REASONS
from union_saas.core import files
from union_saas.core.errors import NotFound
from union_saas.core.forms import form_page, load
from union_saas.core.pagination import paginate
from union_saas.extensions import db
from union_saas.members import services as members
from union_saas.tenancy import sections
from union_saas.tenancy.content import SCOPE_LABELS

bp = Blueprint("community", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/community")

IMAGE_KINDS = (files.PNG, files.JPEG)
MAX_IMAGE_BYTES = 5 * 1024 * 1024
PER_PAGE = 20

sections.manage_tab("community.queue", _l("Moderation"), "community.moderate", 50,
                    count=lambda tenant: services.queue_count(db.session, tenant))


def _home_url(user):
    home = members.home_of(db.session, user)
    return url_for("community.feed_page", slug=home.slug) if home is not None else None


sections.me_entry("my_posts", 40, _l("My posts"), lambda user: url_for("community.my_posts"),
                  count=lambda user: services.my_posts_count(db.session, user))
sections.service("posts", 40, _l("Community posts"), _home_url)


@sections.section("posts", 25, "community/_home_section.html")
def home_section(tenant, user):
    """The newest posts of this union's space that the visitor may read, and of the visitor's groups (at this
    union; at their home union, every group of theirs): one query."""
    if not getattr(user, "is_authenticated", False):
        return {"tenant": tenant, "page": None, "anonymous": True}
    v = services.viewer(db.session, user)
    page = services.feed(db.session, v, tenant=tenant, per_page=5, with_groups=True)
    return {"tenant": tenant, "page": page, "anonymous": False}


def scope_options():
    return [(s, SCOPE_LABELS[s]) for s in ("subtree", "tenant")]


def reason_options():
    return [(r, REASON_LABELS[r]) for r in REASONS]


def check_images(field="images"):
    """The images of a form (at most 9, each a PNG or JPEG, proved by its content)."""
    uploads = [f for f in request.files.getlist(field) if f and f.filename]
    if len(uploads) > MAX_IMAGES:
        raise services.fix(field, _("At most %(n)d images.", n=MAX_IMAGES))
    return [files.check(f, IMAGE_KINDS, max_bytes=MAX_IMAGE_BYTES, field=field,
                        refused=_("Upload a PNG or JPEG image.")) for f in uploads]


# --- a union's posts -----------------------------------------------------------------------------

def render_feed(tenant, *, values=None, errors=None, detail=None):
    v = services.viewer(db.session, current_user)
    before = services.parse_cursor(request.args.get("before")) if request.args.get("before") else None
    page = services.feed(db.session, v, tenant=tenant, per_page=PER_PAGE, before=before)
    return render_template("community/feed.html", tenant=tenant, page=page, may_post=services.may_post(
        db.session, current_user, tenant), values=values or {"scope": "subtree"}, errors=errors or {},
        detail=detail, scopes=scope_options(), max_images=MAX_IMAGES)


@bp.route("/t/<slug>/posts", methods=["GET", "POST"])
@flood_limited
@tenant_public(signed_in=True)
@form_page(render_feed)
def feed_page(tenant):
    if request.method == "GET":
        return render_feed(tenant)
    data = load(schemas.PostCreateSchema(), {"body": request.form.get("body", ""),
                                             "scope": request.form.get("scope") or "subtree",
                                             "link": (request.form.get("link") or "").strip() or None})
    post = services.create_post(db.session, current_user, tenant, data, check_images())
    if post.status == "pending":
        flash(_("Your post waits for a moderator's review before others see it."), "warning")
    else:
        flash(_("Your post is published."))
    return redirect(url_for("community.detail", post_id=post.id))


# --- a group's posts ---------------------------------------------------------------------------

def render_group_feed(group, *, values=None, errors=None, detail=None):
    v = services.viewer(db.session, current_user)
    before = services.parse_cursor(request.args.get("before")) if request.args.get("before") else None
    page = services.feed(db.session, v, tenant=group.tenant, group_id=group.id, per_page=PER_PAGE, before=before)
    return render_template("community/feed.html", tenant=group.tenant, group=group, page=page,
                           may_post=services.may_write(db.session, current_user, group.tenant, group.id),
                           values=values or {"scope": "subtree"}, errors=errors or {}, detail=detail,
                           scopes=scope_options(), max_images=MAX_IMAGES)


@bp.route("/groups/<int:group_id>/posts", methods=["GET", "POST"])
@flood_limited
@record_view("group")
@form_page(render_group_feed)
def group_feed(group):
    """The group's space: its members write, whoever sees the group reads."""
    if request.method == "GET":
        return render_group_feed(group)
    data = load(schemas.PostCreateSchema(), {"body": request.form.get("body", ""), "scope": "subtree",
                                             "link": (request.form.get("link") or "").strip() or None})
    post = services.create_post(db.session, current_user, group.tenant, data, check_images(), group_id=group.id)
    if post.status == "pending":
        flash(_("Your post waits for a moderator's review before others see it."), "warning")
    else:
        flash(_("Your post is published."))
    return redirect(url_for("community.detail", post_id=post.id))


@bp.route("/me/posts")
@signed_in
def my_posts():
    v = services.viewer(db.session, current_user)
    before = services.parse_cursor(request.args.get("before")) if request.args.get("before") else None
    page = services.feed(db.session, v, author=current_user, per_page=PER_PAGE, before=before)
    return render_template("community/my_posts.html", page=page, home=v.home)


def render_detail(post, *, values=None, errors=None, detail=None, status=200):
    v = services.viewer(db.session, current_user)
    page = paginate(db.session, services.comments_stmt(v, post), request.args.get("page", 1, type=int), 100)
    return render_template(
        "community/detail.html", post=post, tenant=post.tenant, comments=page,
        liked=post.id in services.liked_by(db.session, current_user, [post.id]),
        moderates=services.moderates(current_user, post.tenant),
        may_comment=services.may_write(db.session, current_user, post.tenant, post.group_id),
        values=values or {}, errors=errors or {}, detail=detail, max_images=MAX_IMAGES,
        reply_to=(values or {}).get("parent"))


@bp.route("/posts/<int:post_id>")
@record_view("post")
def detail(post):
    return render_detail(post)


@bp.route("/posts/<int:post_id>/comments", methods=["POST"])
@flood_limited
@record_view("post")
@form_page(render_detail)
def comment(post):
    parent = request.form.get("parent") or None
    data = load(schemas.CommentCreateSchema(), {"body": request.form.get("body", ""), "parent": parent})
    row = services.create_comment(db.session, current_user, post, data)
    if row.status == "pending":
        flash(_("Your comment waits for a moderator's review before others see it."), "warning")
    return redirect(url_for("community.detail", post_id=post.id, _anchor=f"c{row.id}"))


@bp.route("/posts/<int:post_id>/images", methods=["POST"])
@record_view("post")
@form_page(render_detail)
def add_images(post):
    uploads = check_images()
    services.add_images(db.session, current_user, post, uploads)
    return redirect(url_for("community.detail", post_id=post.id))


@bp.route("/posts/<int:post_id>/images/<int:index>")
@record_view("post")
def image(post, index):
    row = files.get(db.session, services.image_of(post, index))
    if row is None:
        raise NotFound(_("Not found."))
    return files.send(row, inline=True, max_age=3600)


@bp.route("/posts/<int:post_id>/like", methods=["POST"])
@record_view("post")
def like(post):
    services.like(db.session, current_user, post)
    return redirect(url_for("community.detail", post_id=post.id))


@bp.route("/posts/<int:post_id>/unlike", methods=["POST"])
@record_view("post")
def unlike(post):
    services.unlike(db.session, current_user, post)
    return redirect(url_for("community.detail", post_id=post.id))


@bp.route("/posts/<int:post_id>/edit", methods=["POST"])
@record_view("post", services.MODERATE)
def edit(post):
    """An officer pins or unpins a post, closes or opens its comments."""
    data = load(schemas.PostPatchSchema(), {k: request.form[k] == "1" for k in ("pinned", "comments_closed")
                                            if k in request.form})
    services.edit_post(db.session, current_user, post, data)
    flash(_("Saved."))
    return redirect(url_for("community.detail", post_id=post.id))


# --- reports -------------------------------------------------------------------------------------

def render_report(item_type, item, *, values=None, errors=None, detail=None):
    post = item if item_type == "post" else item.post
    return render_template("community/report.html", item_type=item_type, item=item, post=post,
                           reasons=reason_options(), values=values or {"reason": "spam"}, errors=errors or {},
                           detail=detail)


def _report(item_type, item):
    if request.method == "GET":
        return render_report(item_type, item)
    data = load(schemas.ReportCreateSchema(), {"reason": request.form.get("reason", ""),
                                               "detail": request.form.get("detail", "")})
    services.report(db.session, current_user, item_type, item, data)
    flash(_("Thank you: the moderators will look at it."))
    post_id = item.id if item_type == "post" else item.post_id
    return redirect(url_for("community.detail", post_id=post_id))


def render_post_report(post, **kwargs):
    return render_report("post", post, **kwargs)


def render_comment_report(comment, **kwargs):
    return render_report("comment", comment, **kwargs)


@bp.route("/posts/<int:post_id>/report", methods=["GET", "POST"])
@record_view("post")
@form_page(render_post_report)
def report_post(post):
    return _report("post", post)


@bp.route("/comments/<int:comment_id>/report", methods=["GET", "POST"])
@record_view("comment")
@form_page(render_comment_report)
def report_comment(comment):
    return _report("comment", comment)


# --- moderation ----------------------------------------------------------------------------------

@bp.route("/manage/<slug>/moderation")
@tenant_view(services.MODERATE)
def queue(tenant):
    status = request.args.get("status") if request.args.get("status") in ("open", "kept", "removed") else "open"
    page = paginate(db.session, services.queue_stmt(current_user, tenant, status=status),
                    request.args.get("page", 1, type=int), 50)
    counts = services.reports_counts(db.session, page.items)
    return render_template("community/queue.html", tenant=tenant, page=page, counts=counts, status=status)


def render_item(moderation, *, values=None, errors=None, detail=None):
    moderates = services.moderates(current_user, moderation.tenant)
    appeal = services.appeal_of(db.session, moderation)
    ctx = {"item": moderation, "tenant": moderation.tenant, "moderates": moderates, "appeal": appeal,
           "values": values or {}, "errors": errors or {}, "detail": detail,
           "record": services.item_record(db.session, moderation),
           "mine": moderation.author_id == current_user.id,
           "parent": db.session.get(type(moderation.tenant), moderation.tenant.parent_id)
           if moderation.tenant.parent_id else None}
    if moderates:
        ctx["reports"] = services.item_reports(db.session, moderation)
        ctx["history"] = services.author_history(db.session, moderation.author_id)
        ctx["counts"] = services.reports_counts(db.session, [moderation])
    return render_template("community/item.html", **ctx)


@bp.route("/moderation/<int:moderation_id>")
@record_view("moderation")
def item(moderation):
    """Moderators: the item, its reports, the author's history and the decision; the author: the decision
    and the appeal."""
    return render_item(moderation)


@bp.route("/moderation/<int:moderation_id>/decide", methods=["POST"])
@record_view("moderation", services.MODERATE)
@form_page(render_item)
def decide(moderation):
    data = load(schemas.ModerationDecisionSchema(), {"action": request.form.get("action", ""),
                                           "reason": request.form.get("reason", "")})
    services.decide(db.session, current_user, moderation, data)
    flash(_("Decided: the author is told."))
    return redirect(url_for("community.queue", slug=moderation.tenant.slug))


@bp.route("/moderation/<int:moderation_id>/appeal", methods=["POST"])
@record_view("moderation")
@form_page(render_item)
def appeal(moderation):
    data = load(schemas.AppealCreateSchema(), {"statement": request.form.get("statement", "")})
    services.appeal(db.session, current_user, moderation, data)
    flash(_("Your appeal is sent to the moderators of the union above."))
    return redirect(url_for("community.item", moderation_id=moderation.id))


# --- watched words -------------------------------------------------------------------------------

def _lines(text):
    return [line.strip() for line in (text or "").replace(",", "\n").replace("，", "\n").splitlines() if line.strip()]


def render_words(tenant, *, values=None, errors=None, detail=None):
    current = services.watched_words(db.session, tenant)
    values = values or {"block": "\n".join(current["block"]), "review": "\n".join(current["review"])}
    return render_template("community/words.html", tenant=tenant, current=current, values=values,
                           errors=errors or {}, detail=detail)


@bp.route("/manage/<slug>/watched-words", methods=["GET", "POST"])
@tenant_view(services.MODERATE)
@form_page(render_words)
def words(tenant):
    if request.method == "GET":
        return render_words(tenant)
    data = load(schemas.WatchedWordsInSchema(), {"block": _lines(request.form.get("block")),
                                                 "review": _lines(request.form.get("review"))})
    services.set_watched_words(db.session, current_user, tenant, data)
    flash(_("The watched words are saved."))
    return redirect(url_for("community.words", slug=tenant.slug))


# --- mutes ---------------------------------------------------------------------------------------

def render_mutes(tenant, *, values=None, errors=None, detail=None):
    page = paginate(db.session, services.mutes_stmt(tenant), request.args.get("page", 1, type=int), 50)
    return render_template("community/mutes.html", tenant=tenant, page=page, values=values or {"hours": "24"},
                           errors=errors or {}, detail=detail)


@bp.route("/manage/<slug>/mutes", methods=["GET", "POST"])
@tenant_view(services.MODERATE)
@form_page(render_mutes)
def mutes(tenant):
    if request.method == "GET":
        return render_mutes(tenant)
    data = load(schemas.MuteCreateSchema(), {k: request.form.get(k, "") for k in ("username", "hours", "reason")})
    user = db.session.scalar(sa.select(User).where(User.username == data["username"]))
    if user is None:
        raise services.fix("username", _("No member of this union or of a union below it has that username."))
    services.mute(db.session, current_user, tenant, user, data)
    flash(_("%(name)s is muted.", name=user.display_name))
    return redirect(url_for("community.mutes", slug=tenant.slug))


@bp.route("/manage/mutes/<int:mute_id>/delete", methods=["POST"])
@record_view("mute", services.MODERATE)
def unmute(mute):
    slug = mute.tenant.slug
    services.unmute(db.session, current_user, mute)
    flash(_("The mute is lifted."))
    return redirect(url_for("community.mutes", slug=slug))
