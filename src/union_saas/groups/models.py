"""Interest groups (``Group``, ``GroupMember``, ``GroupInvite``) and the yearly awards (``AwardRound`` and below).

A group is content its host union publishes (``Published``: scope, status, reach): ``LISTED`` when active,
``SHOWN`` when active or archived. Membership is one row per person and group (``uq_group_member``): joining
twice is refused by the database, whatever the concurrency. ``members_count`` is kept under the group's row
lock, as activities keep their counters.

An award round is seen as subtree content of its union (``scope='subtree'``); its phase follows its dates
(``AwardRound.phase``), publishing is an explicit step (``published_at``). A nomination is one per group and
round (``uq_nomination_round_group``), a score one per juror and nomination (``uq_score_nomination_juror``).
"""
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from union_saas.community.models import Post
from union_saas.core import files
from union_saas.core.db import Base, created_at_column, utcnow
from union_saas.tenancy.content import REACH_STATES, SCOPES, Published

KINDS = ("institutional", "individual")
JOIN_POLICIES = ("open", "approval", "invite")
STATUSES = ("pending", "active", "rejected", "archived")
CATEGORIES = ("culture", "sports", "arts", "learning", "volunteering", "family", "other")
MEMBER_STATUSES = ("active", "pending", "invited")
ROLES = ("member", "organiser")
ROUND_STATUSES = ("open", "published")  # stored; the phase shown follows the dates
PHASES = ("nominating", "judging", "judged", "published")
INACTIVE_DAYS = 90

KIND_LABELS = {"institutional": _l("Institutional group"), "individual": _l("Members' group")}
POLICY_LABELS = {"open": _l("Open: join at once"), "approval": _l("By approval"), "invite": _l("By invitation")}
STATUS_LABELS = {"pending": _l("Waiting for review"), "active": _l("Active"), "rejected": _l("Not approved"),
                 "archived": _l("Archived")}
CATEGORY_LABELS = {"culture": _l("Culture"), "sports": _l("Sports"), "arts": _l("Arts and crafts"),
                   "learning": _l("Learning"), "volunteering": _l("Volunteering"), "family": _l("Family"),
                   "other": _l("Other")}
MEMBER_LABELS = {"active": _l("Member"), "pending": _l("Asked to join"), "invited": _l("Invited")}
ROLE_LABELS = {"member": _l("Member"), "organiser": _l("Organiser")}
PHASE_LABELS = {"nominating": _l("Nominations open"), "judging": _l("Judging"), "judged": _l("Judging closed"),
                "published": _l("Results published")}


class Group(Published, Base):
    __tablename__ = "interest_group"
    LISTED = ("active",)
    SHOWN = ("active", "archived")

    __table_args__ = (
        sa.CheckConstraint(f"scope IN {SCOPES}", name="scope"),
        sa.CheckConstraint(f"reach IS NULL OR reach IN {REACH_STATES}", name="reach"),
        sa.CheckConstraint(f"status IN {STATUSES}", name="status"),
        sa.CheckConstraint(f"kind IN {KINDS}", name="kind"),
        sa.CheckConstraint(f"join_policy IN {JOIN_POLICIES}", name="join_policy"),
        sa.CheckConstraint(f"category IN {CATEGORIES}", name="category"),
        sa.CheckConstraint("members_count >= 0", name="members_count"),
        # One group of a name at a union (a rejected proposal leaves its name free).
        sa.Index("uq_group_tenant_name", "tenant_id", "name_key", unique=True,
                 sqlite_where=sa.text("status != 'rejected'"), postgresql_where=sa.text("status != 'rejected'")),
        sa.Index("ix_group_list", "root_id", "status", "scope", "tenant_id"),
        sa.Index("ix_group_tenant_status", "tenant_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    # The name as compared for uniqueness (trimmed, case folded).
    name_key: Mapped[str] = mapped_column(sa.String(80))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    kind: Mapped[str] = mapped_column(sa.String(16))
    category: Mapped[str] = mapped_column(sa.String(16), default="culture")
    join_policy: Mapped[str] = mapped_column(sa.String(16), default="open")
    cover_id: Mapped[int | None] = files.file_column(nullable=True, ondelete="SET NULL")
    founder_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    members_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    decision_reason: Mapped[str | None] = mapped_column(sa.String(500))
    archived_at: Mapped[datetime | None]
    archive_reason: Mapped[str | None] = mapped_column(sa.String(500))

    founder = relationship("User", foreign_keys=[founder_id], lazy="raise")

    @property
    def status_label(self):
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def kind_label(self):
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def policy_label(self):
        return POLICY_LABELS.get(self.join_policy, self.join_policy)

    @property
    def category_label(self):
        return CATEGORY_LABELS.get(self.category, self.category)

    def __repr__(self):
        return f"<Group {self.id} {self.name!r}>"


class GroupMember(Base):
    __tablename__ = "interest_group_member"
    __table_args__ = (
        sa.UniqueConstraint("group_id", "user_id", name="uq_group_member"),
        sa.CheckConstraint(f"status IN {MEMBER_STATUSES}", name="status"),
        sa.CheckConstraint(f"role IN {ROLES}", name="role"),
        sa.Index("ix_group_member_user", "user_id", "status"),
        sa.Index("ix_group_member_group", "group_id", "status", "role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(sa.ForeignKey("interest_group.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    root_id: Mapped[int] = mapped_column(sa.ForeignKey("tenant.id"))
    status: Mapped[str] = mapped_column(sa.String(16))
    role: Mapped[str] = mapped_column(sa.String(16), default="member")
    invited_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = created_at_column()
    joined_at: Mapped[datetime | None]

    group = relationship("Group", lazy="raise")
    user = relationship("User", foreign_keys=[user_id], lazy="raise")

    @property
    def status_label(self):
        return MEMBER_LABELS.get(self.status, self.status)

    @property
    def role_label(self):
        return ROLE_LABELS.get(self.role, self.role)


class GroupInvite(Base):
    """A share link (with its QR): used once, by the first person who follows it."""

    __tablename__ = "interest_group_invite"
    __table_args__ = (sa.UniqueConstraint("token_hash", name="uq_group_invite_token"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(sa.ForeignKey("interest_group.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64))
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = created_at_column()
    used_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    used_at: Mapped[datetime | None]


class AwardRound(Published, Base):
    __tablename__ = "award_round"
    LISTED = ROUND_STATUSES
    SHOWN = ROUND_STATUSES

    __table_args__ = (
        sa.CheckConstraint(f"status IN {ROUND_STATUSES}", name="status"),
        sa.CheckConstraint("judging_close > nominations_close", name="judging_after_nominations"),
        sa.Index("ix_award_round_tenant", "tenant_id", "year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(120))
    year: Mapped[int]
    nominations_close: Mapped[datetime]
    judging_close: Mapped[datetime]
    published_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = created_at_column()

    categories = relationship("AwardCategory", lazy="raise", order_by="AwardCategory.id",
                              back_populates="round")

    def phase(self, now=None) -> str:
        now = now or utcnow()
        if self.published_at is not None:
            return "published"
        if now < self.nominations_close:
            return "nominating"
        if now < self.judging_close:
            return "judging"
        return "judged"

    @property
    def phase_label(self):
        return PHASE_LABELS[self.phase()]


class AwardCategory(Base):
    __tablename__ = "award_category"
    __table_args__ = (
        sa.UniqueConstraint("round_id", "name", name="uq_award_category_name"),
        sa.CheckConstraint(f"kind IN {KINDS}", name="kind"),
        sa.CheckConstraint("places >= 1", name="places"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("award_round.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(80))
    kind: Mapped[str] = mapped_column(sa.String(16))
    places: Mapped[int]

    round = relationship("AwardRound", lazy="raise", back_populates="categories")

    @property
    def kind_label(self):
        return KIND_LABELS.get(self.kind, self.kind)


class AwardJuror(Base):
    __tablename__ = "award_juror"
    __table_args__ = (sa.UniqueConstraint("round_id", "user_id", name="uq_award_juror"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("award_round.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    created_at: Mapped[datetime] = created_at_column()

    user = relationship("User", lazy="raise")


class Nomination(Base):
    __tablename__ = "award_nomination"
    __table_args__ = (
        sa.UniqueConstraint("round_id", "group_id", name="uq_nomination_round_group"),
        sa.Index("ix_nomination_category", "category_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("award_round.id", ondelete="CASCADE"))
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("award_category.id", ondelete="CASCADE"))
    group_id: Mapped[int] = mapped_column(sa.ForeignKey("interest_group.id", ondelete="CASCADE"))
    statement: Mapped[str] = mapped_column(sa.Text)
    nominated_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = created_at_column()
    # Fixed when the results are published (ranked by mean, ties by check-ins, then participants).
    rank: Mapped[int | None]
    mean: Mapped[float | None]
    awarded: Mapped[bool] = mapped_column(default=False)

    round = relationship("AwardRound", lazy="raise")
    category = relationship("AwardCategory", lazy="raise")
    group = relationship("Group", lazy="raise")


class Score(Base):
    __tablename__ = "award_score"
    __table_args__ = (
        sa.UniqueConstraint("nomination_id", "juror_id", name="uq_score_nomination_juror"),
        sa.CheckConstraint("score >= 0 AND score <= 100", name="score"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    nomination_id: Mapped[int] = mapped_column(sa.ForeignKey("award_nomination.id", ondelete="CASCADE"))
    juror_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    score: Mapped[int]
    comment: Mapped[str] = mapped_column(sa.String(1000), default="")
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    juror = relationship("User", lazy="raise")


# A post in a group's space knows its group (community's feeds load it in the same query).
Post.group = relationship(Group, foreign_keys=[Post.group_id], lazy="raise")
