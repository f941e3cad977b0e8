"""Rules of the operator's area: find accounts (data shown masked), lock and unlock them, count the platform.

Plain functions on a session: they flush, raise domain errors, never commit."""
import re

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from union_saas.accounts.models import AuthSession, PasswordReset, User
from union_saas.accounts.services import end_sessions
from union_saas.core.audit import AUDIT_LABELS, AuditEntry, record
from union_saas.core.db import utcnow
from union_saas.core.errors import Conflict, NotFound
from union_saas.members import crypto, identity
from union_saas.members.models import Membership
from union_saas.tenancy.models import Tenant

AUDIT_LABELS.update({
    "account.lock": _l("%(actor)s locked the account of %(target)s: %(reason)s"),
    "account.unlock": _l("%(actor)s unlocked the account of %(target)s."),
})
ACCOUNT_ACTIONS = ("account.lock", "account.unlock")
ID_LIKE = re.compile(r"^\d{17}[\dXx]$")


def mask_phone(phone) -> str:
    """138****5678: the first 3 and last 4 digits."""
    digits = (phone or "").strip()
    if len(digits) < 8:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def find_stmt(text):
    """Accounts matching ``text``: a whole ID number (through the keyed hash of the members' records), a
    phone number (the account's or a membership's), or part of a username or display name. Newest first."""
    text = (text or "").strip()[:60]
    stmt = sa.select(User).order_by(User.created_at.desc(), User.id.desc())
    if not text:
        return stmt
    normalised = identity.normalise_id(text)
    if ID_LIKE.match(normalised) and not identity.id_problem(normalised):
        holders = sa.select(Membership.user_id).where(Membership.id_hash == crypto.id_hash(normalised))
        return stmt.where(User.id.in_(holders))
    phone = identity.normalise_phone(text)
    conditions = [User.username.contains(text.lower(), autoescape=True),
                  User.display_name.contains(text, autoescape=True)]
    if re.fullmatch(r"\+?\d{5,20}", phone):
        conditions += [User.phone == phone,
                       User.id.in_(sa.select(Membership.user_id).where(Membership.phone == phone))]
    return stmt.where(sa.or_(*conditions))


def memberships_of(session, user_ids):
    """{user id: the membership that describes them now (active, else pending, else the latest)}, tenants
    loaded: one query for a page of accounts."""
    if not user_ids:
        return {}
    rank = sa.case((Membership.status == "active", 0), (Membership.status == "pending", 1), else_=2)
    rows = session.execute(sa.select(Membership, Tenant).join(Tenant, Tenant.id == Membership.tenant_id)
                           .where(Membership.user_id.in_(user_ids))
                           .order_by(Membership.user_id, rank, Membership.created_at.desc(), Membership.id.desc()))
    out = {}
    for membership, tenant in rows:
        if membership.user_id not in out:
            out[membership.user_id] = (membership, tenant)
    return out


def account_doc(user, membership=None):
    """An account as the operator sees it: contact and identity masked."""
    m, tenant = membership or (None, None)
    return {
        "id": user.id, "username": user.username, "display_name": user.display_name,
        "phone_masked": mask_phone(user.phone or (m.phone if m else None)),
        "id_masked": m.id_masked if m and m.id_masked else None,
        "membership": {"tenant": tenant.slug, "tenant_name": tenant.name, "status": m.status} if m else None,
        "is_operator": user.is_operator, "locked": not user.active,
        "created_at": user.created_at, "last_login_at": user.last_login_at,
    }


def get_account(session, user_id) -> User:
    user = session.get(User, user_id) if isinstance(user_id, int) and 0 < user_id < 2**63 else None
    if user is None:
        raise NotFound(_("No such account."))
    return user


def account_events(session, user, limit=20):
    """The operator's decisions about this account (locks and unlocks), newest first."""
    return list(session.scalars(
        sa.select(AuditEntry).options(sa.orm.joinedload(AuditEntry.actor))
        .where(AuditEntry.action.in_(ACCOUNT_ACTIONS), AuditEntry.target == user.username)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)))


def lock(session, operator, user, reason) -> User:
    """Lock ``user`` out: no sign-in from now on, every session and token ends, open reset codes and links
    are spent; audited. 409 for the operator's own account, or one already locked."""
    if user.id == operator.id:
        raise Conflict(_("You cannot lock your own account."))
    changed = session.execute(sa.update(User).where(User.id == user.id, User.active.is_(True))
                              .values(active=False, token_generation=User.token_generation + 1)
                              .execution_options(synchronize_session=False)).rowcount
    if not changed:
        raise Conflict(_("This account is locked already."))
    session.expire(user, ["active", "token_generation"])
    end_sessions(session, user)
    session.execute(sa.update(PasswordReset).where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
                    .values(used_at=utcnow()).execution_options(synchronize_session=False))
    record(session, action="account.lock", actor=operator, target=user.username,
           detail={"user": user.id, "reason": reason})
    return user


def unlock(session, operator, user) -> User:
    """Let ``user`` sign in again (with their password: nothing else comes back). 409 unless locked."""
    changed = session.execute(sa.update(User).where(User.id == user.id, User.active.is_(False))
                              .values(active=True).execution_options(synchronize_session=False)).rowcount
    if not changed:
        raise Conflict(_("This account is not locked."))
    session.expire(user, ["active"])
    record(session, action="account.unlock", actor=operator, target=user.username, detail={"user": user.id})
    return user


def platform_counts(session) -> dict:
    """The whole platform in numbers, in one query."""
    from union_saas.activities.models import Activity
    from union_saas.office.models import Notice, Task

    def count(model, *where):
        return sa.select(sa.func.count()).select_from(model).where(*where).scalar_subquery()

    since = utcnow() - __import__("datetime").timedelta(days=30)
    row = session.execute(sa.select(
        count(Tenant, Tenant.parent_id.is_(None)).label("federations"),
        count(Tenant, Tenant.status == "active").label("unions"),
        count(User).label("accounts"),
        count(User, User.last_login_at >= since).label("signed_in_30_days"),
        count(User, User.active.is_(False)).label("locked"),
        count(Membership, Membership.status == "active").label("members"),
        count(Membership, Membership.status == "pending").label("pending_memberships"),
        count(Activity).label("activities"),
        count(Notice).label("notices"),
        count(Task).label("tasks"),
        count(AuthSession, AuthSession.revoked_at.is_(None), AuthSession.expires_at > utcnow()).label("live_sessions"),
    )).one()
    return dict(row._mapping)


COUNT_LABELS = {
    "federations": _l("Federations"), "unions": _l("Active unions"), "accounts": _l("Accounts"),
    "signed_in_30_days": _l("Signed in within 30 days"), "locked": _l("Locked accounts"),
    "members": _l("Active members"), "pending_memberships": _l("Membership requests waiting"),
    "activities": _l("Activities"), "notices": _l("Notices sent"), "tasks": _l("Tasks assigned"),
    "live_sessions": _l("Open sessions and tokens"),
}
