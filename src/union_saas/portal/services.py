"""Rules of the worker's own place: the e-member card's code, and what the home shows.

The card's code is a short signed token, ``<membership>-<issued>-<signature>`` in Crockford base32 (an
officer can type it off the screen): an HMAC-SHA256 of the membership id and the time it was issued, under
the app's secret, valid ``CARD_MAX_AGE`` seconds. Verifying re-reads the membership: a card whose
membership closed since (a transfer, a withdrawal) is no longer valid, whatever its code says.
"""
import hashlib
import hmac
import time
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from union_saas.access import engine
from union_saas.activities import services as activities
from union_saas.activities.models import Activity
from union_saas.core.errors import NotFound
from union_saas.members.models import Follow, Membership, RosterEntry
from union_saas.tenancy.content import effective_scope_is

CARD_MAX_AGE = 300  # seconds: a code is valid five minutes (API.md: it changes at least that often)
CARD_REFRESH = 240  # the card page fetches a fresh code this long after the last one
CARD_SALT = b"member-card"
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32: no I, L, O, U
SIGNATURE_CHARS = 10  # 50 bits


def _b32(number: int) -> str:
    out = ""
    while True:
        number, digit = divmod(number, 32)
        out = ALPHABET[digit] + out
        if not number:
            return out


def _int32(text: str) -> int:
    number = 0
    for char in text:
        number = number * 32 + ALPHABET.index(char)
    return number


def _signature(secret: str, membership_id: int, issued: int) -> str:
    key = hashlib.sha256(CARD_SALT + secret.encode()).digest()
    digest = hmac.new(key, f"{membership_id}.{issued}".encode(), hashlib.sha256).digest()
    return _b32(int.from_bytes(digest[:8], "big") >> 14).rjust(SIGNATURE_CHARS, "0")[-SIGNATURE_CHARS:]


def card_code(secret: str, membership_id: int, now_ts: float | None = None) -> tuple[str, datetime]:
    """A fresh code for the card of membership ``membership_id``, and when it expires."""
    issued = int(now_ts if now_ts is not None else time.time())
    code = f"{_b32(membership_id)}-{_b32(issued)}-{_signature(secret, membership_id, issued)}"
    return code, datetime.fromtimestamp(issued + CARD_MAX_AGE, UTC)


def normalise(code) -> str:
    """What an officer typed, as the code reads: upper case, no spaces, the letters people confuse mapped."""
    text = str(code or "").strip().upper().replace(" ", "")
    return text.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))[:64]


def read_code(secret: str, code, now_ts: float | None = None) -> int | None:
    """The membership id a genuine, unexpired code names, else None (forged, expired, malformed)."""
    parts = normalise(code).split("-")
    if len(parts) != 3 or not all(parts) or any(c not in ALPHABET for c in "".join(parts)):
        return None
    if len(parts[0]) > 8 or len(parts[1]) > 8:
        return None
    membership_id, issued = _int32(parts[0]), _int32(parts[1])
    if not hmac.compare_digest(parts[2], _signature(secret, membership_id, issued)):
        return None
    now = now_ts if now_ts is not None else time.time()
    if not issued - 30 <= now <= issued + CARD_MAX_AGE:  # a clock a little ahead is tolerated
        return None
    return membership_id


def mask_name(name: str | None) -> str:
    """张三 -> 张*, 欧阳娜娜 -> 欧***, Li Lei -> L*****: the first character and stars."""
    name = (name or "").strip()
    if not name:
        return "—"
    return name[0] + "*" * max(1, len(name) - 1)


def active_membership(session, user) -> Membership | None:
    """The user's active membership with its tenant (one query)."""
    return session.scalar(sa.select(Membership).options(joinedload(Membership.tenant))
                          .where(Membership.user_id == user.id, Membership.status == "active"))


def member_number(session, membership) -> str | None:
    if not membership.id_hash:
        return None
    return session.scalar(sa.select(RosterEntry.member_number).where(
        RosterEntry.tenant_id == membership.tenant_id, RosterEntry.id_hash == membership.id_hash))


def card(session, secret, user, now_ts=None) -> dict:
    """The e-member card of ``user`` (two queries); NotFound without an active membership."""
    from flask_babel import gettext as _

    membership = active_membership(session, user)
    if membership is None:
        raise NotFound(_("You hold no active membership: join your union to get a member card."))
    code, expires_at = card_code(secret, membership.id, now_ts)
    return {"tenant": membership.tenant.slug, "tenant_name": membership.tenant.name,
            "name_masked": mask_name(membership.real_name or user.display_name),
            "member_since": membership.decided_at or membership.created_at,
            "member_no": member_number(session, membership), "verified": membership.verified,
            "code": code, "expires_at": expires_at}


def verify(session, secret, officer, code, now_ts=None) -> dict:
    """``{valid, tenant, name_masked}``: valid only for a genuine unexpired code of an active membership at a
    union where ``officer`` holds member.view (anything else reads as not valid, saying nothing more)."""
    invalid = {"valid": False, "tenant": None, "tenant_name": None, "name_masked": None}
    membership_id = read_code(secret, code, now_ts)
    if membership_id is None:
        return invalid
    membership = session.scalar(sa.select(Membership).options(joinedload(Membership.tenant))
                                .where(Membership.id == membership_id))
    if membership is None or membership.status != "active" or not engine.can(officer, "member.view",
                                                                             membership.tenant):
        return invalid
    return {"valid": True, "tenant": membership.tenant.slug, "tenant_name": membership.tenant.name,
            "name_masked": mask_name(membership.real_name), "verified": membership.verified,
            "member_since": membership.decided_at or membership.created_at}


def verifies_somewhere(officer) -> bool:
    """Does ``officer`` hold member.view at any union (no query after the grants are loaded)?"""
    return bool(engine.subject(officer).scopes("member.view"))


# --- the home ----------------------------------------------------------------------------------------

def upcoming(session, viewer, *, limit=6):
    """The next activities ``viewer`` may see (their union's, the district's, what they follow reaches)."""
    stmt = activities.feed_stmt(viewer).where(Activity.status == "published")
    return list(session.scalars(stmt.limit(limit)))


def followed_stmt(user):
    return sa.select(Follow.tenant_id).where(Follow.user_id == user.id)


def from_followed(session, viewer, *, limit=4):
    """Upcoming activities of the unions ``viewer`` follows that the audience rule lets them see."""
    if viewer.user is None:
        return []
    stmt = activities.feed_stmt(viewer).where(Activity.status == "published",
                                              Activity.tenant_id.in_(followed_stmt(viewer.user)))
    return list(session.scalars(stmt.limit(limit)))


def open_to_everyone_stmt(now=None):
    """Activities open to everyone: published, federation-wide (approved), not for members only, upcoming."""
    return (sa.select(Activity).options(joinedload(Activity.tenant))
            .where(Activity.status == "published", effective_scope_is(Activity, "platform"),
                   Activity.members_only.is_(False), Activity.ends_at >= (now or activities.utcnow()))
            .order_by(Activity.starts_at, Activity.id))


def open_activity(session, activity_id) -> Activity:
    activity = session.scalar(open_to_everyone_stmt().where(Activity.id == activity_id))
    if activity is None:
        from flask_babel import gettext as _

        raise NotFound(_("No such activity."))
    return activity
