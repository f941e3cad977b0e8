"""Giveaways (first-come or lottery), their entries and tickets, and subsidy claims.

The database referees every race:
- ``uq_giveaway_entry_person``: one entry per person (their verified ID's keyed hash) and giveaway, whatever
  accounts they hold; ``uq_giveaway_entry_user`` one per account too;
- a ticket takes a seat by a conditional ``UPDATE giveaway SET tickets_count = tickets_count + 1 WHERE
  tickets_count < quantity`` (the seat is the new count), ``uq_giveaway_ticket_seat`` makes a seat
  unique and ``ck_giveaway_not_over_given`` keeps the counter at or below ``quantity``: never more
  tickets than the quantity, on SQLite and PostgreSQL.
"""
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from union_saas.core import files
from union_saas.core.db import Base, created_at_column
from union_saas.tenancy.content import REACH_STATES, SCOPES, Published, TenantOwned

METHODS = ("first_come", "lottery")
METHOD_LABELS = {"first_come": _l("First come, first served"), "lottery": _l("Lottery")}
STATUSES = ("published",)
PHASES = ("scheduled", "open", "closed", "drawn")
PHASE_LABELS = {"scheduled": _l("Not open yet"), "open": _l("Open for entries"), "closed": _l("Closed"),
                "drawn": _l("Drawn")}
ENTRY_STATUSES = ("entered", "won", "reserve", "lost")
ENTRY_LABELS = {"entered": _l("In the draw"), "won": _l("Won"), "reserve": _l("On the reserve list"),
                "lost": _l("Not drawn")}
CLAIM_STATUSES = ("submitted", "approved", "rejected")
CLAIM_LABELS = {"submitted": _l("Waiting for a decision"), "approved": _l("Approved"), "rejected": _l("Claim rejected")}


class Giveaway(Published, Base):
    __tablename__ = "giveaway"
    LISTED = ("published",)
    SHOWN = ("published",)

    __table_args__ = (
        sa.CheckConstraint(f"scope IN {SCOPES}", name="scope"),
        sa.CheckConstraint(f"reach IS NULL OR reach IN {REACH_STATES}", name="reach"),
        sa.CheckConstraint("status = 'published'", name="status"),
        sa.CheckConstraint(f"method IN {METHODS}", name="method"),
        sa.CheckConstraint("quantity >= 1", name="quantity"),
        sa.CheckConstraint("tickets_count >= 0 AND tickets_count <= quantity", name="not_over_given"),
        sa.CheckConstraint("entries_count >= 0 AND winners_count >= 0", name="counts"),
        sa.CheckConstraint("closes_at > opens_at", name="closes_after_open"),
        sa.CheckConstraint("claim_by IS NULL OR claim_by > closes_at", name="claim_after_close"),
        sa.Index("ix_giveaway_feed", "root_id", "status", "scope", "tenant_id", "closes_at"),
        sa.Index("ix_giveaway_tenant_opens", "tenant_id", "opens_at"),
        sa.Index("ix_giveaway_due_draw", "closes_at", sqlite_where=sa.text("method = 'lottery' AND drawn_at IS NULL"),
                 postgresql_where=sa.text("method = 'lottery' AND drawn_at IS NULL")),
        sa.Index("ix_giveaway_due_pass_on", "claim_by", sqlite_where=sa.text("passed_on_at IS NULL"),
                 postgresql_where=sa.text("passed_on_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(120))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    description_html: Mapped[str] = mapped_column(sa.Text, default="")
    image_id: Mapped[int | None] = files.file_column(nullable=True, ondelete="SET NULL")
    quantity: Mapped[int]
    method: Mapped[str] = mapped_column(sa.String(16))
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    claim_by: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(sa.String(16), default="published")
    entries_count: Mapped[int] = mapped_column(default=0)
    winners_count: Mapped[int] = mapped_column(default=0)
    # The seat counter: tickets handed out so far (never above quantity).
    tickets_count: Mapped[int] = mapped_column(default=0)
    # The draw (lottery): secret drawn at creation, only its sha256 shown until the draw publishes it as seed.
    secret: Mapped[bytes | None] = mapped_column(sa.LargeBinary(32))
    commitment: Mapped[str | None] = mapped_column(sa.String(64))
    seed: Mapped[str | None] = mapped_column(sa.String(64))
    entries_hash: Mapped[str | None] = mapped_column(sa.String(64))
    drawn_at: Mapped[datetime | None]
    passed_on_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = created_at_column()

    def phase(self, now) -> str:
        if self.drawn_at is not None:
            return "drawn"
        if now < self.opens_at:
            return "scheduled"
        if now < self.closes_at:
            return "open"
        return "closed"

    @property
    def method_label(self):
        return METHOD_LABELS.get(self.method, self.method)

    def __repr__(self):
        return f"<Giveaway {self.id} {self.title!r}>"


class Entry(Base):
    __tablename__ = "giveaway_entry"
    __table_args__ = (
        sa.UniqueConstraint("giveaway_id", "person_hash", name="uq_giveaway_entry_person"),
        sa.UniqueConstraint("giveaway_id", "user_id", name="uq_giveaway_entry_user"),
        sa.UniqueConstraint("giveaway_id", "entry_code", name="uq_giveaway_entry_code"),
        sa.CheckConstraint(f"status IN {ENTRY_STATUSES}", name="status"),
        sa.Index("ix_giveaway_entry_user", "user_id", "created_at"),
        sa.Index("ix_giveaway_entry_rank", "giveaway_id", "rank"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    giveaway_id: Mapped[int] = mapped_column(sa.ForeignKey("giveaway.id", ondelete="CASCADE"))
    root_id: Mapped[int] = mapped_column(sa.ForeignKey("tenant.id"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    # The person: the keyed hash of their verified ID number (members' ``id_hash``), not the account.
    person_hash: Mapped[str] = mapped_column(sa.String(64))
    home_tenant_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tenant.id"))
    entry_code: Mapped[str] = mapped_column(sa.String(16))
    status: Mapped[str] = mapped_column(sa.String(16))
    rank: Mapped[int | None]  # 1-based place in the draw's ranking
    created_at: Mapped[datetime] = created_at_column()

    giveaway = relationship("Giveaway", lazy="raise")
    user = relationship("User", foreign_keys=[user_id], lazy="raise")
    ticket = relationship("Ticket", uselist=False, back_populates="entry", lazy="raise")


class Ticket(Base):
    __tablename__ = "giveaway_ticket"
    __table_args__ = (
        sa.UniqueConstraint("giveaway_id", "seat", name="uq_giveaway_ticket_seat"),
        sa.UniqueConstraint("entry_id", name="uq_giveaway_ticket_entry"),
        sa.UniqueConstraint("code", name="uq_giveaway_ticket_code"),
        sa.CheckConstraint("seat >= 1", name="seat"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    giveaway_id: Mapped[int] = mapped_column(sa.ForeignKey("giveaway.id", ondelete="CASCADE"))
    root_id: Mapped[int] = mapped_column(sa.ForeignKey("tenant.id"))
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("giveaway_entry.id", ondelete="CASCADE"))
    seat: Mapped[int]
    code: Mapped[str] = mapped_column(sa.String(48))
    created_at: Mapped[datetime] = created_at_column()
    redeemed_at: Mapped[datetime | None]
    redeemed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    entry = relationship("Entry", back_populates="ticket", lazy="raise")
    giveaway = relationship("Giveaway", lazy="raise")


class SubsidyClaim(TenantOwned, Base):
    """A host's claim for an activity it ran; the evidence is counted by the platform when it is filed."""

    __tablename__ = "subsidy_claim"
    __table_args__ = (
        sa.UniqueConstraint("activity_id", name="uq_subsidy_claim_activity"),
        sa.CheckConstraint(f"status IN {CLAIM_STATUSES}", name="status"),
        sa.CheckConstraint("amount_requested > 0", name="requested_positive"),
        sa.CheckConstraint("amount_granted IS NULL OR (amount_granted >= 0 AND amount_granted <= amount_requested)",
                           name="granted_within_request"),
        sa.Index("ix_subsidy_claim_tenant_status", "tenant_id", "status"),
        sa.Index("ix_subsidy_claim_root_created", "root_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(sa.ForeignKey("activity.id", ondelete="CASCADE"))
    amount_requested: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2))
    amount_granted: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 2))
    status: Mapped[str] = mapped_column(sa.String(16), default="submitted")
    note: Mapped[str | None] = mapped_column(sa.String(1000))
    reason: Mapped[str | None] = mapped_column(sa.String(1000))
    evidence_confirmed: Mapped[int] = mapped_column(default=0)
    evidence_checked_in: Mapped[int] = mapped_column(default=0)
    # The activity's end: the claim's year is the year of the activity it rewards.
    activity_ended_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = created_at_column()
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    activity = relationship("Activity", lazy="raise")

    @property
    def status_label(self):
        return CLAIM_LABELS.get(self.status, self.status)
