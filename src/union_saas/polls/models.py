"""Poll, PollOption, PollEntry (a contest's submissions), and the two tables of a vote: the roll and the ballots.

One person, one vote, and nobody can tell who chose what:

- ``poll_voter`` (the roll) says WHO voted: one row per person and poll, unique in the database
  (``uq_poll_voter_person``). A person is their verified identity (the keyed hash of their ID number that
  their membership holds), not their account: a second account of the same person meets the same key.
- ``poll_ballot`` says WHAT was chosen, under a random receipt. It has no person column, no serial id and no
  timestamp: its key is the receipt itself (random), so neither its ids nor its times order like the roll's,
  and nothing joins a ballot to a voter. On SQLite it is a ``WITHOUT ROWID`` table (clustered by the receipt:
  no hidden rowid counting the inserts). ``poll_ballot_choice`` holds the chosen options of each ballot.
- The roll keeps the minute of the vote (what the burst flags need), not finer; the ballots keep no time.

Both are written in one transaction (``services.vote``): the roll's unique key decides a race, and the loser's
ballot is rolled back with it.
"""
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from union_saas.core import files
from union_saas.core.db import Base, created_at_column
from union_saas.tenancy.content import REACH_STATES, SCOPES, Published

KINDS = ("single", "multiple", "contest")
RESULTS = ("live", "after_close")
STATUSES = ("published", "annulled")  # stored; the API's status (scheduled, open, closed) follows the window
ENTRY_STATUSES = ("pending", "approved", "rejected")

KIND_LABELS = {"single": _l("Single choice"), "multiple": _l("Multiple choice"), "contest": _l("Contest")}
RESULTS_LABELS = {"live": _l("Results shown live"), "after_close": _l("Results shown after closing")}
PHASE_LABELS = {"scheduled": _l("Not open yet"), "open": _l("Open for voting"), "closed": _l("Voting closed"),
                "annulled": _l("Annulled")}
ENTRY_LABELS = {"pending": _l("Waiting for approval"), "approved": _l("Approved"), "rejected": _l("Not accepted")}


class Poll(Published, Base):
    __tablename__ = "poll"
    LISTED = ("published", "annulled")
    SHOWN = ("published", "annulled")

    __table_args__ = (
        sa.CheckConstraint(f"scope IN {SCOPES}", name="scope"),
        sa.CheckConstraint(f"reach IS NULL OR reach IN {REACH_STATES}", name="reach"),
        sa.CheckConstraint(f"status IN {STATUSES}", name="status"),
        sa.CheckConstraint(f"kind IN {KINDS}", name="kind"),
        sa.CheckConstraint(f"results IN {RESULTS}", name="results"),
        sa.CheckConstraint("closes_at > opens_at", name="closes_after_opens"),
        sa.CheckConstraint("max_choices >= 1", name="max_choices"),
        sa.CheckConstraint("jury_weight >= 0 AND jury_weight <= 100", name="jury_weight"),
        sa.Index("ix_poll_feed", "root_id", "status", "scope", "tenant_id", "closes_at"),
        sa.Index("ix_poll_tenant_opens", "tenant_id", "opens_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(120))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    kind: Mapped[str] = mapped_column(sa.String(16), default="single")
    max_choices: Mapped[int] = mapped_column(default=1)
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    results: Mapped[str] = mapped_column(sa.String(16), default="live")
    # Contests: the share of the jury in the final score, in percent (0: the public vote alone).
    jury_weight: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = created_at_column()
    annulled_at: Mapped[datetime | None]
    annulled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    annul_reason: Mapped[str | None] = mapped_column(sa.String(500))

    options = relationship("PollOption", lazy="raise", order_by="PollOption.position, PollOption.id",
                           back_populates="poll")

    def phase(self, now) -> str:
        """scheduled, open or closed by the window (an annulled poll is closed)."""
        if self.status == "annulled" or now >= self.closes_at:
            return "closed"
        return "open" if now >= self.opens_at else "scheduled"

    @property
    def kind_label(self):
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def results_label(self):
        return RESULTS_LABELS.get(self.results, self.results)

    def __repr__(self):
        return f"<Poll {self.id} {self.title!r}>"


class PollOption(Base):
    """A choice of a poll; in a contest, an approved entry (``entry_id``)."""

    __tablename__ = "poll_option"
    __table_args__ = (
        sa.CheckConstraint("jury_score IS NULL OR (jury_score >= 0 AND jury_score <= 100)", name="jury_score"),
        sa.UniqueConstraint("entry_id", name="uq_poll_option_entry"),
        sa.Index("ix_poll_option_poll", "poll_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("poll.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(sa.String(120))
    position: Mapped[int] = mapped_column(default=0)
    image_id: Mapped[int | None] = files.file_column(nullable=True, ondelete="SET NULL")
    entry_id: Mapped[int | None] = mapped_column(sa.ForeignKey("poll_entry.id", ondelete="SET NULL"))
    # The jury's score of a contest entry, 0 to 100 (None: not scored yet).
    jury_score: Mapped[int | None]

    poll = relationship("Poll", lazy="raise", back_populates="options")
    entry = relationship("PollEntry", lazy="raise", foreign_keys=[entry_id])


class PollEntry(Base):
    """What a member submits to a contest (a dish, a chef, a video link), until an organiser decides."""

    __tablename__ = "poll_entry"
    __table_args__ = (
        sa.CheckConstraint(f"status IN {ENTRY_STATUSES}", name="status"),
        sa.Index("ix_poll_entry_poll_status", "poll_id", "status"),
        sa.Index("ix_poll_entry_pending", "tenant_id", sqlite_where=sa.text("status = 'pending'"),
                 postgresql_where=sa.text("status = 'pending'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("poll.id", ondelete="CASCADE"))
    # The poll's union (kept here so that the organisers' badge counts without a join).
    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tenant.id"))
    submitted_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    label: Mapped[str] = mapped_column(sa.String(120))
    detail: Mapped[str] = mapped_column(sa.String(1000), default="")
    link: Mapped[str | None] = mapped_column(sa.String(500))
    photo_id: Mapped[int | None] = files.file_column(nullable=True, ondelete="SET NULL")
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    reason: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = created_at_column()
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    poll = relationship("Poll", lazy="raise")
    submitted_by = relationship("User", foreign_keys=[submitted_by_id], lazy="raise")

    @property
    def status_label(self):
        return ENTRY_LABELS.get(self.status, self.status)


class PollVoter(Base):
    """The roll: who voted in a poll (a person, once), never what they chose."""

    __tablename__ = "poll_voter"
    __table_args__ = (
        sa.UniqueConstraint("poll_id", "person", name="uq_poll_voter_person"),
        sa.Index("ix_poll_voter_user", "user_id", "poll_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("poll.id", ondelete="CASCADE"))
    # The person: the keyed hash of their ID number (``Membership.id_hash``), whatever account they use.
    person: Mapped[str] = mapped_column(sa.String(64))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))  # the account that voted: told if annulled
    # The voter's union then, and whether their membership was new (the burst flags).
    tenant_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tenant.id"))
    new_member: Mapped[bool] = mapped_column(default=False)
    voted_minute: Mapped[datetime]  # truncated to the minute: no finer time is kept


class PollBallot(Base):
    """A ballot: its receipt and its poll. No person, no serial id, no time (see the module's text)."""

    __tablename__ = "poll_ballot"
    __table_args__ = (sa.Index("ix_poll_ballot_poll", "poll_id", "receipt"), {"sqlite_with_rowid": False})

    receipt: Mapped[str] = mapped_column(sa.String(24), primary_key=True)
    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("poll.id", ondelete="CASCADE"))


class PollBallotChoice(Base):
    """An option chosen on a ballot (several on a multiple-choice ballot)."""

    __tablename__ = "poll_ballot_choice"
    __table_args__ = (sa.Index("ix_poll_ballot_choice_poll_option", "poll_id", "option_id"),
                      {"sqlite_with_rowid": False})

    receipt: Mapped[str] = mapped_column(sa.ForeignKey("poll_ballot.receipt", ondelete="CASCADE"), primary_key=True)
    option_id: Mapped[int] = mapped_column(sa.ForeignKey("poll_option.id", ondelete="CASCADE"), primary_key=True)
    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("poll.id", ondelete="CASCADE"))


# What people are told (``core.inbox`` kinds ``poll.<key>``), with the poll's title.
NOTIFICATION_KINDS = {
    "annulled": _l("The poll %(title)s was annulled."),
    "entry_approved": _l("Your entry %(label)s is in the contest %(title)s."),
    "entry_rejected": _l("Your entry %(label)s was not accepted in the contest %(title)s."),
}
