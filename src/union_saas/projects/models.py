"""Calls for community projects: a call with its tiers and criteria, proposals, the panel's reviews,
the funding decided within the budget, and the ledger of milestones paid against what was delivered.

Money is integer fen (``BigInteger``), never a float. The database keeps the invariants:

- ``project_call.granted_total <= budget_total`` (check ``ck_project_call_within_budget``); the decision
  is one conditional UPDATE of the call's row (``status = 'published'``), so a second decision finds nothing;
- ``project_proposal.planned <= granted`` (milestones never promise more than the grant) and
  ``disbursed <= planned``: a milestone's approval adds its amount with a conditional UPDATE.
"""
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from union_saas.core import files
from union_saas.core.db import Base, created_at_column, utcnow
from union_saas.tenancy.content import SCOPES, Published, TenantOwned

CALL_STATES = ("draft", "published", "decided")  # stored; the API's status follows the dates
CALL_STATUSES = ("draft", "open", "reviewing", "decided")
PROPOSAL_STATUSES = ("submitted", "withdrawn", "funded", "declined")
MILESTONE_STATUSES = ("planned", "reported", "approved", "returned")

CALL_STATUS_LABELS = {"draft": _l("Draft"), "open": _l("Open for proposals"), "reviewing": _l("Under review"),
                      "decided": _l("Funding decided")}
PROPOSAL_STATUS_LABELS = {"submitted": _l("Submitted for review"), "withdrawn": _l("Withdrawn"), "funded": _l("Funded"),
                          "declined": _l("Not funded")}
MILESTONE_STATUS_LABELS = {"planned": _l("Planned"), "reported": _l("Reported, waiting for a check"),
                           "approved": _l("Approved and paid"), "returned": _l("Returned for more")}


def yuan(fen):
    """Fen as the API gives yuan: a number with at most two decimals."""
    if fen is None:
        return None
    return fen // 100 if fen % 100 == 0 else round(fen / 100, 2)


def yuan_text(fen):
    """Fen as people read yuan: 50,000 or 1,234.50."""
    if fen is None:
        return ""
    whole, cents = divmod(int(fen), 100)
    return f"{whole:,}" if not cents else f"{whole:,}.{cents:02d}"


class ProjectCall(Published, Base):
    __tablename__ = "project_call"
    LISTED = ("published", "decided")
    SHOWN = ("published", "decided")

    __table_args__ = (
        sa.CheckConstraint(f"scope IN {SCOPES}", name="scope"),
        sa.CheckConstraint(f"status IN {CALL_STATES}", name="status"),
        sa.CheckConstraint("budget_total > 0", name="budget"),
        sa.CheckConstraint("granted_total >= 0 AND granted_total <= budget_total", name="within_budget"),
        sa.CheckConstraint("closes_at > opens_at AND review_closes_at > closes_at", name="windows"),
        sa.Index("ix_project_call_listed", "root_id", "status", "tenant_id", "closes_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(120))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    budget_total: Mapped[int] = mapped_column(sa.BigInteger)
    granted_total: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    disbursed_total: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    review_closes_at: Mapped[datetime]
    proposal_count: Mapped[int] = mapped_column(default=0)  # submitted and not withdrawn
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = created_at_column()
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    tiers = relationship("CallTier", lazy="raise", order_by="CallTier.position", cascade="all, delete-orphan")
    criteria = relationship("CallCriterion", lazy="raise", order_by="CallCriterion.position",
                            cascade="all, delete-orphan")

    def phase(self, now=None) -> str:
        """The status API.md gives: draft, open (until ``closes_at``), reviewing (until decided), decided."""
        if self.status in ("draft", "decided"):
            return self.status
        return "reviewing" if (now or utcnow()) >= self.closes_at else "open"

    def accepting(self, now=None) -> bool:
        now = now or utcnow()
        return self.status == "published" and self.opens_at <= now < self.closes_at

    def reviewing(self, now=None) -> bool:
        now = now or utcnow()
        return self.status == "published" and self.closes_at <= now < self.review_closes_at

    @property
    def status_label(self):
        return CALL_STATUS_LABELS[self.phase()]

    @property
    def budget_left(self):
        return self.budget_total - self.granted_total


class CallTier(Base):
    __tablename__ = "project_call_tier"
    __table_args__ = (sa.CheckConstraint("amount > 0", name="amount"),
                      sa.UniqueConstraint("call_id", "position", name="uq_project_call_tier_position"))

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(sa.ForeignKey("project_call.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(60))
    amount: Mapped[int] = mapped_column(sa.BigInteger)
    position: Mapped[int] = mapped_column(default=0)


class CallCriterion(Base):
    __tablename__ = "project_call_criterion"
    __table_args__ = (sa.CheckConstraint("weight > 0 AND weight <= 100", name="weight"),
                      sa.UniqueConstraint("call_id", "position", name="uq_project_call_criterion_position"))

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(sa.ForeignKey("project_call.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    weight: Mapped[int]
    position: Mapped[int] = mapped_column(default=0)


class CallReviewer(Base):
    __tablename__ = "project_call_reviewer"
    __table_args__ = (sa.UniqueConstraint("call_id", "user_id", name="uq_project_call_reviewer"),
                      sa.Index("ix_project_call_reviewer_user", "user_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(sa.ForeignKey("project_call.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    added_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = created_at_column()

    user = relationship("User", foreign_keys=[user_id], lazy="raise")


class Proposal(TenantOwned, Base):
    """A union's or partner's proposal to a call (``tenant``: who proposes)."""

    __tablename__ = "project_proposal"
    __table_args__ = (
        sa.CheckConstraint(f"status IN {PROPOSAL_STATUSES}", name="status"),
        sa.CheckConstraint("budget_requested > 0", name="requested"),
        sa.CheckConstraint("granted >= 0 AND planned >= 0 AND disbursed >= 0", name="amounts"),
        sa.CheckConstraint("planned <= granted", name="milestones_within_grant"),
        sa.CheckConstraint("disbursed <= planned", name="disbursed_within_grant"),
        sa.Index("ix_project_proposal_call_status", "call_id", "status"),
        sa.Index("ix_project_proposal_tenant", "tenant_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(sa.ForeignKey("project_call.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(sa.String(120))
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    plan: Mapped[str] = mapped_column(sa.Text, default="")
    budget_requested: Mapped[int] = mapped_column(sa.BigInteger)
    tier_id: Mapped[int] = mapped_column(sa.ForeignKey("project_call_tier.id"))
    status: Mapped[str] = mapped_column(sa.String(16), default="submitted")
    awarded_tier_id: Mapped[int | None] = mapped_column(sa.ForeignKey("project_call_tier.id"))
    granted: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    planned: Mapped[int] = mapped_column(sa.BigInteger, default=0)  # the milestones' amounts
    disbursed: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    withdrawn_at: Mapped[datetime | None]

    call = relationship("ProjectCall", lazy="raise")
    tier = relationship("CallTier", foreign_keys=[tier_id], lazy="raise")
    awarded_tier = relationship("CallTier", foreign_keys=[awarded_tier_id], lazy="raise")

    score = None  # not stored: the weighted score, when the ranking has just computed it

    @property
    def status_label(self):
        return PROPOSAL_STATUS_LABELS[self.status]

    @property
    def remaining(self):
        return self.granted - self.disbursed

    @property
    def progress(self):
        """The disbursed share of the grant, 0..1."""
        return self.disbursed / self.granted if self.granted else 0.0


class Attachment(Base):
    """A file of a proposal, or the evidence of a milestone's report (``milestone_id``)."""

    __tablename__ = "project_attachment"
    __table_args__ = (sa.Index("ix_project_attachment_proposal", "proposal_id", "milestone_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("project_proposal.id", ondelete="CASCADE"))
    milestone_id: Mapped[int | None] = mapped_column(sa.ForeignKey("project_milestone.id", ondelete="CASCADE"))
    file_id: Mapped[int] = files.file_column()
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = created_at_column()

    file = relationship(files.StoredFile, lazy="joined", innerjoin=True)
    proposal = relationship("Proposal", lazy="raise")


class Review(Base):
    """One reviewer's scores of one proposal (replaceable until the review window closes)."""

    __tablename__ = "project_review"
    __table_args__ = (sa.UniqueConstraint("proposal_id", "reviewer_id", name="uq_project_review"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("project_proposal.id", ondelete="CASCADE"))
    call_id: Mapped[int] = mapped_column(sa.ForeignKey("project_call.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    scores = relationship("ReviewScore", lazy="raise", cascade="all, delete-orphan")
    reviewer = relationship("User", lazy="raise")


class ReviewScore(Base):
    __tablename__ = "project_review_score"
    __table_args__ = (sa.CheckConstraint("score >= 0 AND score <= 10", name="score"),)

    review_id: Mapped[int] = mapped_column(sa.ForeignKey("project_review.id", ondelete="CASCADE"), primary_key=True)
    criterion_id: Mapped[int] = mapped_column(sa.ForeignKey("project_call_criterion.id", ondelete="CASCADE"),
                                              primary_key=True)
    score: Mapped[int]


class Milestone(Base):
    """A part of a funded project with its amount; reported with evidence, approved to release the amount."""

    __tablename__ = "project_milestone"
    __table_args__ = (
        sa.CheckConstraint(f"status IN {MILESTONE_STATUSES}", name="status"),
        sa.CheckConstraint("amount > 0", name="amount"),
        sa.Index("ix_project_milestone_proposal", "proposal_id", "due_on"),
        sa.Index("ix_project_milestone_call_status", "call_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("project_proposal.id", ondelete="CASCADE"))
    call_id: Mapped[int] = mapped_column(sa.ForeignKey("project_call.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(sa.String(120))
    amount: Mapped[int] = mapped_column(sa.BigInteger)
    due_on: Mapped[date] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(sa.String(16), default="planned")
    report_text: Mapped[str] = mapped_column(sa.Text, default="")
    activity_ids: Mapped[list] = mapped_column(sa.JSON, default=list)  # the activities the report cites
    reason: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = created_at_column()
    reported_at: Mapped[datetime | None]
    reported_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    approved_at: Mapped[datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    proposal = relationship("Proposal", lazy="raise")

    @property
    def status_label(self):
        return MILESTONE_STATUS_LABELS[self.status]
