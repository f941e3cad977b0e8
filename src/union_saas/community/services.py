"""Rules of the community: posting, commenting, liking, reporting, moderating, watched words, limits.

Plain functions taking a session: they flush, raise domain errors, never commit.

- Who posts in a union's space: members of it or of a union below it (an active membership) and its
  officers (any grant there or above). A group's space (``Post.group_id``) is resolved by ``space_of``:
  the groups domain plugs in there (``GROUP_SPACES``).
- Who sees a post: its audience (``scope``: the union, or the union and every union below it) while it is
  ``visible``; its author in every status; moderators (``community.moderate`` at its union or above) always.
- Likes and reports are rows unique per person and item, inserted with ``ON CONFLICT DO NOTHING``; the
  counters move by ``n = n + 1`` only when a row went in: exact under any concurrency.
- Moderation: an item waits in its union's queue (``ModerationItem.tenant_id``), is seen by the moderators
  of that union and above (``engine.filter``), escalates to the parent's queue after 24 hours
  (``tasks.escalate``), and a removal may be appealed once, to the parent union's moderators.
"""
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from union_saas.access import engine, resources
from union_saas.access.policy import perm
from union_saas.community import words
from union_saas.community.models import (
    ITEM_LABELS,
    MAX_IMAGES,
    NOTIFICATION_KINDS,
    Appeal,
    Comment,
    CommunitySettings,
    ModerationItem,
    Mute,
    Post,
    PostImage,
    PostLike,
    Report,
    WatchedWord,
)
from union_saas.core import files, inbox
from union_saas.core.audit import AUDIT_LABELS, record
from union_saas.core.db import utcnow
from union_saas.core.errors import (
    Conflict,
    Forbidden,
    TooManyAttempts,
    ValidationFailed,
)
from union_saas.core.markup import render_markdown
from union_saas.members import audience
from union_saas.members.audience import Viewer, viewer
from union_saas.members.models import Membership
from union_saas.tenancy.content import audience_clause
from union_saas.tenancy.models import Tenant, path_ids, subtree_clause

MODERATE = perm("community.moderate")
DEFAULT_THRESHOLD = 3
ESCALATE_AFTER = timedelta(hours=24)
NEW_ACCOUNT = timedelta(hours=24)
NEW_ACCOUNT_POSTS = 5
NEW_ACCOUNT_COMMENTS = 20
EXCERPT = 120

AUDIT_LABELS.update({
    "community.decide": _l("%(actor)s moderated a post or comment at %(union)s."),
    "community.appeal": _l("%(actor)s appealed a moderation decision at %(union)s."),
    "community.words": _l("%(actor)s changed the watched words at %(union)s."),
    "community.mute": _l("%(actor)s muted someone at %(union)s."),
    "community.unmute": _l("%(actor)s lifted a mute at %(union)s."),
    "community.post.edit": _l("%(actor)s pinned a post or closed its comments at %(union)s."),
})

TOLD = {key: inbox.kind(f"community.{key}", title) for key, title in NOTIFICATION_KINDS.items()}


def fix(field, message):
    return ValidationFailed(_("Please correct the marked fields."), errors={field: [message]})


# --- spaces: a union's, or a group's ------------------------------------------------------------------

@dataclass(frozen=True)
class Space:
    """Where a post lives: its union, and for a group's post, the group's rules.

    ``member(session, user)``: may ``user`` post and comment here; ``sees(session, user)``: may ``user``
    read what is visible here (beyond the union's audience rule)."""

    tenant: Tenant
    group_id: int | None = None
    member: Callable | None = None
    sees: Callable | None = None
    group: object = None  # the group's record (its name and page), for a group's space


# group id -> Space: filled by the groups domain (``register_group_spaces``); community never imports groups.
GROUP_SPACES: dict = {"resolve": None, "member_groups": None}


def register_group_spaces(resolve, *, member_groups=None):
    """``resolve(session, group_id) -> Space | None``: how a group's space is found (the groups domain);
    ``member_groups(user)``: the SELECT of the ids of the groups ``user`` belongs to (the home feed)."""
    GROUP_SPACES["resolve"] = resolve
    GROUP_SPACES["member_groups"] = member_groups


def group_space(session, group_id) -> Space | None:
    resolve = GROUP_SPACES["resolve"]
    return resolve(session, group_id) if resolve is not None else None


def with_group():
    """Load a post's group in the same query, where the groups domain mapped ``Post.group``."""
    return [joinedload(Post.group)] if hasattr(Post, "group") else []


def space_of(session, post) -> Space | None:
    if post.group_id is None:
        return Space(post.tenant)
    return group_space(session, post.group_id)


# --- who sees what ------------------------------------------------------------------------------------

def _uid(user):
    return user.id if getattr(user, "is_authenticated", False) else None


def moderates(user, tenant) -> bool:
    return _uid(user) is not None and engine.can(user, MODERATE, tenant)


def post_visible(session, user, post) -> bool:
    if _uid(user) is not None and post.author_id == user.id:
        return True
    if moderates(user, post.tenant):
        return True
    if post.status != "visible":
        return False
    if post.group_id is not None:
        space = group_space(session, post.group_id)
        return space is not None and space.sees(session, user)
    return viewer(session, user).audience.reaches(post)


def _load_post(session, post_id):
    return session.scalar(sa.select(Post).options(joinedload(Post.tenant), joinedload(Post.author),
                                                  *with_group()).where(Post.id == post_id))


def _load_comment(session, comment_id):
    return session.scalar(sa.select(Comment).options(
        joinedload(Comment.tenant), joinedload(Comment.author),
        joinedload(Comment.post).joinedload(Post.tenant)).where(Comment.id == comment_id))


def comment_visible(session, user, comment) -> bool:
    if not post_visible(session, user, comment.post):
        return False
    if comment.status == "visible" or moderates(user, comment.tenant):
        return True
    return _uid(user) is not None and comment.author_id == user.id


def _load_item(session, item_id):
    return session.scalar(sa.select(ModerationItem).options(
        joinedload(ModerationItem.tenant), joinedload(ModerationItem.author)).where(ModerationItem.id == item_id))


def item_visible(session, user, item) -> bool:
    """A queue item: its union's moderators (and above); its author (to read the decision and appeal)."""
    return moderates(user, item.tenant) or (_uid(user) is not None and item.author_id == user.id)


def _load_mute(session, mute_id):
    return session.scalar(sa.select(Mute).options(joinedload(Mute.tenant), joinedload(Mute.user))
                          .where(Mute.id == mute_id))


POST = resources.register("post", Post, visible=post_visible, load=_load_post, manage=MODERATE, scoped=True)
COMMENT = resources.register("comment", Comment, visible=comment_visible, load=_load_comment, manage=MODERATE,
                             scoped=True)
MODERATION = resources.register("moderation", ModerationItem, visible=item_visible, load=_load_item,
                                manage=MODERATE)
MUTE = resources.register("mute", Mute, visible=lambda session, user, mute: moderates(user, mute.tenant),
                          load=_load_mute, manage=MODERATE)


def may_post(session, user, tenant) -> bool:
    """Members of ``tenant`` or of a union below it, and its officers (any grant there or above)."""
    if _uid(user) is None:
        return False
    v = viewer(session, user)
    return (v.home is not None and tenant.id in v.audience.home_and_ancestors) or engine.manages(user, tenant)


# --- feeds: one query a page (keyset) ---------------------------------------------------------------

def _seen_clause(v: Viewer):
    """Visible posts that ``v`` may read: reached by the audience rule, or at a union ``v`` moderates."""
    arms = []
    reached = audience_clause(Post, v.audience)
    if reached is not None:
        arms.append(reached)
    moderated = audience.managed_clause(Post, v.user, MODERATE) if v.user is not None else None
    if moderated is not None:
        arms.append(moderated)
    return sa.and_(Post.status == "visible", sa.or_(*arms)) if arms else sa.false()


def _own_waiting(uid):
    return sa.and_(Post.author_id == uid, Post.status.in_(("pending", "hidden")))


def _my_groups_clause(v: Viewer, tenant):
    """Visible posts (and the viewer's own waiting ones) of the groups ``v`` belongs to: at ``tenant``, or
    anywhere when ``tenant`` is the viewer's home union. None without a groups domain or a person."""
    member_groups = GROUP_SPACES["member_groups"]
    uid = _uid(v.user)
    if member_groups is None or uid is None:
        return None
    parts = [Post.group_id.in_(member_groups(v.user)), sa.or_(Post.status == "visible", _own_waiting(uid))]
    if v.home is None or v.home.id != tenant.id:
        parts.append(Post.tenant_id == tenant.id)
    return sa.and_(*parts)


def feed_clause(v: Viewer, *, tenant=None, group_id=None, author=None, with_groups=False):
    """The posts of a space that ``v`` reads (their own pending and hidden ones too).

    A group's space (``group_id``): whoever the caller let through sees the group (``Space.sees``, the
    route's guard), so its visible posts, and the viewer's own waiting ones, are theirs to read.
    ``with_groups``: the union's space and, beside it, the posts of the viewer's groups (the home feed)."""
    uid = _uid(v.user)
    if tenant is not None and group_id is not None:
        seen = Post.status == "visible"
        if uid is not None:
            seen = sa.or_(seen, _own_waiting(uid))
        return sa.and_(Post.tenant_id == tenant.id, Post.group_id == group_id, seen)
    seen = _seen_clause(v)
    if uid is not None:
        seen = sa.or_(seen, _own_waiting(uid))
    parts = [seen]
    if tenant is not None:
        parts.append(Post.tenant_id == tenant.id)
        parts.append(Post.group_id.is_(None))
        groups = _my_groups_clause(v, tenant) if with_groups else None
        if groups is not None:
            parts = [sa.or_(sa.and_(*parts), groups)]
    if author is not None:
        parts = [Post.author_id == author.id]  # a person's own posts: every status but removed
        parts.append(Post.status != "removed")
    return sa.and_(*parts)


@dataclass
class FeedPage:
    items: list
    liked: set
    total: int
    per_page: int
    page: int
    next: str | None

    def doc(self, items):
        return {"items": items, "page": self.page, "per_page": self.per_page, "total": self.total,
                "next": self.next}


def _cursor(post):
    return f"{int(post.pinned)}.{post.id}"


def parse_cursor(text):
    """``"<pinned>.<id>"`` -> (pinned, id), or None when it is no cursor (422 from the API's schema)."""
    try:
        pinned, _sep, post_id = (text or "").partition(".")
        pinned, post_id = int(pinned), int(post_id)
    except ValueError:
        return None
    if pinned not in (0, 1) or not 0 < post_id < 2**31:
        return None
    return bool(pinned), post_id


def feed(session, v: Viewer, *, tenant=None, group_id=None, author=None, per_page=20, page=1, before=None,
         pinned_first=True, with_groups=False) -> FeedPage:
    """A page of posts, newest first (pinned ones first in a space's feed): one query, with the author, the
    union, whether the viewer liked each, and the feed's total (a scalar subquery of the same statement).

    ``before`` (a cursor from the last page's ``next``) continues after it (keyset); else ``page`` counts."""
    where = feed_clause(v, tenant=tenant, group_id=group_id, author=author, with_groups=with_groups)
    pinned_first = pinned_first and not with_groups  # a union's pins lead its own space, not a mixed feed
    uid = _uid(v.user)
    liked = (sa.exists().where(PostLike.post_id == Post.id, PostLike.user_id == uid) if uid is not None
             else sa.false())
    total = sa.select(sa.func.count()).select_from(Post).where(where).scalar_subquery()
    pinned_first = pinned_first and author is None
    stmt = (sa.select(Post, liked.label("liked"), total.label("total"))
            .options(joinedload(Post.author), joinedload(Post.tenant), *with_group()).where(where))
    if before is not None:
        pinned, post_id = before
        if pinned_first and pinned:  # past a pinned post: the older pinned ones, then every unpinned one
            stmt = stmt.where(sa.or_(Post.pinned.is_(False), sa.and_(Post.pinned.is_(True), Post.id < post_id)))
        elif pinned_first:
            stmt = stmt.where(Post.pinned.is_(False), Post.id < post_id)
        else:
            stmt = stmt.where(Post.id < post_id)
    order = (Post.pinned.desc(), Post.id.desc()) if pinned_first else (Post.id.desc(),)
    stmt = stmt.order_by(*order).limit(per_page + 1)
    if before is None and page > 1:
        stmt = stmt.offset((page - 1) * per_page)
    rows = session.execute(stmt).all()
    more = len(rows) > per_page
    rows = rows[:per_page]
    items = [row[0] for row in rows]
    if rows:
        count = rows[0][2]
    else:  # an empty page: the total alone (only then a second query)
        count = session.scalar(sa.select(sa.func.count()).select_from(Post).where(where))
    last = items[-1] if items else None
    cursor = None
    if more and last is not None:
        cursor = _cursor(last) if pinned_first else f"0.{last.id}"
    return FeedPage(items, {row[0].id for row in rows if row[1]}, count, per_page, page, cursor)


def liked_by(session, user, post_ids) -> set:
    uid = _uid(user)
    if uid is None or not post_ids:
        return set()
    return set(session.scalars(sa.select(PostLike.post_id).where(PostLike.user_id == uid,
                                                                 PostLike.post_id.in_(post_ids))))


def my_posts_count(session, user) -> int:
    uid = _uid(user)
    if uid is None:
        return 0
    return session.scalar(sa.select(sa.func.count()).select_from(Post).where(Post.author_id == uid,
                                                                            Post.status != "removed"))


# --- watched words ---------------------------------------------------------------------------------

def _versions(session, tenant):
    ids = path_ids(tenant.path)
    found = dict(session.execute(sa.select(CommunitySettings.tenant_id, CommunitySettings.words_version)
                                 .where(CommunitySettings.tenant_id.in_(ids))).all())
    return tuple((tid, found.get(tid, "")) for tid in ids)


def matcher(session, tenant) -> words.Matcher:
    """The prepared words that bind ``tenant``: its own and every union's above it (the federation's)."""
    key = _versions(session, tenant)
    ids = [tid for tid, version in key if version]

    def load():
        if not ids:
            return []
        return session.execute(sa.select(WatchedWord.word, WatchedWord.level)
                               .where(WatchedWord.tenant_id.in_(ids))).all()

    return words.matcher_for(key, load)


def screen(session, tenant, text, field="body") -> str:
    """``visible``, or ``pending`` when a review word is in ``text``; 422 on ``field`` for a block word."""
    hits = matcher(session, tenant).find(text)
    if hits.block:
        raise fix(field, _("This contains a word that is not allowed here: %(word)s.", word=hits.block[0]))
    return "pending" if hits.review else "visible"


def watched_words(session, tenant) -> dict:
    """Its own words and, apart, the ones it inherits (from every union above it)."""
    rows = session.execute(sa.select(WatchedWord.tenant_id, WatchedWord.word, WatchedWord.level)
                           .where(WatchedWord.tenant_id.in_(path_ids(tenant.path)))
                           .order_by(WatchedWord.word)).all()
    own = {"block": [], "review": []}
    inherited = {"block": [], "review": []}
    for tid, word, level in rows:
        (own if tid == tenant.id else inherited)[level].append(word)
    return {"block": own["block"], "review": own["review"], "inherited": inherited}


def set_watched_words(session, actor, tenant, data) -> dict:
    """Replace the union's own list (the inherited words stay: they are not the union's to remove)."""
    wanted, errors = {}, {}
    for level in ("block", "review"):
        for word in data.get(level, []):
            key = words.normalise(word)
            if not key:
                errors.setdefault(level, []).append(_("%(word)s has no letters or digits to match.", word=word))
                continue
            if key in wanted and wanted[key][1] != level:
                errors.setdefault(level, []).append(_("%(word)s is both a block and a review word.", word=word))
            wanted.setdefault(key, (word.strip(), level))
    if errors:
        raise ValidationFailed(_("Please correct the marked fields."), errors=errors)
    session.execute(sa.delete(WatchedWord).where(WatchedWord.tenant_id == tenant.id))
    if wanted:
        session.execute(sa.insert(WatchedWord), [
            {"tenant_id": tenant.id, "root_id": tenant.root_id or tenant.id, "word": word, "normalised": key,
             "level": level, "created_at": utcnow()} for key, (word, level) in wanted.items()])
    settings = _settings(session, tenant)
    settings.words_version = uuid.uuid4().hex
    session.flush()
    record(session, action="community.words", actor=actor, tenant=tenant, target=tenant.slug,
           detail={"block": sum(1 for w in wanted.values() if w[1] == "block"),
                   "review": sum(1 for w in wanted.values() if w[1] == "review")})
    return watched_words(session, tenant)


def _settings(session, tenant) -> CommunitySettings:
    row = session.get(CommunitySettings, tenant.id)
    if row is None:
        row = CommunitySettings(tenant_id=tenant.id, words_version="")
        session.add(row)
        session.flush()
    return row


def report_threshold(session, tenant_id) -> int:
    value = session.scalar(sa.select(CommunitySettings.report_threshold)
                           .where(CommunitySettings.tenant_id == tenant_id))
    return value or DEFAULT_THRESHOLD


# --- limits ----------------------------------------------------------------------------------------

def flood_limit():
    """How fast one person may post and comment (Flask-Limiter), pages and API together."""
    return current_app.config.get("COMMUNITY_FLOOD_LIMITS", "10 per minute") if has_app_context() else ""


def check_mute(session, user, tenant):
    """403 while a moderator of ``tenant`` or of a union above it has muted ``user``."""
    until = session.scalar(sa.select(sa.func.max(Mute.until)).where(
        Mute.user_id == user.id, Mute.until > utcnow(), Mute.tenant_id.in_(path_ids(tenant.path))))
    if until is not None:
        raise Forbidden(_("A moderator has muted you here until %(until)s.", until=until.strftime("%Y-%m-%d %H:%M")))


def check_new_account(session, user, model):
    """In an account's first 24 hours: at most 5 posts and 20 comments (429 beyond)."""
    created = user.created_at
    if created is None or utcnow() - created >= NEW_ACCOUNT:
        return
    most = NEW_ACCOUNT_POSTS if model is Post else NEW_ACCOUNT_COMMENTS
    done = session.scalar(sa.select(sa.func.count()).select_from(model).where(model.author_id == user.id))
    if done >= most:
        if model is Post:
            raise TooManyAttempts(_("New accounts may write at most %(n)d posts on their first day.", n=most))
        raise TooManyAttempts(_("New accounts may write at most %(n)d comments on their first day.", n=most))


# --- posting ---------------------------------------------------------------------------------------

def _excerpt(text):
    text = " ".join((text or "").split())
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"


def _queue(session, item_type, item, tenant, reason):
    """Put ``item`` in its union's queue unless it waits there already (one open item per post or comment)."""
    table = ModerationItem.__table__
    values = {"tenant_id": tenant.id, "root_id": tenant.root_id or tenant.id, "content_tenant_id": tenant.id,
              "item_type": item_type, "item_id": item.id, "author_id": item.author_id,
              "excerpt": _excerpt(item.body)[:200], "reason": reason, "status": "open", "created_at": utcnow(),
              "decision_reason": ""}
    return insert_new(session, table, values, ["item_type", "item_id"], index_where=table.c.status == "open")


def insert_new(session, table, values, keys, *, index_where=None) -> bool:
    """``INSERT ... ON CONFLICT (keys) DO NOTHING``: True when the row went in (the database referees a race)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(table).values(**values).on_conflict_do_nothing(index_elements=keys, index_where=index_where)
    # RETURNING says whether a row went in (the driver's rowcount does not, once RETURNING is there)
    return session.execute(stmt.returning(table.c.id)).first() is not None


def may_write(session, user, tenant, group_id=None) -> bool:
    """May ``user`` post and comment in this space: the union's (``may_post``), or a group's (its members)."""
    if group_id is None:
        return may_post(session, user, tenant)
    if _uid(user) is None:
        return False
    space = group_space(session, group_id)
    return space is not None and space.member(session, user)


def create_post(session, actor, tenant, data, images=(), *, group_id=None) -> Post:
    """A post in ``tenant``'s space, or in the group ``group_id``'s (hosted at ``tenant``): ``images`` are
    ``files.check``ed uploads, up to 9."""
    space = None
    if group_id is None and not may_post(session, actor, tenant):
        raise Forbidden(_("Only members and officers of this union post here."))
    if group_id is not None:
        space = group_space(session, group_id)
        if space is None or space.tenant.id != tenant.id or not space.member(session, actor):
            raise Forbidden(_("Only the group's members post here."))
    if len(images) > MAX_IMAGES:
        raise fix("images", _("At most %(n)d images.", n=MAX_IMAGES))
    check_mute(session, actor, tenant)
    check_new_account(session, actor, Post)
    status = screen(session, tenant, data["body"])
    post = Post(tenant_id=tenant.id, root_id=tenant.root_id or tenant.id, group_id=group_id, author_id=actor.id,
                body=data["body"], body_html=render_markdown(data["body"]), link=data.get("link") or None,
                scope=data.get("scope") or "subtree", status=status, image_ids=[], likes_count=0,
                comments_count=0, reports_count=0, reports_kept=0, pinned=False, comments_closed=False)
    session.add(post)
    session.flush()
    if images:
        add_images(session, actor, post, images)
    if status == "pending":
        _queue(session, "post", post, tenant, "word")
    post.tenant = tenant
    post.author = actor
    if hasattr(Post, "group"):
        post.group = space.group if space is not None else None
    return post


def add_images(session, actor, post, uploads):
    """Add checked uploads to the author's post (422 past 9 in all)."""
    if post.author_id != actor.id:
        raise Forbidden(_("Only the author adds images to a post."))
    if post.status == "removed":
        raise Conflict(_("This post was removed."))
    if not uploads:
        raise fix("images", _("Choose an image first."))
    ids = list(post.image_ids or [])
    if len(ids) + len(uploads) > MAX_IMAGES:
        raise fix("images", _("At most %(n)d images.", n=MAX_IMAGES))
    for upload in uploads:
        stored = files.save_upload(session, upload)
        session.add(PostImage(post_id=post.id, position=len(ids), file_id=stored.id))
        ids.append(stored.id)
    post.image_ids = ids
    session.flush()
    return post


def image_of(post, index):
    ids = post.image_ids or []
    return ids[index] if 0 <= index < len(ids) else None


def edit_post(session, actor, post, data) -> Post:
    """An officer pins a post or closes its comments (``community.moderate`` at its union)."""
    changes = {}
    for field in ("pinned", "comments_closed"):
        if field in data and data[field] != getattr(post, field):
            changes[field] = data[field]
            setattr(post, field, data[field])
    session.flush()
    if changes:
        record(session, action="community.post.edit", actor=actor, tenant=post.tenant, target=str(post.id),
               detail=changes)
    return post


def _require_open(post):
    if post.status != "visible":
        raise Conflict(_("This post is not visible: it cannot take comments, likes or reports now."))


def create_comment(session, actor, post, data) -> Comment:
    _require_open(post)
    if post.comments_closed:
        raise Conflict(_("Comments are closed on this post."))
    tenant = post.tenant
    if post.group_id is None and not may_post(session, actor, tenant):
        raise Forbidden(_("Only members and officers of this union comment here."))
    if post.group_id is not None:
        space = group_space(session, post.group_id)
        if space is None or not space.member(session, actor):
            raise Forbidden(_("Only the group's members comment here."))
    parent_id = data.get("parent")
    if parent_id is not None:
        parent = session.get(Comment, parent_id)
        if parent is None or parent.post_id != post.id or parent.status == "removed":
            raise fix("parent", _("No such comment on this post."))
        if parent.parent_id is not None:
            raise fix("parent", _("Replies go one level deep: answer the first comment."))
    check_mute(session, actor, tenant)
    check_new_account(session, actor, Comment)
    status = screen(session, tenant, data["body"])
    comment = Comment(post_id=post.id, parent_id=parent_id, tenant_id=post.tenant_id, root_id=post.root_id,
                      author_id=actor.id, body=data["body"], body_html=render_markdown(data["body"]), status=status,
                      reports_count=0, reports_kept=0)
    session.add(comment)
    session.flush()
    if status == "visible":
        _count_comments(session, post.id, +1)
    else:
        _queue(session, "comment", comment, tenant, "word")
    comment.author = actor
    comment.tenant = tenant
    return comment


def _count_comments(session, post_id, delta):
    session.execute(sa.update(Post).where(Post.id == post_id)
                    .values(comments_count=Post.comments_count + delta).execution_options(synchronize_session=False))


def comments_stmt(v: Viewer, post):
    """The comments of ``post`` that ``v`` reads, thread by thread (a comment, then its replies), oldest first."""
    uid = _uid(v.user)
    shown = Comment.status == "visible"
    if moderates(v.user, post.tenant):
        shown = Comment.status != "removed"
    elif uid is not None:
        shown = sa.or_(shown, sa.and_(Comment.author_id == uid, Comment.status.in_(("pending", "hidden"))))
    return (sa.select(Comment).options(joinedload(Comment.author)).where(Comment.post_id == post.id, shown)
            .order_by(sa.func.coalesce(Comment.parent_id, Comment.id), Comment.id))


# --- likes -----------------------------------------------------------------------------------------

def like(session, actor, post) -> bool:
    """Like once; a second like changes nothing. True when a like was added."""
    _require_open(post)
    table = PostLike.__table__
    added = insert_new(session, table, {"post_id": post.id, "user_id": actor.id, "created_at": utcnow()},
                       ["post_id", "user_id"])
    if added:
        session.execute(sa.update(Post).where(Post.id == post.id).values(likes_count=Post.likes_count + 1)
                        .execution_options(synchronize_session=False))
    return added


def unlike(session, actor, post) -> bool:
    gone = session.execute(sa.delete(PostLike).where(PostLike.post_id == post.id, PostLike.user_id == actor.id)
                           .execution_options(synchronize_session=False)).rowcount
    if gone:
        session.execute(sa.update(Post).where(Post.id == post.id).values(likes_count=Post.likes_count - 1)
                        .execution_options(synchronize_session=False))
    return bool(gone)


# --- reports ---------------------------------------------------------------------------------------

def report(session, actor, item_type, item, data) -> Report:
    """One report per person and item (409 twice); at the union's threshold of distinct reporters the
    item is hidden until a moderator decides; every reported item waits in its union's queue."""
    model = Post if item_type == "post" else Comment
    if item.status != "visible":
        raise Conflict(_("This is already waiting for a moderator, or was removed."))
    table = Report.__table__
    added = insert_new(session, table, {
        "item_type": item_type, "item_id": item.id, "user_id": actor.id, "root_id": item.root_id,
        "reason": data["reason"], "detail": (data.get("detail") or "").strip(), "created_at": utcnow()},
        ["item_type", "item_id", "user_id"])
    if not added:
        raise Conflict(_("You have reported this already."))
    count, kept = session.execute(sa.update(model).where(model.id == item.id)
                                  .values(reports_count=model.reports_count + 1)
                                  .returning(model.reports_count, model.reports_kept)
                                  .execution_options(synchronize_session=False)).one()
    tenant = item.tenant
    _queue(session, item_type, item, tenant, "reports")
    if count - kept >= report_threshold(session, item.tenant_id):
        hidden = session.execute(sa.update(model).where(model.id == item.id, model.status == "visible")
                                 .values(status="hidden").execution_options(synchronize_session=False)).rowcount
        if hidden and model is Comment:
            _count_comments(session, item.post_id, -1)
    session.expire(item, ["reports_count", "status"])
    return session.scalar(sa.select(Report).where(Report.item_type == item_type, Report.item_id == item.id,
                                                  Report.user_id == actor.id))


# --- moderation ------------------------------------------------------------------------------------

def queue_stmt(user, tenant, *, status="open"):
    """The queue of ``tenant``'s subtree that ``user`` moderates, oldest first."""
    stmt = (sa.select(ModerationItem).options(joinedload(ModerationItem.tenant), joinedload(ModerationItem.author))
            .join(Tenant, Tenant.id == ModerationItem.tenant_id)
            .where(subtree_clause(Tenant.path, tenant.path)))
    stmt = engine.filter(stmt, user, MODERATE)
    if status:
        stmt = stmt.where(ModerationItem.status == status)
    return stmt.order_by(ModerationItem.created_at, ModerationItem.id)


def queue_count(session, tenant) -> int:
    """What waits in ``tenant``'s own queue (its items, and those escalated to it)."""
    return session.scalar(sa.select(sa.func.count()).select_from(ModerationItem).where(
        ModerationItem.status == "open", ModerationItem.tenant_id == tenant.id))


def reports_counts(session, items) -> dict:
    """(type, id) -> reports_count of the items of a queue page: two queries at most."""
    out = {}
    for item_type, model in (("post", Post), ("comment", Comment)):
        ids = [i.item_id for i in items if i.item_type == item_type]
        if ids:
            out.update({(item_type, row.id): row.reports_count
                        for row in session.execute(sa.select(model.id, model.reports_count).where(model.id.in_(ids)))})
    return out


def item_record(session, item):
    model = Post if item.item_type == "post" else Comment
    return session.get(model, item.item_id)


def item_reports(session, item):
    return list(session.scalars(sa.select(Report).options(joinedload(Report.user)).where(
        Report.item_type == item.item_type, Report.item_id == item.item_id).order_by(Report.id)))


def author_history(session, author_id) -> dict:
    """What a moderator weighs: the author's posts and comments, and how many were removed."""
    posts = session.execute(sa.select(sa.func.count(), sa.func.count().filter(Post.status == "removed"))
                            .select_from(Post).where(Post.author_id == author_id)).one()
    comments = session.execute(sa.select(sa.func.count(), sa.func.count().filter(Comment.status == "removed"))
                               .select_from(Comment).where(Comment.author_id == author_id)).one()
    recent = list(session.scalars(sa.select(ModerationItem).where(
        ModerationItem.author_id == author_id, ModerationItem.status != "open")
        .order_by(ModerationItem.decided_at.desc()).limit(5)))
    return {"posts": posts[0], "posts_removed": posts[1], "comments": comments[0], "comments_removed": comments[1],
            "decisions": recent}


def _set_status(session, item, status):
    """Move the post or comment of ``item`` to ``status``; a comment's visibility moves its post's count."""
    model = Post if item.item_type == "post" else Comment
    row = session.get(model, item.item_id)
    if row is None:
        return None
    before = row.status
    values = {"status": status}
    if status == "visible":
        values["reports_kept"] = model.reports_count
    session.execute(sa.update(model).where(model.id == row.id).values(**values)
                    .execution_options(synchronize_session=False))
    if model is Comment and (before == "visible") != (status == "visible"):
        _count_comments(session, row.post_id, +1 if status == "visible" else -1)
    session.expire(row)
    return row


def _link(item):
    return f"/moderation/{item.id}"


def decide(session, actor, item, data) -> ModerationItem:
    """Keep or remove; 409 when decided already (a conditional UPDATE: two moderators, one decision)."""
    action = data["action"]
    reason = (data.get("reason") or "").strip()
    if action == "remove" and not reason:
        raise fix("reason", _("Say why it is removed: the author is told."))
    done = session.execute(sa.update(ModerationItem).where(ModerationItem.id == item.id,
                                                           ModerationItem.status == "open")
                           .values(status="kept" if action == "keep" else "removed", decided_at=utcnow(),
                                   decided_by_id=actor.id, decision_reason=reason)
                           .execution_options(synchronize_session=False)).rowcount
    if done != 1:
        raise Conflict(_("This item was decided already."))
    session.expire(item, ["status", "decided_at", "decided_by_id", "decision_reason"])
    _set_status(session, item, "visible" if action == "keep" else "removed")
    params = {"item": str(ITEM_LABELS[item.item_type]), "excerpt": item.excerpt}
    if item.reason == "appeal":
        told = TOLD["appeal_overturned" if action == "keep" else "appeal_upheld"]
    else:
        told = TOLD["kept" if action == "keep" else "removed"]
    inbox.notify(session, [item.author_id], told, params=params, body=reason, link=_link(item),
                 subject=("community_moderation", item.id), root_id=item.root_id)
    record(session, action="community.decide", actor=actor, tenant=item.tenant, target=str(item.id),
           detail={"action": action, "item": f"{item.item_type}:{item.item_id}", "reason": reason,
                   "appeal": item.reason == "appeal"})
    return item


def appeal(session, actor, item, data) -> Appeal:
    """The author appeals a removal once: it waits in the parent union's queue."""
    if item.author_id != actor.id:
        raise Forbidden(_("Only the author may appeal."))
    if item.status != "removed" or item.reason == "appeal":
        raise Conflict(_("Only a removal can be appealed, once."))
    parent = session.get(Tenant, item.tenant.parent_id) if item.tenant.parent_id else None
    if parent is None:
        raise Conflict(_("The federation decided this: there is no union above it to appeal to."))
    if session.scalar(sa.select(Appeal.id).where(Appeal.moderation_id == item.id)) is not None:
        raise Conflict(_("You have appealed this already."))
    review = ModerationItem(tenant_id=parent.id, root_id=item.root_id, content_tenant_id=item.content_tenant_id,
                            item_type=item.item_type, item_id=item.item_id, author_id=item.author_id,
                            excerpt=item.excerpt, reason="appeal", status="open", appeal_of_id=item.id,
                            decision_reason="")
    session.add(review)
    session.flush()
    row = Appeal(moderation_id=item.id, review_id=review.id, author_id=actor.id, statement=data["statement"].strip())
    session.add(row)
    session.flush()
    record(session, action="community.appeal", actor=actor, tenant=parent, target=str(review.id),
           detail={"appeal_of": item.id})
    return row


def appeal_of(session, item):
    """The appeal made against ``item`` (a removal), or the one ``item`` reviews (an appeal), or None."""
    if item.reason == "appeal":
        return session.scalar(sa.select(Appeal).where(Appeal.review_id == item.id))
    return session.scalar(sa.select(Appeal).where(Appeal.moderation_id == item.id))


def escalate(session, *, now=None) -> int:
    """Move the items that waited more than 24 hours to the parent union's queue, once (idempotent)."""
    now = now or utcnow()
    parent = sa.select(Tenant.parent_id).where(Tenant.id == ModerationItem.tenant_id).scalar_subquery()
    return session.execute(sa.update(ModerationItem).where(
        ModerationItem.status == "open", ModerationItem.escalated_at.is_(None),
        ModerationItem.created_at < now - ESCALATE_AFTER, parent.is_not(None))
        .values(tenant_id=parent, escalated_at=now).execution_options(synchronize_session=False)).rowcount


# --- mutes -------------------------------------------------------------------------------------------

def mute(session, actor, tenant, user, data) -> Mute:
    """Mute a member of ``tenant``'s subtree for some hours (404 for anyone else: not the caller's to see)."""
    home = session.scalar(sa.select(Tenant).join(Membership, Membership.tenant_id == Tenant.id)
                          .where(Membership.user_id == user.id, Membership.status == "active"))
    if home is None or not home.path.startswith(tenant.path):
        raise fix("username", _("No member of this union or of a union below it has that username."))
    row = Mute(tenant_id=tenant.id, root_id=tenant.root_id or tenant.id, user_id=user.id,
               until=utcnow() + timedelta(hours=data["hours"]), reason=(data.get("reason") or "").strip(),
               created_by_id=actor.id)
    session.add(row)
    session.flush()
    row.user, row.tenant = user, tenant
    record(session, action="community.mute", actor=actor, tenant=tenant, target=user.username,
           detail={"hours": data["hours"], "reason": row.reason})
    return row


def mutes_stmt(tenant):
    return (sa.select(Mute).options(joinedload(Mute.user), joinedload(Mute.tenant))
            .where(Mute.tenant_id == tenant.id, Mute.until > utcnow()).order_by(Mute.until.desc(), Mute.id))


def unmute(session, actor, row):
    session.delete(row)
    session.flush()
    record(session, action="community.unmute", actor=actor, tenant=row.tenant, target=row.user.username, detail={})
