"""Posts, comments, likes, reports, the moderation queue, appeals, watched words and mutes.

A post lives in a *space*: a union's (``group_id`` null) or a group's (``group_id`` set,
``tenant_id`` the group's host union). ``services.space_of`` resolves a post's space in one place.

Likes and reports are one row per person and item (unique constraints); the counters on the post or comment
move in the same transaction by ``UPDATE ... SET n = n + 1`` only when the row was really inserted, so they
stay exact whatever the concurrency. A moderation item is one per waiting item (``uq`` on open items).
"""
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from union_saas.core import files
from union_saas.core.db import Base, created_at_column, utcnow
from union_saas.tenancy.content import Published, TenantOwned

POST_SCOPES = ("tenant", "subtree")
STATUSES = ("visible", "pending", "hidden", "removed")
STATUS_LABELS = {"visible": _l("Visible"), "pending": _l("Waiting for review"),
                 "hidden": _l("Hidden until a moderator decides"), "removed": _l("Removed by a moderator")}
REASONS = ("spam", "abuse", "off_topic", "other")
REASON_LABELS = {"spam": _l("Spam"), "abuse": _l("Abuse"), "off_topic": _l("Off topic"), "other": _l("Other")}
ITEM_TYPES = ("post", "comment")
QUEUE_REASONS = ("reports", "word", "appeal")
QUEUE_REASON_LABELS = {"reports": _l("Reported"), "word": _l("Held by a review word"),
                       "appeal": _l("Appeal against a removal")}
QUEUE_STATUSES = ("open", "kept", "removed")
QUEUE_STATUS_LABELS = {"open": _l("Waiting"), "kept": _l("Kept"), "removed": _l("Taken down")}
LEVELS = ("block", "review")
MAX_IMAGES = 9
MAX_BODY = 5000


class Post(Published, Base):
    __tablename__ = "community_post"
    LISTED = ("visible",)
    SHOWN = ("visible",)

    __table_args__ = (
        sa.CheckConstraint(f"scope IN {POST_SCOPES}", name="scope"),
        sa.CheckConstraint(f"status IN {STATUSES}", name="status"),
        sa.CheckConstraint("likes_count >= 0 AND comments_count >= 0 AND reports_count >= 0", name="counts"),
        # The feed of a space: newest first, one index range per space (keyset on id).
        sa.Index("ix_community_post_space", "tenant_id", "group_id", "status", "id"),
        sa.Index("ix_community_post_author", "author_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # A group's space (the groups domain): null for the union's own space. A group's posts go with it.
    group_id: Mapped[int | None] = mapped_column(sa.ForeignKey("interest_group.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    body: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text, default="")
    link: Mapped[str | None] = mapped_column(sa.String(500))
    # The ids of its images in order (``PostImage`` holds the references): shown with no extra query.
    image_ids: Mapped[list] = mapped_column(sa.JSON, default=list)
    likes_count: Mapped[int] = mapped_column(default=0)
    comments_count: Mapped[int] = mapped_column(default=0)
    reports_count: Mapped[int] = mapped_column(default=0)
    # reports_count when a moderator last kept it: the threshold counts the reports since.
    reports_kept: Mapped[int] = mapped_column(default=0)
    pinned: Mapped[bool] = mapped_column(default=False)
    comments_closed: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    author = relationship("User", foreign_keys=[author_id], lazy="raise")
    # ``Post.group`` (the group of a group's post) is mapped by the groups domain (``groups.models``): it
    # plugs into community, never the other way round.

    @property
    def status_label(self):
        return STATUS_LABELS.get(self.status, self.status)


class PostImage(Base):
    __tablename__ = "community_post_image"
    __table_args__ = (sa.UniqueConstraint("post_id", "position", name="uq_community_post_image_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("community_post.id", ondelete="CASCADE"))
    position: Mapped[int]
    file_id: Mapped[int] = files.file_column()


class Comment(TenantOwned, Base):
    __tablename__ = "community_comment"
    __table_args__ = (
        sa.CheckConstraint(f"status IN {STATUSES}", name="status"),
        sa.CheckConstraint("reports_count >= 0", name="counts"),
        sa.Index("ix_community_comment_post", "post_id", "id"),
        sa.Index("ix_community_comment_author", "author_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("community_post.id", ondelete="CASCADE"))
    # A reply names the comment it answers (one level deep: never a reply's reply).
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("community_comment.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    body: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[str] = mapped_column(sa.String(16), default="visible")
    reports_count: Mapped[int] = mapped_column(default=0)
    reports_kept: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = created_at_column()

    post = relationship("Post", lazy="raise")
    author = relationship("User", foreign_keys=[author_id], lazy="raise")

    @property
    def status_label(self):
        return STATUS_LABELS.get(self.status, self.status)


class PostLike(Base):
    __tablename__ = "community_like"
    __table_args__ = (sa.UniqueConstraint("post_id", "user_id", name="uq_community_like_post_user"),
                      sa.Index("ix_community_like_user", "user_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("community_post.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = created_at_column()


class Report(Base):
    __tablename__ = "community_report"
    __table_args__ = (
        sa.UniqueConstraint("item_type", "item_id", "user_id", name="uq_community_report_item_user"),
        sa.CheckConstraint(f"item_type IN {ITEM_TYPES}", name="item_type"),
        sa.CheckConstraint(f"reason IN {REASONS}", name="reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_type: Mapped[str] = mapped_column(sa.String(16))
    item_id: Mapped[int]
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    root_id: Mapped[int] = mapped_column(sa.ForeignKey("tenant.id"))
    reason: Mapped[str] = mapped_column(sa.String(16))
    detail: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = created_at_column()

    user = relationship("User", foreign_keys=[user_id], lazy="raise")

    @property
    def reason_label(self):
        return REASON_LABELS.get(self.reason, self.reason)


class ModerationItem(TenantOwned, Base):
    """An item waiting for a moderator (``tenant_id``: the union whose queue holds it; escalation moves it to
    the parent's). ``content_tenant_id`` is the union of the post or comment itself."""

    __tablename__ = "community_moderation"
    __table_args__ = (
        sa.CheckConstraint(f"item_type IN {ITEM_TYPES}", name="item_type"),
        sa.CheckConstraint(f"reason IN {QUEUE_REASONS}", name="reason"),
        sa.CheckConstraint(f"status IN {QUEUE_STATUSES}", name="status"),
        # One open item per post or comment: a second report or a racing word hold finds it.
        sa.Index("uq_community_moderation_open", "item_type", "item_id", unique=True,
                 sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'")),
        sa.Index("ix_community_moderation_queue", "status", "tenant_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    content_tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tenant.id"))
    item_type: Mapped[str] = mapped_column(sa.String(16))
    item_id: Mapped[int]
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    excerpt: Mapped[str] = mapped_column(sa.String(200), default="")
    reason: Mapped[str] = mapped_column(sa.String(16))
    status: Mapped[str] = mapped_column(sa.String(16), default="open")
    # For an appeal: the decision appealed against.
    appeal_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("community_moderation.id"))
    created_at: Mapped[datetime] = created_at_column()
    escalated_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    decision_reason: Mapped[str] = mapped_column(sa.String(500), default="")

    author = relationship("User", foreign_keys=[author_id], lazy="raise")
    content_tenant = relationship("Tenant", foreign_keys=[content_tenant_id], lazy="raise")

    @property
    def reason_label(self):
        return QUEUE_REASON_LABELS.get(self.reason, self.reason)

    @property
    def status_label(self):
        return QUEUE_STATUS_LABELS.get(self.status, self.status)


class Appeal(Base):
    """The author's one appeal against a removal: it opens a moderation item at the parent union."""

    __tablename__ = "community_appeal"

    id: Mapped[int] = mapped_column(primary_key=True)
    moderation_id: Mapped[int] = mapped_column(sa.ForeignKey("community_moderation.id"), unique=True)
    review_id: Mapped[int] = mapped_column(sa.ForeignKey("community_moderation.id"), unique=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    statement: Mapped[str] = mapped_column(sa.String(2000))
    created_at: Mapped[datetime] = created_at_column()


class WatchedWord(TenantOwned, Base):
    __tablename__ = "community_watched_word"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "normalised", name="uq_community_watched_word"),
                      sa.CheckConstraint(f"level IN {LEVELS}", name="level"))

    id: Mapped[int] = mapped_column(primary_key=True)
    word: Mapped[str] = mapped_column(sa.String(100))
    normalised: Mapped[str] = mapped_column(sa.String(100))
    level: Mapped[str] = mapped_column(sa.String(8))
    created_at: Mapped[datetime] = created_at_column()


class CommunitySettings(Base):
    """A union's own settings: the version of its watched-word list (the matcher's cache key) and its
    report threshold (null: the default, 3)."""

    __tablename__ = "community_settings"

    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tenant.id"), primary_key=True)
    # Changes (a fresh random token) whenever the union's list changes: the matcher's cache key.
    words_version: Mapped[str] = mapped_column(sa.String(32), default="")
    report_threshold: Mapped[int | None]


class Mute(TenantOwned, Base):
    """A person may not post or comment in ``tenant``'s subtree until ``until``."""

    __tablename__ = "community_mute"
    __table_args__ = (sa.Index("ix_community_mute_user", "user_id", "until"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    until: Mapped[datetime]
    reason: Mapped[str] = mapped_column(sa.String(500), default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = created_at_column()

    user = relationship("User", foreign_keys=[user_id], lazy="raise")


NOTIFICATION_KINDS = {
    "removed": _l("A moderator removed your %(item)s: %(excerpt)s"),
    "kept": _l("Your %(item)s was reviewed and stays: %(excerpt)s"),
    "appeal_upheld": _l("Your appeal was decided: the removal stands (%(excerpt)s)."),
    "appeal_overturned": _l("Your appeal was decided: your %(item)s is back (%(excerpt)s)."),
}
ITEM_LABELS = {"post": _l("post"), "comment": _l("comment")}
