"""Rules of benefits: giveaways (first-come and lottery), their draw and tickets, and subsidy claims.

Plain functions taking a session: they flush, raise domain errors, never commit.

- Who takes part: a verified member (an active membership, with its verified ID) whom the giveaway's
  scope reaches; each **person** once (``Entry.person_hash`` is the membership's ``id_hash``, unique per
  giveaway in the database), whatever accounts they hold.
- Never more tickets than ``quantity``: a ticket takes its seat by one conditional UPDATE of the giveaway's
  ``tickets_count`` (``WHERE tickets_count < quantity``), under the row's lock until the commit; the seat
  is unique per giveaway.
- The draw (``draw.py``): computed once, stored (ranks and statuses of the entries, seed, entries hash);
  a second draw is refused; the secret is never shown, logged or audited before it becomes the seed.
"""
import functools
import secrets
import time
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import joinedload, selectinload

from union_saas.access import engine, resources
from union_saas.access.policy import perm
from union_saas.activities.models import Activity, SignUp
from union_saas.benefits import draw as drawing
from union_saas.benefits.models import Entry, Giveaway, SubsidyClaim, Ticket
from union_saas.core import files, inbox
from union_saas.core.audit import AUDIT_LABELS, record
from union_saas.core.db import utcnow
from union_saas.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from union_saas.core.markup import render_markdown
from union_saas.members.audience import Viewer, published, viewer  # noqa: F401 - views ask services for the viewer
from union_saas.members import audience
from union_saas.members.models import Membership
from union_saas.tenancy.models import SEGMENT, Tenant, path_ids, subtree_clause

MANAGE = perm("benefit.manage")
ACTIVITY_MANAGE = perm("activity.manage")
AUDIT_LABELS.update({
    "giveaway.create": _l("%(actor)s published a giveaway at %(union)s."),
    "giveaway.draw": _l("%(actor)s drew a giveaway at %(union)s."),
    "giveaway.pass_on": _l("%(actor)s passed unclaimed tickets at %(union)s on to the reserve."),
    "giveaway.redeem": _l("%(actor)s redeemed a ticket at %(union)s."),
    "subsidy.claim": _l("%(actor)s claimed a subsidy at %(union)s."),
    "subsidy.approve": _l("%(actor)s approved a subsidy claim at %(union)s."),
    "subsidy.reject": _l("%(actor)s turned down a subsidy claim at %(union)s."),
})

TOLD = {
    "won": inbox.kind("giveaway.won", _l("You won %(title)s.")),
    "won_claim": inbox.kind("giveaway.won_claim", _l("You won %(title)s: claim your ticket by %(claim_by)s.")),
    "reserve": inbox.kind("giveaway.reserve", _l("You are number %(n)d on the reserve list of %(title)s.")),
    "lost": inbox.kind("giveaway.lost", _l("You were not drawn for %(title)s this time.")),
    "passed_on": inbox.kind("giveaway.passed_on", _l("A ticket of %(title)s passed on to you: it is yours.")),
    "submitted": inbox.kind("subsidy.submitted", _l("A subsidy claim for %(title)s waits for your decision.")),
    "approved": inbox.kind("subsidy.approved", _l("Your subsidy claim for %(title)s was approved: %(amount)s yuan.")),
    "rejected": inbox.kind("subsidy.rejected", _l("Your subsidy claim for %(title)s was rejected.")),
}

GIVEAWAY = published("giveaway", Giveaway, MANAGE)


def _problem(field, message):
    return ValidationFailed(_("Please correct the marked fields."), errors={field: [message]})


# --- publish -------------------------------------------------------------------------------------

def _check_times(data):
    errors = {}
    if data["closes_at"] <= data["opens_at"]:
        errors["closes_at"] = [_("The entry window must close after it opens.")]
    if data.get("claim_by") is not None and data["claim_by"] <= data["closes_at"]:
        errors["claim_by"] = [_("The claim deadline must come after the entry window closes.")]
    if data.get("claim_by") is not None and data["method"] == "first_come":
        errors["claim_by"] = [_("First-come tickets are held at once: a claim deadline is for lotteries.")]
    if errors:
        raise ValidationFailed(_("Please correct the marked fields."), errors=errors)


def create_giveaway(session, actor, tenant, data) -> Giveaway:
    """Publish a giveaway of ``tenant``; a lottery draws its secret now and shows only its commitment."""
    if tenant.status != "active":
        raise Conflict(_("An archived union cannot publish giveaways."))
    data = dict(data)
    _check_times(data)
    scope, reach = data.get("scope", "tenant"), None
    if scope == "platform":
        root = tenant if tenant.is_root else session.get(Tenant, tenant.root_id)
        if not engine.can(actor, MANAGE, root):
            raise _problem("scope", _("Only the federation's benefit managers give away to the whole federation."))
        reach = "approved"
    giveaway = Giveaway(tenant_id=tenant.id, root_id=tenant.root_id, created_by_id=actor.id, status="published",
                        scope=scope, reach=reach, title=data["title"], description=data.get("description", ""),
                        description_html=render_markdown(data.get("description", "")), quantity=data["quantity"],
                        method=data["method"], opens_at=data["opens_at"], closes_at=data["closes_at"],
                        claim_by=data.get("claim_by"), entries_count=0, winners_count=0, tickets_count=0)
    if giveaway.method == "lottery":
        giveaway.secret = drawing.new_secret()
        giveaway.commitment = drawing.commitment_of(giveaway.secret)
    session.add(giveaway)
    session.flush()
    giveaway.tenant = tenant
    record(session, action="giveaway.create", actor=actor, tenant=tenant, target=str(giveaway.id),
           detail={"title": giveaway.title, "method": giveaway.method, "quantity": giveaway.quantity,
                   "commitment": giveaway.commitment})
    return giveaway


MAX_IMAGE_BYTES = 2 * 1024 * 1024
IMAGE_KINDS = (files.PNG, files.JPEG, files.WEBP)


def save_image(session, giveaway, storage) -> int:
    upload = files.check(storage, IMAGE_KINDS, max_bytes=MAX_IMAGE_BYTES, field="image",
                         refused=_("Upload a PNG, JPEG or WebP image."))
    old, giveaway.image_id = giveaway.image_id, files.save_upload(session, upload).id
    session.flush()
    files.delete(session, old)
    return giveaway.image_id


# --- find ----------------------------------------------------------------------------------------

def feed_stmt(v: Viewer, *, upcoming=False, root_id=None, now=None):
    """The giveaways ``v`` may see, those closing soonest first (``upcoming``: not closed yet)."""
    stmt = (sa.select(Giveaway).options(selectinload(Giveaway.tenant))
            .where(audience.visible_clause(Giveaway, v, MANAGE)))
    if upcoming:
        stmt = stmt.where(Giveaway.closes_at > (now or utcnow()))
        return stmt.order_by(Giveaway.closes_at, Giveaway.id)
    if root_id is not None:
        stmt = stmt.where(Giveaway.root_id == root_id)
    return stmt.order_by(Giveaway.closes_at.desc(), Giveaway.id.desc())


def manage_stmt(tenant):
    """Giveaways of ``tenant`` and every union below it, newest first."""
    return (sa.select(Giveaway).options(joinedload(Giveaway.tenant))
            .join(Tenant, Tenant.id == Giveaway.tenant_id).where(subtree_clause(Tenant.path, tenant.path))
            .order_by(Giveaway.opens_at.desc(), Giveaway.id.desc()))


def my_entries(session, user, giveaway_ids) -> dict:
    """giveaway id -> the caller's entry (its ticket loaded), for a page of giveaways: one query."""
    if not giveaway_ids or not getattr(user, "is_authenticated", False):
        return {}
    rows = session.scalars(sa.select(Entry).options(selectinload(Entry.ticket))
                           .where(Entry.user_id == user.id, Entry.giveaway_id.in_(giveaway_ids)))
    return {row.giveaway_id: row for row in rows}


def my_entries_stmt(user):
    return (sa.select(Entry).options(joinedload(Entry.giveaway).joinedload(Giveaway.tenant), selectinload(Entry.ticket))
            .join(Giveaway, Giveaway.id == Entry.giveaway_id).where(Entry.user_id == user.id)
            .order_by(Giveaway.closes_at.desc(), Entry.id.desc()))


def is_over(giveaway) -> bool:
    """No ticket can move any more: drawn without a claim deadline, or drawn and passed on."""
    if giveaway.method == "first_come":
        return False
    return giveaway.drawn_at is not None and (giveaway.claim_by is None or giveaway.passed_on_at is not None)


def entry_status(entry, giveaway) -> str:
    """What API.md calls the entry's status: a reserve entry is ``lost`` once the giveaway is over."""
    if entry.status == "reserve" and is_over(giveaway):
        return "lost"
    return entry.status


def my_tickets_count(session, user) -> int:
    """Tickets the person holds and has not used yet (the badge of "我的")."""
    return session.scalar(sa.select(sa.func.count()).select_from(Ticket).join(Entry, Entry.id == Ticket.entry_id)
                          .where(Entry.user_id == user.id, Ticket.redeemed_at.is_(None))) or 0


# --- take part -------------------------------------------------------------------------------------

class Busy(Conflict):
    """SQLite refused the write lock to a transaction that had read an older state: run it again."""


def retrying(session, work, attempts=10):
    for attempt in range(attempts):
        try:
            return work()
        except Busy:
            if attempt == attempts - 1:
                raise
            session.rollback()
            time.sleep(0.02 * (attempt + 1))
    return None


def _busy(session, error):
    if session.get_bind().dialect.name == "sqlite":
        raise Busy(_("Many people are taking part at this moment: please try again.")) from error
    raise error


def person_of(session, user):
    """The active membership of ``user`` with its verified identity, or None."""
    return session.scalar(sa.select(Membership).where(Membership.user_id == user.id, Membership.status == "active"))


def new_code(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ23456789", length=10) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


@functools.cache
def _take_seat_stmt():
    """The seat counter: one more ticket while any remain, the new count is the seat (RETURNING)."""
    return (sa.update(Giveaway).where(Giveaway.id == sa.bindparam("gid"), Giveaway.tickets_count < Giveaway.quantity)
            .values(tickets_count=Giveaway.tickets_count + 1, winners_count=Giveaway.winners_count + 1)
            .returning(Giveaway.tickets_count).execution_options(synchronize_session=False))


@functools.cache
def _first_come_stmt():
    """An entry of a first-come giveaway: inside the window and a seat left, in one conditional UPDATE."""
    now = sa.bindparam("now", type_=Giveaway.opens_at.type)
    return (sa.update(Giveaway).where(Giveaway.id == sa.bindparam("gid"), Giveaway.opens_at <= now,
                                      Giveaway.closes_at > now, Giveaway.tickets_count < Giveaway.quantity)
            .values(tickets_count=Giveaway.tickets_count + 1, winners_count=Giveaway.winners_count + 1,
                    entries_count=Giveaway.entries_count + 1)
            .returning(Giveaway.tickets_count).execution_options(synchronize_session=False))


@functools.cache
def _lottery_stmt():
    now = sa.bindparam("now", type_=Giveaway.opens_at.type)
    return (sa.update(Giveaway).where(Giveaway.id == sa.bindparam("gid"), Giveaway.opens_at <= now,
                                      Giveaway.closes_at > now, Giveaway.drawn_at.is_(None))
            .values(entries_count=Giveaway.entries_count + 1)
            .returning(Giveaway.entries_count).execution_options(synchronize_session=False))


def _check_window(giveaway, now):
    if now < giveaway.opens_at:
        raise Conflict(_("Entries open %(t)s.", t=giveaway.opens_at.isoformat(timespec="minutes")))
    if now >= giveaway.closes_at or giveaway.drawn_at is not None:
        raise Conflict(_("Entries have closed."))


def new_ticket(session, giveaway, entry, seat) -> Ticket:
    ticket = Ticket(giveaway_id=giveaway.id, root_id=giveaway.root_id, entry_id=entry.id, seat=seat,
                    code=secrets.token_urlsafe(24))
    session.add(ticket)
    entry.ticket = ticket
    return ticket


def enter(session, v: Viewer, giveaway, *, now=None) -> Entry:
    """Take a ticket (first-come) or enter the draw (lottery): once per person, while open, inside the scope."""
    now = now or utcnow()
    if not v.audience.reaches(giveaway):
        raise resources.miss()  # seen only as its manager: outside the scope, as for anyone outside it
    membership = person_of(session, v.user) if v.home is not None else None
    if membership is None or not membership.id_hash:
        raise Forbidden(_("Only verified union members take part: join your union first."))
    _check_window(giveaway, now)
    taken = session.scalar(sa.select(Entry.id).where(Entry.giveaway_id == giveaway.id, sa.or_(
        Entry.person_hash == membership.id_hash, Entry.user_id == v.user.id)))
    if taken is not None:
        raise Conflict(_("You have taken part already (one entry per person, whatever the account)."))
    if giveaway.method == "first_come" and giveaway.tickets_count >= giveaway.quantity:
        raise Conflict(_("None left: every ticket has been taken."))  # as read now; the counter decides otherwise
    params = {"gid": giveaway.id, "now": now}
    stmt = _first_come_stmt() if giveaway.method == "first_come" else _lottery_stmt()
    try:
        counted = session.execute(stmt, params).scalar()
    except OperationalError as error:
        _busy(session, error)
    if counted is None:
        session.refresh(giveaway)
        _check_window(giveaway, now)
        raise Conflict(_("None left: every ticket has been taken."))
    entry = Entry(giveaway_id=giveaway.id, root_id=giveaway.root_id, user_id=v.user.id,
                  person_hash=membership.id_hash, home_tenant_id=membership.tenant_id, entry_code=new_code(),
                  status="won" if giveaway.method == "first_come" else "entered")
    session.add(entry)
    try:
        session.flush()
        if giveaway.method == "first_come":
            new_ticket(session, giveaway, entry, counted)
            session.flush()
    except IntegrityError:  # the same person twice at once: this request is rolled back, counters included
        raise Conflict(_("You have taken part already (one entry per person, whatever the account).")) from None
    except OperationalError as error:
        _busy(session, error)
    session.expire(giveaway, ["entries_count", "winners_count", "tickets_count"])
    return entry


def enter_retrying(session, v: Viewer, giveaway_id, *, now=None) -> Entry:
    def work():
        return enter(session, v, resources.fetch(session, v.user, "giveaway", giveaway_id), now=now)

    return retrying(session, work)


# --- the draw ---------------------------------------------------------------------------------------

def _about(giveaway, **params):
    return {"params": {"title": giveaway.title, **params}, "link": f"/giveaways/{giveaway.id}",
            "subject": ("giveaway", giveaway.id), "root_id": giveaway.root_id}


def draw(session, actor, giveaway, *, now=None) -> Giveaway:
    """Run the draw once, after the window closed; store it; tell winners and reserve. 409 otherwise."""
    now = now or utcnow()
    if giveaway.method != "lottery":
        raise Conflict(_("A first-come giveaway has no draw."))
    if giveaway.drawn_at is not None:
        raise Conflict(_("Drawn already: a draw is run once."))
    if now < giveaway.closes_at:
        raise Conflict(_("The entry window is still open: draw after it closes."))
    # Only one draw: the first to mark the giveaway wins (a second one, or the scheduler's, finds it marked).
    done = session.execute(sa.update(Giveaway).where(Giveaway.id == giveaway.id, Giveaway.drawn_at.is_(None),
                                                     Giveaway.closes_at <= now)
                           .values(drawn_at=now).execution_options(synchronize_session=False)).rowcount
    if done != 1:
        raise Conflict(_("Drawn already: a draw is run once."))
    session.refresh(giveaway)
    rows = session.execute(sa.select(Entry.id, Entry.entry_code, Entry.user_id)
                           .where(Entry.giveaway_id == giveaway.id)).all()
    by_code = {code: (entry_id, user_id) for entry_id, code, user_id in rows}
    result = drawing.run(giveaway.secret, list(by_code), giveaway.quantity)
    giveaway.seed, giveaway.entries_hash = result["seed"], result["entries_hash"]
    winners = result["winners"]
    updates = [{"id": by_code[code][0], "rank": rank, "status": "won" if rank <= giveaway.quantity else "reserve"}
               for rank, code in enumerate(result["ranking"], start=1)]
    if updates:
        session.execute(sa.update(Entry), updates)
    giveaway.winners_count = len(winners)
    session.flush()
    winner_ids = [by_code[c][1] for c in winners]
    if giveaway.claim_by is None:
        # Winners hold their ticket at once: seats 1..n, and the counter moved under the row's lock.
        _give_seats(session, giveaway, [by_code[c][0] for c in winners])
        inbox.notify(session, winner_ids, TOLD["won"], **_about(giveaway))
        lost = [by_code[c][1] for c in result["ranking"][giveaway.quantity:]]
        inbox.notify(session, lost, TOLD["lost"], **_about(giveaway))
    else:
        inbox.notify(session, winner_ids, TOLD["won_claim"],
                     **_about(giveaway, claim_by=giveaway.claim_by.isoformat(timespec="minutes")))
        for n, code in enumerate(result["ranking"][giveaway.quantity:], start=1):
            inbox.notify(session, [by_code[code][1]], TOLD["reserve"], **_about(giveaway, n=n))
    record(session, action="giveaway.draw", actor=actor, tenant=session.get(Tenant, giveaway.tenant_id),
           target=str(giveaway.id), detail={"entries": len(rows), "winners": len(winners),
                                            "entries_hash": giveaway.entries_hash, "seed": giveaway.seed})
    return giveaway


def _give_seats(session, giveaway, entry_ids):
    """Tickets for ``entry_ids``, each taking a seat through the counter (never past quantity)."""
    if not entry_ids:
        return []
    n = len(entry_ids)
    seats_end = session.execute(
        sa.update(Giveaway).where(Giveaway.id == giveaway.id, Giveaway.tickets_count + n <= Giveaway.quantity)
        .values(tickets_count=Giveaway.tickets_count + n).returning(Giveaway.tickets_count)
        .execution_options(synchronize_session=False)).scalar()
    if seats_end is None:
        raise Conflict(_("None left: every ticket has been taken."))
    first = seats_end - n + 1
    session.add_all([Ticket(giveaway_id=giveaway.id, root_id=giveaway.root_id, entry_id=entry_id, seat=first + i,
                            code=secrets.token_urlsafe(24)) for i, entry_id in enumerate(entry_ids)])
    session.flush()
    session.expire(giveaway, ["tickets_count"])
    return list(range(first, seats_end + 1))


def published_draw(session, giveaway) -> dict:
    """The draw as everyone who sees the giveaway may check it; 409 before it ran."""
    if giveaway.drawn_at is None:
        raise Conflict(_("Not drawn yet."))
    ranking = list(session.scalars(sa.select(Entry.entry_code).where(Entry.giveaway_id == giveaway.id)
                                   .order_by(Entry.rank)))
    return {"commitment": giveaway.commitment, "seed": giveaway.seed, "entries_hash": giveaway.entries_hash,
            "quantity": giveaway.quantity, "ranking": ranking, "winners": ranking[:giveaway.quantity]}


def due_draws_stmt(now):
    return (sa.select(Giveaway.id).where(Giveaway.method == "lottery", Giveaway.drawn_at.is_(None),
                                         Giveaway.closes_at <= now).order_by(Giveaway.closes_at).limit(100))


def due_pass_ons_stmt(now):
    return (sa.select(Giveaway.id).where(Giveaway.method == "lottery", Giveaway.drawn_at.is_not(None),
                                         Giveaway.passed_on_at.is_(None), Giveaway.claim_by.is_not(None),
                                         Giveaway.claim_by <= now).order_by(Giveaway.claim_by).limit(100))


# --- claim and pass on ------------------------------------------------------------------------------

def claim(session, user, giveaway, *, now=None) -> Ticket:
    """A winner takes their ticket before the deadline (a seat through the counter). 409 after it, or twice."""
    now = now or utcnow()
    entry = session.scalar(sa.select(Entry).options(selectinload(Entry.ticket))
                           .where(Entry.giveaway_id == giveaway.id, Entry.user_id == user.id))
    if entry is None:
        raise NotFound(_("You have not taken part in this giveaway."))
    if entry.ticket is not None:
        raise Conflict(_("Your ticket is yours already."))
    if entry.status != "won":
        raise Conflict(_("Only a winner claims a ticket."))
    if giveaway.claim_by is not None and now >= giveaway.claim_by:
        raise Conflict(_("The claim deadline has passed."))
    # Under the giveaway's lock: the deadline, and the pass-on that may have run meanwhile.
    try:
        ok = session.execute(sa.update(Giveaway).where(Giveaway.id == giveaway.id, Giveaway.passed_on_at.is_(None))
                             .values(passed_on_at=None).execution_options(synchronize_session=False)).rowcount
    except OperationalError as error:
        _busy(session, error)
    if not ok:
        raise Conflict(_("The claim deadline has passed."))
    _give_seats(session, giveaway, [entry.id])
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(_("Your ticket is yours already.")) from None
    session.expire(entry, ["ticket"])
    return session.scalar(sa.select(Ticket).where(Ticket.entry_id == entry.id))


def pass_on(session, giveaway_id, *, now=None) -> int:
    """After the claim deadline: unclaimed winners lose their ticket to the first of the reserve, who are told.

    Idempotent: ``passed_on_at`` is set once by a conditional UPDATE (a second run finds it set)."""
    now = now or utcnow()
    done = session.execute(sa.update(Giveaway).where(Giveaway.id == giveaway_id, Giveaway.drawn_at.is_not(None),
                                                     Giveaway.passed_on_at.is_(None), Giveaway.claim_by <= now)
                           .values(passed_on_at=now).execution_options(synchronize_session=False)).rowcount
    if done != 1:
        return 0
    giveaway = session.get(Giveaway, giveaway_id, populate_existing=True)
    unclaimed = list(session.scalars(
        sa.select(Entry.id).outerjoin(Ticket, Ticket.entry_id == Entry.id)
        .where(Entry.giveaway_id == giveaway.id, Entry.status == "won", Ticket.id.is_(None))))
    if unclaimed:
        session.execute(sa.update(Entry).where(Entry.id.in_(unclaimed)).values(status="lost")
                        .execution_options(synchronize_session=False))
    reserve = session.execute(sa.select(Entry.id, Entry.user_id).where(
        Entry.giveaway_id == giveaway.id, Entry.status == "reserve").order_by(Entry.rank)
        .limit(len(unclaimed))).all() if unclaimed else []
    if reserve:
        session.execute(sa.update(Entry).where(Entry.id.in_([r[0] for r in reserve])).values(status="won")
                        .execution_options(synchronize_session=False))
        _give_seats(session, giveaway, [r[0] for r in reserve])
        inbox.notify(session, [r[1] for r in reserve], TOLD["passed_on"], **_about(giveaway))
    giveaway.winners_count = giveaway.winners_count - len(unclaimed) + len(reserve)
    session.flush()
    record(session, action="giveaway.pass_on", tenant=session.get(Tenant, giveaway.tenant_id),
           target=str(giveaway.id), detail={"unclaimed": len(unclaimed), "passed_on": len(reserve)})
    return len(reserve)


# --- redeem -----------------------------------------------------------------------------------------

def code_of(text: str) -> str:
    """A ticket code, from the code itself or from the link its QR holds (``...?code=<code>``)."""
    from urllib.parse import parse_qs, urlsplit

    text = (text or "").strip()
    if "code=" in text:
        found = parse_qs(urlsplit(text).query).get("code")
        if found:
            return found[0].strip()
    return text


def ticket_by_code(session, code):
    """(ticket, giveaway) of a ticket code (its entry, the giveaway's tenant loaded), or None."""
    ticket = session.scalar(sa.select(Ticket).options(
        joinedload(Ticket.giveaway).joinedload(Giveaway.tenant), joinedload(Ticket.entry).joinedload(Entry.user))
        .where(Ticket.code == code)) if code else None
    return (ticket, ticket.giveaway) if ticket is not None else None


def mask_name(name: str) -> str:
    name = (name or "").strip()
    if len(name) <= 1:
        return name + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1] if len(name) > 2 else name[0] + "*"


def redeem(session, actor, text, *, now=None) -> dict:
    """A benefit manager of the giveaway's union scans a ticket: valid once; a second scan says when it was used."""
    now = now or utcnow()
    code = code_of(text)
    found = ticket_by_code(session, code)
    ticket = found[0] if found else None
    if ticket is None:
        raise ValidationFailed(_("This is not a ticket of this platform: forged, mistyped or unknown."),
                               errors={"code": [_("Unknown ticket.")]})
    if not engine.can(actor, MANAGE, ticket.giveaway.tenant):
        raise NotFound(_("This ticket is for another union's giveaway."))
    done = session.execute(sa.update(Ticket).where(Ticket.id == ticket.id, Ticket.redeemed_at.is_(None))
                           .values(redeemed_at=now, redeemed_by_id=actor.id)
                           .execution_options(synchronize_session=False)).rowcount
    session.refresh(ticket)
    if not done:
        raise Conflict(_("Used already, at %(t)s.", t=_local(ticket.redeemed_at, ticket.giveaway.tenant)))
    record(session, action="giveaway.redeem", actor=actor, tenant=ticket.giveaway.tenant,
           target=str(ticket.giveaway_id), detail={"ticket": ticket.id, "seat": ticket.seat})
    real_name = session.scalar(sa.select(Membership.real_name).where(
        Membership.user_id == ticket.entry.user_id, Membership.id_hash == ticket.entry.person_hash,
        Membership.real_name.is_not(None)).limit(1))
    return {"ticket": ticket, "giveaway": ticket.giveaway,
            "name_masked": mask_name(real_name or ticket.entry.user.display_name),
            "redeemed_at": ticket.redeemed_at}


def _local(moment, tenant):
    from flask_babel import format_datetime

    from union_saas.core.i18n import zone_of

    try:
        return format_datetime(moment.astimezone(zone_of(tenant)), "short")
    except Exception:  # noqa: BLE001 - outside a request: the ISO time says it as well
        return moment.isoformat(timespec="minutes")


# --- subsidies --------------------------------------------------------------------------------------

def _claim_visible(session, user, claim):
    return engine.can(user, MANAGE, claim.tenant) or engine.can(user, ACTIVITY_MANAGE, claim.tenant)


SUBSIDY = resources.register("subsidy_claim", SubsidyClaim, visible=_claim_visible, manage=MANAGE)


def evidence(session, activity) -> dict:
    """The confirmed sign-ups and check-ins of ``activity``, counted by the platform (one query)."""
    confirmed, checked_in = session.execute(
        sa.select(sa.func.count(), sa.func.count(SignUp.checked_in_at))
        .where(SignUp.activity_id == activity.id, SignUp.status == "confirmed")).one()
    return {"confirmed": confirmed, "checked_in": checked_in}


def claim_subsidy(session, actor, activity, data, *, now=None) -> SubsidyClaim:
    """The host of an ended activity claims a subsidy; the evidence is filled in here. 409 before the end, twice."""
    now = now or utcnow()
    if activity.status != "published" or activity.ends_at > now:
        raise Conflict(_("A subsidy is claimed after the activity has ended."))
    if session.scalar(sa.select(SubsidyClaim.id).where(SubsidyClaim.activity_id == activity.id)) is not None:
        raise Conflict(_("This activity has a subsidy claim already: one claim per activity."))
    found = evidence(session, activity)
    claim = SubsidyClaim(activity_id=activity.id, tenant_id=activity.tenant_id, root_id=activity.root_id,
                         amount_requested=data["amount_requested"], note=data.get("note") or None,
                         status="submitted", evidence_confirmed=found["confirmed"],
                         evidence_checked_in=found["checked_in"], activity_ended_at=activity.ends_at,
                         created_by_id=actor.id)
    session.add(claim)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(_("This activity has a subsidy claim already: one claim per activity.")) from None
    claim.activity = activity
    claim.tenant = activity.tenant
    record(session, action="subsidy.claim", actor=actor, tenant=activity.tenant, target=str(claim.id),
           detail={"activity": activity.id, "amount_requested": str(claim.amount_requested), **found})
    _tell_deciders(session, claim, activity)
    return claim


def _tell_deciders(session, claim, activity):
    """Those who hold benefit.manage through a grant at the nearest ancestor where someone holds it."""
    from union_saas.access.models import Grant

    ancestors = path_ids(activity.tenant.path)[:-1]
    roles = [r.name for r in engine.policy().roles.values() if MANAGE in r.permissions]
    if not ancestors or not roles:
        return
    now = utcnow()
    rows = session.execute(sa.select(Grant.user_id, Grant.tenant_id).where(
        Grant.tenant_id.in_(ancestors), Grant.role.in_(roles), Grant.revoked_at.is_(None),
        sa.or_(Grant.expires_at.is_(None), Grant.expires_at > now))).all()
    by_tenant = {}
    for user_id, tenant_id in rows:
        by_tenant.setdefault(tenant_id, set()).add(user_id)
    for tenant_id in reversed(ancestors):
        if tenant_id in by_tenant:
            inbox.notify(session, sorted(by_tenant[tenant_id]), TOLD["submitted"], params={"title": activity.title},
                         link=f"/manage/subsidy-claims/{claim.id}", subject=("subsidy_claim", claim.id),
                         root_id=claim.root_id)
            return


def parent_path(tenant) -> str | None:
    if tenant.is_root:
        return None
    return tenant.path[:-(SEGMENT + 1)]


def may_decide(user, claim) -> bool:
    """benefit.manage held at a strict ancestor of the claim's tenant (never the claimant's own grant)."""
    path = parent_path(claim.tenant)
    return path is not None and engine.subject(user).can(MANAGE, path)


def decide(session, actor, claim, *, approve, amount=None, reason=None, now=None) -> SubsidyClaim:
    now = now or utcnow()
    if not may_decide(actor, claim):
        raise Forbidden(_("A subsidy claim is decided above the union that claims it, never by it."))
    if approve and amount is not None and Decimal(amount) > claim.amount_requested:
        raise _problem("amount_granted", _("At most the amount requested (%(n)s).", n=claim.amount_requested))
    values = {"status": "approved" if approve else "rejected", "decided_at": now, "decided_by_id": actor.id,
              "amount_granted": Decimal(amount) if approve else None, "reason": None if approve else reason}
    done = session.execute(sa.update(SubsidyClaim).where(SubsidyClaim.id == claim.id,
                                                         SubsidyClaim.status == "submitted")
                           .values(**values).execution_options(synchronize_session=False)).rowcount
    if done != 1:
        raise Conflict(_("Decided already."))
    session.refresh(claim)
    activity = session.get(Activity, claim.activity_id)
    record(session, action="subsidy.approve" if approve else "subsidy.reject", actor=actor, tenant=claim.tenant,
           target=str(claim.id), detail={"amount_granted": str(claim.amount_granted or ""), "reason": reason or ""})
    if claim.created_by_id:
        params = {"title": activity.title}
        if approve:
            params["amount"] = str(claim.amount_granted)
        inbox.notify(session, [claim.created_by_id], TOLD["approved" if approve else "rejected"], params=params,
                     body=reason or "", link=f"/manage/subsidy-claims/{claim.id}", subject=("subsidy_claim", claim.id),
                     root_id=claim.root_id)
    return claim


def claims_stmt(tenant, *, status=None):
    """The claims of ``tenant``'s subtree (their activity and tenant loaded), newest first."""
    stmt = (sa.select(SubsidyClaim).options(joinedload(SubsidyClaim.tenant), joinedload(SubsidyClaim.activity))
            .join(Tenant, Tenant.id == SubsidyClaim.tenant_id).where(subtree_clause(Tenant.path, tenant.path)))
    if status:
        stmt = stmt.where(SubsidyClaim.status == status)
    return stmt.order_by(SubsidyClaim.created_at.desc(), SubsidyClaim.id.desc())


def _subtree_claims(tenant):
    return (sa.select(SubsidyClaim).join(Tenant, Tenant.id == SubsidyClaim.tenant_id)
            .where(subtree_clause(Tenant.path, tenant.path)))


def totals(session, tenant) -> dict:
    """Requested (not rejected) and granted over every claim of the subtree, whatever the filter."""
    requested, granted = session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(sa.case((SubsidyClaim.status != "rejected",
                                                        SubsidyClaim.amount_requested), else_=0)), 0),
                  sa.func.coalesce(sa.func.sum(SubsidyClaim.amount_granted), 0))
        .join(Tenant, Tenant.id == SubsidyClaim.tenant_id).where(subtree_clause(Tenant.path, tenant.path))).one()
    return {"requested": Decimal(requested).quantize(Decimal("0.01")), "granted": Decimal(granted).quantize(Decimal("0.01"))}


def breakdown(session, tenant) -> list[dict]:
    """Totals per year and per child union of ``tenant`` (its own claims as its own row): two queries."""
    child_path = sa.func.substr(Tenant.path, 1, len(tenant.path) + SEGMENT + 1)
    year = sa.extract("year", SubsidyClaim.activity_ended_at)
    rows = session.execute(
        sa.select(year.label("year"), child_path.label("child"), sa.func.count(SubsidyClaim.id),
                  sa.func.coalesce(sa.func.sum(sa.case((SubsidyClaim.status != "rejected",
                                                        SubsidyClaim.amount_requested), else_=0)), 0),
                  sa.func.coalesce(sa.func.sum(SubsidyClaim.amount_granted), 0),
                  sa.func.count(SubsidyClaim.id).filter(SubsidyClaim.status == "submitted"))
        .join(Tenant, Tenant.id == SubsidyClaim.tenant_id).where(subtree_clause(Tenant.path, tenant.path))
        .group_by(year, child_path).order_by(year.desc(), child_path)).all()
    names = dict(session.execute(sa.select(Tenant.path, Tenant.name).where(
        Tenant.path.in_({r[1] for r in rows} or {""}))).all())
    q = Decimal("0.01")
    return [{"year": int(y), "tenant": names.get(path, ""), "own": path == tenant.path, "claims": n,
             "requested": Decimal(req).quantize(q), "granted": Decimal(gr).quantize(q), "waiting": waiting}
            for y, path, n, req, gr, waiting in rows]


def waiting_count(session, tenant) -> int:
    """Claims of the subtree waiting for a decision this union may take (not its own: strictly below it)."""
    return session.scalar(sa.select(sa.func.count()).select_from(SubsidyClaim)
                          .join(Tenant, Tenant.id == SubsidyClaim.tenant_id)
                          .where(subtree_clause(Tenant.path, tenant.path), Tenant.id != tenant.id,
                                 SubsidyClaim.status == "submitted")) or 0


def claimable_stmt(tenant, *, now=None):
    """Ended, published activities of ``tenant`` itself without a claim, latest first."""
    return (sa.select(Activity).where(Activity.tenant_id == tenant.id, Activity.status == "published",
                                      Activity.ends_at <= (now or utcnow()),
                                      ~sa.exists().where(SubsidyClaim.activity_id == Activity.id))
            .order_by(Activity.ends_at.desc(), Activity.id.desc()))


def claim_of_activity(session, activity_id):
    return session.scalar(sa.select(SubsidyClaim).where(SubsidyClaim.activity_id == activity_id))



def load_claim(session, claim_id) -> SubsidyClaim:
    """A claim with its activity and tenant (one query)."""
    return session.scalar(sa.select(SubsidyClaim).options(joinedload(SubsidyClaim.tenant),
                                                          joinedload(SubsidyClaim.activity))
                          .where(SubsidyClaim.id == claim_id).execution_options(populate_existing=True))
