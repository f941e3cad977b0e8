"""Rules of polls and contests. Plain functions taking a session: they flush, raise domain errors, never commit.

One person, one vote: only a verified member (an active membership holding a real-name identity, its keyed
hash ``id_hash``) whose union the poll's scope reaches votes; the roll is keyed by that person, so a second
account of the same person is refused (409) by the database itself. The roll and the ballot are written in
one transaction and cannot be joined (``models``).
"""
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from union_saas.access import engine, resources
from union_saas.access.policy import perm
from union_saas.core import files, inbox
from union_saas.core.audit import AUDIT_LABELS, record
from union_saas.core.db import utcnow
from union_saas.core.errors import Conflict, Forbidden, ValidationFailed
from union_saas.members import audience
from union_saas.members.audience import Viewer, may_see, published, viewer  # noqa: F401 - views ask services
from union_saas.members.models import Membership
from union_saas.polls.models import (
    NOTIFICATION_KINDS,
    Poll,
    PollBallot,
    PollBallotChoice,
    PollEntry,
    PollOption,
    PollVoter,
)
from union_saas.tenancy.models import Tenant, subtree_clause

MANAGE = perm("poll.manage")
AUDIT_LABELS.update({
    "poll.create": _l("%(actor)s created a poll at %(union)s."),
    "poll.annul": _l("%(actor)s annulled a poll at %(union)s."),
    "poll.entry.approve": _l("%(actor)s approved a contest entry at %(union)s."),
    "poll.entry.reject": _l("%(actor)s turned down a contest entry at %(union)s."),
    "poll.jury": _l("%(actor)s set the jury's scores at %(union)s."),
})
for _kind, _title in NOTIFICATION_KINDS.items():
    inbox.kind(f"poll.{_kind}", _title)

NEW_MEMBER_DAYS = 7  # a membership younger than this at the vote is "new" (burst flags)
BURST_VOTES = 10  # this many votes of new members within one minute are flagged
RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud, typed back
MAX_IMAGE_BYTES = 2 * 1024 * 1024
IMAGE_KINDS = (files.PNG, files.JPEG, files.WEBP)


def _invalid(field, message):
    return ValidationFailed(_("Please correct the marked fields."), errors={field: [message]})


# --- who sees what ------------------------------------------------------------------------------

def _load_poll(session, poll_id):
    return session.scalar(sa.select(Poll).options(joinedload(Poll.tenant)).where(Poll.id == poll_id))


POLL = published("poll", Poll, MANAGE, load=_load_poll)


def _load_entry(session, entry_id):
    return session.scalar(sa.select(PollEntry).options(joinedload(PollEntry.poll).joinedload(Poll.tenant))
                          .where(PollEntry.id == entry_id))


def _entry_visible(session, user, entry):
    """Its submitter and the poll's organisers see an entry; once approved, whoever sees the poll."""
    if entry.submitted_by_id == getattr(user, "id", None) or engine.can(user, MANAGE, entry.poll.tenant):
        return True
    return entry.status == "approved" and may_see(viewer(session, user), entry.poll, MANAGE)


ENTRY = resources.register("poll_entry", PollEntry, visible=_entry_visible, owner=lambda e: e.poll.tenant,
                           load=_load_entry, manage=MANAGE)


def _load_option(session, option_id):
    return session.scalar(sa.select(PollOption).options(joinedload(PollOption.poll).joinedload(Poll.tenant))
                          .where(PollOption.id == option_id))


OPTION = resources.register("poll_option", PollOption, owner=lambda o: o.poll.tenant, load=_load_option,
                            visible=lambda session, user, o: may_see(viewer(session, user), o.poll, MANAGE),
                            manage=MANAGE)


def visible_clause(v: Viewer):
    return audience.visible_clause(Poll, v, MANAGE)


def feed_stmt(v: Viewer, *, open_only=False, root_id=None, now=None):
    """The polls ``v`` may see: open ones first (closing soonest), then the others, newest first."""
    now = now or utcnow()
    stmt = sa.select(Poll).options(selectinload(Poll.tenant), selectinload(Poll.options)).where(visible_clause(v))
    if open_only:
        stmt = stmt.where(Poll.status == "published", Poll.opens_at <= now, Poll.closes_at > now)
    if root_id is not None:
        stmt = stmt.where(Poll.root_id == root_id)
    is_open = sa.case((sa.and_(Poll.status == "published", Poll.opens_at <= now, Poll.closes_at > now), 0), else_=1)
    return stmt.order_by(is_open, sa.case((is_open == 0, Poll.closes_at), else_=None), Poll.opens_at.desc(),
                         Poll.id.desc())


def manage_stmt(tenant):
    """Polls of ``tenant`` and every union below it, newest first."""
    return (sa.select(Poll).options(joinedload(Poll.tenant), selectinload(Poll.options))
            .join(Tenant, Tenant.id == Poll.tenant_id).where(subtree_clause(Tenant.path, tenant.path))
            .order_by(Poll.opens_at.desc(), Poll.id.desc()))


def load_options(session, poll):
    """The poll's options, loaded into ``poll.options`` (one query)."""
    set_committed_value(poll, "options", list(session.scalars(
        sa.select(PollOption).where(PollOption.poll_id == poll.id).order_by(PollOption.position, PollOption.id))))
    return poll.options


# --- the person -------------------------------------------------------------------------------

def person_of(session, user):
    """(person, membership) of ``user``: their verified identity's key and active membership, or (None, None)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None, None
    m = session.scalar(sa.select(Membership).where(Membership.user_id == user.id, Membership.status == "active"))
    if m is None or not m.id_hash:
        return None, m
    return m.id_hash, m


def voted_polls(session, user, person, poll_ids) -> set:
    """Which of ``poll_ids`` this person (any of their accounts) or this account voted in: one query."""
    if not poll_ids or user is None or not getattr(user, "is_authenticated", False):
        return set()
    who = PollVoter.user_id == user.id
    if person:
        who = sa.or_(who, PollVoter.person == person)
    return set(session.scalars(sa.select(PollVoter.poll_id).where(PollVoter.poll_id.in_(poll_ids), who)))


def _check_voter(session, v: Viewer, poll):
    """A verified member whose union the poll's scope reaches: 403 unverified, 404 outside the scope."""
    person, membership = person_of(session, v.user)
    if person is None:
        raise Forbidden(_("Only verified union members vote: join your union with your real name first."))
    if not v.audience.reaches(poll):
        raise resources.miss()
    return person, membership


def _check_window(poll, now, entries=False):
    from flask_babel import format_datetime

    if poll.status == "annulled":
        raise Conflict(_("This poll was annulled."))
    if now < poll.opens_at:
        when = format_datetime(poll.opens_at, "short")
        raise Conflict(_("Submissions open %(t)s.", t=when) if entries else _("Voting opens %(t)s.", t=when))
    if now >= poll.closes_at:
        raise Conflict(_("This poll has closed."))


# --- create ---------------------------------------------------------------------------------------

def root_of(session, tenant):
    return tenant if tenant.is_root else session.get(Tenant, tenant.root_id)


def create_poll(session, actor, tenant, data) -> Poll:
    """A poll (or contest) of ``tenant`` with its options. 422: fewer than 2 options (not a contest),
    max_choices beyond the options, closing before opening."""
    if tenant.status != "active":
        raise Conflict(_("An archived union cannot publish polls."))
    kind = data.get("kind", "single")
    labels = [o["label"].strip() for o in data.get("options") or []]
    errors = {}
    if kind != "contest" and len(labels) < 2:
        errors["options"] = [_("A poll needs at least two options.")]
    if len(set(labels)) != len(labels):
        errors.setdefault("options", []).append(_("Two options have the same label."))
    max_choices = 1 if kind == "single" else data.get("max_choices", 1)
    if kind == "single" and data.get("max_choices", 1) != 1:
        errors["max_choices"] = [_("A single-choice poll takes one choice.")]
    elif kind == "multiple" and max_choices > len(labels):
        errors["max_choices"] = [_("At most as many choices as there are options (%(n)d).", n=len(labels))]
    if data["closes_at"] <= data["opens_at"]:
        errors["closes_at"] = [_("The poll must close after it opens.")]
    jury = data.get("jury_weight", 0) or 0
    if jury and kind != "contest":
        errors["jury_weight"] = [_("Only a contest has a jury.")]
    scope = data.get("scope", "tenant")
    reach = None
    if scope == "platform":
        # A vote of the whole federation is the federation's own: no review queue to wait in.
        if not engine.can(actor, MANAGE, root_of(session, tenant)):
            errors["scope"] = [_("Only the federation's organisers hold a vote of the whole federation.")]
        reach = "approved"
    if errors:
        raise ValidationFailed(_("Please correct the marked fields."), errors=errors)
    poll = Poll(tenant_id=tenant.id, root_id=tenant.root_id, title=data["title"].strip(),
                description=data.get("description", ""), kind=kind, max_choices=max_choices,
                opens_at=data["opens_at"], closes_at=data["closes_at"], results=data.get("results", "live"),
                jury_weight=jury, scope=scope, reach=reach, status="published", created_by_id=actor.id)
    session.add(poll)
    session.flush()
    session.add_all([PollOption(poll_id=poll.id, label=label, position=i) for i, label in enumerate(labels)])
    session.flush()
    record(session, action="poll.create", actor=actor, tenant=tenant, target=str(poll.id),
           detail={"title": poll.title, "kind": kind, "scope": scope})
    poll.tenant = tenant
    return poll


# --- vote -----------------------------------------------------------------------------------------

def new_receipt() -> str:
    raw = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(16))
    return "-".join(raw[i:i + 4] for i in range(0, 16, 4))


def _checked_choices(session, poll, choices):
    chosen = list(dict.fromkeys(choices or []))
    if not chosen:
        raise _invalid("choices", _("Choose at least one option."))
    if len(chosen) > poll.max_choices:
        raise _invalid("choices", _("Choose at most %(n)d options.", n=poll.max_choices))
    known = set(session.scalars(sa.select(PollOption.id).where(PollOption.poll_id == poll.id,
                                                               PollOption.id.in_(chosen))))
    if len(known) != len(chosen):
        raise _invalid("choices", _("Choose among this poll's options."))
    return chosen


def vote(session, v: Viewer, poll, choices, *, now=None) -> str:
    """Cast the person's vote; returns its receipt (given once: the server keeps it with the ballot only).

    403 not a verified member; 404 outside the scope; 409 not open, annulled, or this person voted already;
    422 too many, none or unknown choices. The roll's unique key decides a race (the loser's 409 rolls back
    its ballot with it). The poll's row is read FOR SHARE: an annulment (FOR UPDATE) waits for the votes
    under way, and a vote waits for an annulment, so every voter of an annulled poll is told.
    """
    now = now or utcnow()
    person, membership = _check_voter(session, v, poll)
    _check_window(poll, now)
    chosen = _checked_choices(session, poll, choices)
    if session.scalar(sa.select(PollVoter.id).where(PollVoter.poll_id == poll.id, PollVoter.person == person)):
        raise Conflict(_("You have voted in this poll already (one vote per person, from any account)."))
    status = session.scalar(sa.select(Poll.status).where(Poll.id == poll.id).with_for_update(read=True))
    if status != "published":
        raise Conflict(_("This poll was annulled."))
    receipt = new_receipt()
    new = membership.created_at is not None and membership.created_at > now - timedelta(days=NEW_MEMBER_DAYS)
    try:
        with session.begin_nested():
            session.execute(sa.insert(PollVoter).values(
                poll_id=poll.id, person=person, user_id=v.user.id, tenant_id=membership.tenant_id, new_member=new,
                voted_minute=now.replace(second=0, microsecond=0)))
            session.execute(sa.insert(PollBallot).values(receipt=receipt, poll_id=poll.id))
            session.execute(sa.insert(PollBallotChoice), [
                {"receipt": receipt, "option_id": option_id, "poll_id": poll.id} for option_id in chosen])
    except IntegrityError:
        raise Conflict(_("You have voted in this poll already (one vote per person, from any account).")) from None
    return receipt


# --- results ------------------------------------------------------------------------------------

def may_see_results(user, poll, now) -> bool:
    return (poll.results == "live" or poll.phase(now) == "closed"
            or engine.can(user, MANAGE, poll.tenant))


def check_results_visible(user, poll, now=None):
    if not may_see_results(user, poll, now or utcnow()):
        raise Forbidden(_("The results of this poll are shown once it closes."))


def _eligible_clause(session, poll):
    """Memberships whose union the poll's scope reaches and that can vote (active, verified)."""
    scope = poll.effective_scope
    where = [Membership.status == "active", Membership.id_hash.is_not(None)]
    if scope == "tenant":
        where.append(Membership.tenant_id == poll.tenant_id)
    elif scope == "subtree":
        where.append(Membership.tenant_id.in_(
            sa.select(Tenant.id).where(subtree_clause(Tenant.path, poll.tenant.path))))
    else:
        where.append(Membership.root_id == poll.root_id)
    return where


def results(session, poll) -> dict:
    """Votes per option, voters, eligible members: one query (three grouped arms of a UNION ALL)."""
    per_option = (sa.select(PollBallotChoice.option_id.label("k"), sa.func.count().label("n"))
                  .where(PollBallotChoice.poll_id == poll.id).group_by(PollBallotChoice.option_id))
    voters = sa.select(sa.literal(-1).label("k"), sa.func.count().label("n")).where(PollBallot.poll_id == poll.id)
    eligible = sa.select(sa.literal(-2).label("k"), sa.func.count().label("n")).where(
        *_eligible_clause(session, poll))
    counts = dict(session.execute(sa.union_all(per_option, voters, eligible)).all())
    options = poll.options
    n_voters, n_eligible = counts.get(-1, 0), counts.get(-2, 0)
    top = max([counts.get(o.id, 0) for o in options] or [0])
    w = poll.jury_weight if poll.kind == "contest" else 0
    rows = []
    for o in options:
        votes = counts.get(o.id, 0)
        row = {"id": o.id, "label": o.label, "votes": votes,
               "share": round(votes / n_voters, 4) if n_voters else 0.0, "image": bool(o.image_id)}
        if poll.kind == "contest":
            public = round(100 * votes / top, 2) if top else 0.0
            jury = o.jury_score
            row.update(public_points=public, jury_score=jury,
                       score=round(((100 - w) * public + w * (jury or 0)) / 100, 2))
        rows.append(row)
    if poll.kind == "contest":
        rows.sort(key=lambda r: (-r["score"], -r["votes"], r["id"]))
    return {"options": rows, "voters": n_voters, "eligible": n_eligible,
            "turnout": round(n_voters / n_eligible, 4) if n_eligible else 0.0,
            "jury_weight": w, "public_weight": 100 - w if poll.kind == "contest" else 100}


def formula(poll) -> str | None:
    """The published formula of a contest's score."""
    if poll.kind != "contest":
        return None
    if not poll.jury_weight:
        return _("Score = public points; public points = 100 × votes ÷ the most votes of any entry.")
    return _("Score = %(p)d%% × public points + %(j)d%% × jury score (0–100); public points = 100 × votes ÷ "
             "the most votes of any entry.", p=100 - poll.jury_weight, j=poll.jury_weight)


def receipts_stmt(poll):
    """Every ballot's receipt, in the receipts' own (random) order: nothing of who or when."""
    return sa.select(PollBallot.receipt).where(PollBallot.poll_id == poll.id).order_by(PollBallot.receipt)


def check_receipts_visible(poll, now=None):
    if poll.phase(now or utcnow()) != "closed":
        raise Forbidden(_("The receipts are published once the poll closes."))


def bursts(session, poll) -> list[dict]:
    """Minutes in which many new members voted (``BURST_VOTES`` or more): one grouped query."""
    new_votes = sa.func.sum(sa.case((PollVoter.new_member, 1), else_=0))
    rows = session.execute(
        sa.select(PollVoter.voted_minute, sa.func.count(), new_votes).where(PollVoter.poll_id == poll.id)
        .group_by(PollVoter.voted_minute).having(new_votes >= BURST_VOTES).order_by(PollVoter.voted_minute))
    return [{"minute": minute, "votes": n, "new_members": int(new or 0)} for minute, n, new in rows]


# --- integrity: annul -------------------------------------------------------------------------------

def annul(session, actor, poll, reason, *, now=None) -> int:
    """Annul the whole poll (no vote is ever removed); everyone who voted is told why. Returns how many."""
    reason = (reason or "").strip()
    if not reason:
        raise _invalid("reason", _("Say why the poll is annulled: every voter reads it."))
    status = session.scalar(sa.select(Poll.status).where(Poll.id == poll.id).with_for_update())
    if status != "published":
        raise Conflict(_("This poll was annulled already."))
    poll.status, poll.annulled_at, poll.annulled_by_id, poll.annul_reason = "annulled", now or utcnow(), actor.id, reason
    session.flush()
    told = inbox.notify_select(session, sa.select(PollVoter.user_id).where(PollVoter.poll_id == poll.id),
                               "poll.annulled", body=reason, **_about(poll))
    record(session, action="poll.annul", actor=actor, tenant=poll.tenant, target=str(poll.id),
           detail={"title": poll.title, "reason": reason, "told": told})
    return told


def _about(poll, **params):
    return {"params": {"title": poll.title, **params}, "link": f"/polls/{poll.id}", "subject": ("poll", poll.id),
            "root_id": poll.root_id}


# --- contests: entries, approval, jury ----------------------------------------------------------------

def submit_entry(session, v: Viewer, poll, data, *, photo=None, now=None) -> PollEntry:
    """A verified member within the scope submits an entry while the contest is open; it waits for approval."""
    now = now or utcnow()
    if poll.kind != "contest":
        raise Conflict(_("Only a contest takes entries."))
    _check_voter(session, v, poll)
    _check_window(poll, now, entries=True)
    entry = PollEntry(poll_id=poll.id, tenant_id=poll.tenant_id, submitted_by_id=v.user.id,
                      label=data["label"].strip(), detail=(data.get("detail") or "").strip(),
                      link=data.get("link") or None, status="pending")
    if photo is not None:
        entry.photo_id = save_image(session, photo, "photo")
    session.add(entry)
    session.flush()
    entry.poll = poll
    return entry


def save_image(session, storage, field) -> int:
    if storage is None or not getattr(storage, "filename", None):
        raise _invalid(field, _("Choose an image to upload."))
    upload = files.check(storage, IMAGE_KINDS, max_bytes=MAX_IMAGE_BYTES, field=field,
                         refused=_("Upload a PNG, JPEG or WebP image."))
    return files.save_upload(session, upload).id


def set_entry_photo(session, user, entry, storage) -> PollEntry:
    if entry.submitted_by_id != user.id:
        raise Forbidden(_("Only its author changes an entry's photo."))
    if entry.status != "pending":
        raise Conflict(_("This entry was decided already."))
    old, entry.photo_id = entry.photo_id, save_image(session, storage, "file")
    session.flush()
    files.delete(session, old)
    return entry


def set_option_image(session, option, storage) -> PollOption:
    old, option.image_id = option.image_id, save_image(session, storage, "file")
    session.flush()
    if old and not (option.entry_id and session.scalar(sa.select(PollEntry.photo_id).where(
            PollEntry.id == option.entry_id)) == old):
        files.delete(session, old)
    return option


def _decide(session, entry, status, actor, reason=None):
    done = session.execute(sa.update(PollEntry).where(PollEntry.id == entry.id, PollEntry.status == "pending")
                           .values(status=status, reason=reason, decided_at=utcnow(), decided_by_id=actor.id)
                           .execution_options(synchronize_session=False)).rowcount
    if done != 1:
        raise Conflict(_("This entry was decided already."))
    session.expire(entry, ["status", "reason", "decided_at", "decided_by_id"])


def approve_entry(session, actor, entry) -> PollOption:
    """The entry becomes an option of its contest; its author is told."""
    poll = entry.poll
    _decide(session, entry, "approved", actor)
    position = session.scalar(sa.select(sa.func.coalesce(sa.func.max(PollOption.position), -1) + 1)
                              .where(PollOption.poll_id == poll.id))
    option = PollOption(poll_id=poll.id, label=entry.label, position=position, image_id=entry.photo_id,
                        entry_id=entry.id)
    session.add(option)
    session.flush()
    record(session, action="poll.entry.approve", actor=actor, tenant=poll.tenant, target=str(poll.id),
           detail={"entry": entry.id, "label": entry.label})
    inbox.notify(session, [entry.submitted_by_id], "poll.entry_approved", **_about(poll, label=entry.label))
    return option


def reject_entry(session, actor, entry, reason=None) -> PollEntry:
    poll = entry.poll
    reason = (reason or "").strip() or None
    _decide(session, entry, "rejected", actor, reason)
    record(session, action="poll.entry.reject", actor=actor, tenant=poll.tenant, target=str(poll.id),
           detail={"entry": entry.id, "label": entry.label, "reason": reason or ""})
    inbox.notify(session, [entry.submitted_by_id], "poll.entry_rejected", body=reason or "",
                 **_about(poll, label=entry.label))
    return entry


def my_entries(session, user, poll) -> list:
    """The entries ``user`` submitted to ``poll`` (any status), oldest first."""
    return list(session.scalars(sa.select(PollEntry).where(PollEntry.poll_id == poll.id,
                                                           PollEntry.submitted_by_id == user.id)
                                .order_by(PollEntry.created_at, PollEntry.id)))


def entries_stmt(poll, *, status=None):
    stmt = (sa.select(PollEntry).options(joinedload(PollEntry.submitted_by), joinedload(PollEntry.poll)
                                         .joinedload(Poll.tenant))
            .where(PollEntry.poll_id == poll.id))
    if status:
        stmt = stmt.where(PollEntry.status == status)
    return stmt.order_by(PollEntry.created_at, PollEntry.id)


def pending_entries_stmt(tenant):
    """Entries waiting for approval in the contests of ``tenant`` and below, oldest first."""
    return (sa.select(PollEntry).options(joinedload(PollEntry.submitted_by), joinedload(PollEntry.poll)
                                         .joinedload(Poll.tenant))
            .join(Tenant, Tenant.id == PollEntry.tenant_id)
            .where(PollEntry.status == "pending", subtree_clause(Tenant.path, tenant.path))
            .order_by(PollEntry.created_at, PollEntry.id))


def pending_entries_count(session, tenant) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(PollEntry)
                          .join(Tenant, Tenant.id == PollEntry.tenant_id)
                          .where(PollEntry.status == "pending", subtree_clause(Tenant.path, tenant.path)))


def set_jury(session, actor, poll, scores) -> Poll:
    """The jury's scores (0-100) of a contest's entries: ``{option id: score or None}``."""
    if poll.kind != "contest" or not poll.jury_weight:
        raise Conflict(_("Only a contest with a jury takes jury scores."))
    options = {o.id: o for o in load_options(session, poll)}
    unknown = [str(k) for k in scores if k not in options]
    if unknown:
        raise _invalid("scores", _("Score this contest's entries only."))
    for option_id, score in scores.items():
        options[option_id].jury_score = score
    session.flush()
    record(session, action="poll.jury", actor=actor, tenant=poll.tenant, target=str(poll.id),
           detail={"scores": {str(k): v for k, v in scores.items()}})
    return poll


# --- the member's own -----------------------------------------------------------------------------

def my_votes_stmt(user, person):
    """The polls this person voted in (newest first), with the poll: never what they chose."""
    who = PollVoter.user_id == user.id
    if person:
        who = sa.or_(who, PollVoter.person == person)
    return (sa.select(Poll).options(joinedload(Poll.tenant), selectinload(Poll.options)).where(
        Poll.id.in_(sa.select(PollVoter.poll_id).where(who))).order_by(Poll.closes_at.desc(), Poll.id.desc()))


def waiting_count(session, user, *, now=None) -> int:
    """Open polls the member may vote in and has not: the badge of "my votes" (three small queries)."""
    person, _membership = person_of(session, user)
    if person is None:
        return 0
    now = now or utcnow()
    v = viewer(session, user)
    clause = audience.audience_clause(Poll, v.audience)
    if clause is None:
        return 0
    return session.scalar(sa.select(sa.func.count()).select_from(Poll).where(
        clause, Poll.status == "published", Poll.opens_at <= now, Poll.closes_at > now,
        ~sa.exists().where(PollVoter.poll_id == Poll.id, PollVoter.person == person)))
