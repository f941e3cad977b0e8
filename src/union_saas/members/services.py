"""Rules of membership: join, review, transfer, follow, the directory. Functions take a session, flush,
raise domain errors, never commit; ``home_of`` and ``followed_root_ids`` are what other domains use."""

import functools

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from union_saas.access import engine, resources
from union_saas.accounts import services as accounts
from union_saas.core import files, inbox, jobs, xlsx
from union_saas.core.audit import AUDIT_LABELS, record
from union_saas.core.audit import params as audit_params
from union_saas.core.db import utcnow
from union_saas.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from union_saas.members import crypto, identity
from union_saas.members.models import (
    STATUSES,
    Follow,
    MemberFile,
    Membership,
    RosterEntry,
)
from union_saas.tenancy.models import SEGMENT, Tenant, subtree_clause
from union_saas.tenancy.services import get_by_slug

# Partner organisations offer activities; a worker joins a union.
JOINABLE_KINDS = ("federation", "street", "community", "enterprise")
CURRENT = ("active", "pending")


def home_of(session, user):
    """The tenant of ``user``'s active membership, or None."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return session.scalar(_home_stmt(), {"uid": user.id})


# The statements of every request are built once: building one costs more Python than running it.
@functools.cache
def _home_stmt():
    return (sa.select(Tenant).join(Membership, Membership.tenant_id == Tenant.id)
            .where(Membership.user_id == sa.bindparam("uid"), Membership.status == "active"))


@functools.cache
def _brief_stmt():
    return (sa.select(Tenant.slug, Membership.status).join(Tenant, Tenant.id == Membership.tenant_id)
            .where(Membership.user_id == sa.bindparam("uid"))
            .order_by(sa.case((Membership.status == "active", 0), (Membership.status == "pending", 1), else_=2),
                      Membership.created_at.desc(), Membership.id.desc()).limit(1))


def followed_root_ids(session, user) -> list[int]:
    """The federations of the tenants ``user`` follows."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    return list(session.scalars(sa.select(Follow.root_id).where(Follow.user_id == user.id).distinct()))


# --- real-name data ----------------------------------------------------------------------------------

def clean_identity(real_name, id_number, phone):
    """Normalised (name, ID number, phone), or ValidationFailed saying which field is wrong and why."""
    name = " ".join(str(real_name or "").split())
    number = identity.normalise_id(id_number)
    mobile = identity.normalise_phone(phone)
    errors = {}
    for field, problem in (("real_name", identity.name_problem(name)), ("id_number", identity.id_problem(number)),
                           ("phone", identity.phone_problem(mobile))):
        if problem:
            errors[field] = [problem]
    if errors:
        raise ValidationFailed(_("Please correct the marked fields."), errors=errors)
    return name, number, mobile


def _identity_columns(name, number, mobile):
    return {"real_name": name, "phone": mobile, "id_hash": crypto.id_hash(number),
            "id_cipher": crypto.encrypt_id(number), "id_masked": identity.mask_id(number)}


def roster_match(session, tenant_id, id_hash, name, phone):
    """The roster entry of ``tenant_id`` holding this ID number under this name and this mobile number, or
    None. A name and an ID number are known to many (a colleague, a relative, a leaked list); the phone
    the union's office wrote on its roster is the person's own."""
    entry = session.scalar(sa.select(RosterEntry).where(RosterEntry.tenant_id == tenant_id,
                                                        RosterEntry.id_hash == id_hash))
    if entry is None or entry.name != name or not entry.phone or entry.phone != phone:
        return None
    return entry


# --- memberships -------------------------------------------------------------------------------------

def current_of(session, user) -> list[Membership]:
    """The user's active membership and pending request (0, 1 or 2 rows), tenants loaded."""
    return list(session.scalars(sa.select(Membership).options(joinedload(Membership.tenant))
                                .where(Membership.user_id == user.id, Membership.status.in_(CURRENT))
                                .order_by(Membership.status)))


def history(session, user) -> list[Membership]:
    """Every membership and request of ``user``, newest first, with tenants and deciders loaded."""
    return list(session.scalars(
        sa.select(Membership).options(joinedload(Membership.tenant), joinedload(Membership.decided_by))
        .where(Membership.user_id == user.id).order_by(Membership.created_at.desc(), Membership.id.desc())))


def brief(session, user):
    """``{tenant, status}`` for GET /me: the active membership, else the pending request, else the latest."""
    row = session.execute(_brief_stmt(), {"uid": user.id}).first()
    return {"tenant": row.slug, "status": row.status} if row else None


def _load_membership(session, membership_id):
    return session.scalar(sa.select(Membership).options(joinedload(Membership.tenant), joinedload(Membership.user),
                                                        joinedload(Membership.decided_by))
                          .where(Membership.id == membership_id))


def get_membership(session, membership_id) -> Membership:
    m = _load_membership(session, membership_id)
    if m is None:
        raise NotFound(_("No such member."))
    return m


def _own_or_managed(session, user, m):
    return m.user_id == user.id or engine.manages(user, m.tenant)


def _member_file_visible(session, user, row):
    """Reports and exports, to whoever made them (an import's report while they may still import there)."""
    if row.owner_id != user.id or row.kind == "upload" or row.created_at < jobs.file_expiry_cutoff():
        return False
    return row.kind != "report" or engine.can(user, "member.import", row.tenant)


def _load_member_file(session, file_id):
    """A member file for its download: with its tenant and its bytes (the one route that names it sends it)."""
    return session.scalar(sa.select(MemberFile).options(
        joinedload(MemberFile.tenant), joinedload(MemberFile.file).undefer(files.StoredFile.content))
        .where(MemberFile.id == file_id))


MEMBER_FILE = resources.register("member_file", MemberFile, visible=_member_file_visible, arg="file_id",
                                 load=_load_member_file)

# A membership as its union's office sees it (the directory, review); and as its member may act on it too.
MEMBER = resources.register("member", Membership, visible="managers", load=_load_membership, manage="member.view")
MEMBERSHIP = resources.register("membership", Membership, visible=_own_or_managed, load=_load_membership,
                                arg="member_id", manage="member.review")


def _check_joinable(tenant):
    if tenant.status != "active":
        raise Conflict(_("This union is archived and takes no new members."))
    if tenant.kind not in JOINABLE_KINDS:
        raise Conflict(_("A partner organisation has no members: join a union instead."))


def _add_or_conflict(session, row, message):
    """Add ``row`` inside a savepoint of its own (begun before it is pending, since beginning one flushes):
    a unique index refusing it answers 409, and the request's transaction goes on."""
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        raise Conflict(message) from None


def _check_id_free(session, user, id_hash, tenant):
    """409 when this ID number is an active member under another account in ``tenant``'s federation.

    True when it is one in another federation: the answer must not tell (the request is then taken as
    any unverified one, pending, and its reviewers find the other membership when they decide)."""
    other_root = session.scalar(sa.select(Membership.root_id).where(Membership.id_hash == id_hash,
                                                                   Membership.status == "active",
                                                                   Membership.user_id != user.id))
    if other_root is None:
        return False
    if other_root == tenant.root_id:
        raise Conflict(_("This ID number is already a member under another account. Ask your union office."),
                       errors={"id_number": [_("Already a member under another account.")]})
    return True


def join(session, user, tenant, *, real_name, id_number, phone) -> Membership:
    """Apply to ``tenant``: active at once when its roster holds this name, ID number and mobile number, else
    pending (also when the ID number is a member in another federation: the answer tells nothing of it)."""
    name, number, mobile = clean_identity(real_name, id_number, phone)
    _check_joinable(tenant)
    for m in current_of(session, user):
        if m.status == "active":
            raise Conflict(_("You are already a member of %(union)s: ask for a transfer instead.",
                             union=m.tenant.name))
        raise Conflict(_("Your request to %(union)s is still waiting for review.", union=m.tenant.name))
    columns = _identity_columns(name, number, mobile)
    elsewhere = _check_id_free(session, user, columns["id_hash"], tenant)
    entry = None if elsewhere else roster_match(session, tenant.id, columns["id_hash"], name, mobile)
    now = utcnow()
    m = Membership(user_id=user.id, tenant_id=tenant.id, root_id=tenant.root_id, kind="join",
                   status="active" if entry else "pending", decided_at=now if entry else None,
                   verified_at=now if entry else None, **columns)
    m.tenant = tenant
    _add_or_conflict(session, m, _("You already have a membership or a request waiting; reload the page."))
    if entry is not None:
        entry.user_id = user.id
    record(session, action="member.join", actor=user, tenant=tenant, target=f"membership:{m.id}",
           detail={"status": m.status, "roster": bool(entry)})
    return m


def _decide(session, m, status, actor, reason=None):
    """Move ``m`` from pending to ``status``: one conditional UPDATE, so two deciders cannot both win."""
    now = utcnow()
    result = session.execute(
        sa.update(Membership).where(Membership.id == m.id, Membership.status == "pending")
        .values(status=status, decided_at=now, decided_by_id=getattr(actor, "id", None), reason=reason)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise Conflict(_("This request was already decided."))
    session.expire(m, ["status", "decided_at", "decided_by_id", "reason"])


def _close(session, membership_id):
    result = session.execute(
        sa.update(Membership).where(Membership.id == membership_id, Membership.status == "active")
        .values(status="closed", decided_at=utcnow()).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise Conflict(_("The membership being transferred is no longer active."))


# What the member is told of each decision (their inbox, in their language).
DECIDED = {
    ("join", "active"): inbox.kind("membership.approved", _l("Welcome: you are now a member of %(union)s.")),
    ("join", "rejected"): inbox.kind("membership.rejected", _l("%(union)s declined your application.")),
    ("transfer", "active"): inbox.kind("membership.transfer_approved",
                                       _l("Your transfer to %(union)s was approved: you are a member there now.")),
    ("transfer", "rejected"): inbox.kind("membership.transfer_rejected",
                                         _l("%(union)s declined your transfer; your membership stays as it was.")),
}


def _tell(session, m, status, reason=None):
    inbox.notify(session, [m.user_id], DECIDED[(m.kind, status)], params={"union": m.tenant.name},
                 body=reason or "", link=f"/t/{m.tenant.slug}/me", subject=("membership", m.id), root_id=m.root_id)


def approve(session, actor, m) -> Membership:
    """Approve a pending join or transfer; a transfer closes the old membership in the same transaction."""
    if m.status != "pending":
        raise Conflict(_("This request was already decided."))
    try:
        with session.begin_nested():
            if m.from_membership_id:
                _close(session, m.from_membership_id)
            _decide(session, m, "active", actor)
    except IntegrityError:
        raise Conflict(_("This person became a member elsewhere meanwhile.")) from None
    record(session, action="member.approve", actor=actor, tenant=m.tenant, target=f"membership:{m.id}",
           detail={"kind": m.kind})
    _tell(session, m, "active")
    return m


def reject(session, actor, m, reason=None) -> Membership:
    if m.status != "pending":
        raise Conflict(_("This request was already decided."))
    reason = (reason or "").strip() or None
    _decide(session, m, "rejected", actor, reason)
    record(session, action="member.reject", actor=actor, tenant=m.tenant, target=f"membership:{m.id}",
           detail={"kind": m.kind, "reason": reason or ""})
    _tell(session, m, "rejected", reason)
    return m


def withdraw(session, user, m) -> Membership:
    """The applicant takes back a pending join or transfer (it is closed; an active membership stays)."""
    if m.user_id != user.id:
        raise NotFound(_("No such member."))
    if m.status != "pending":
        raise Conflict(_("This request was already decided."))
    _decide(session, m, "closed", user)
    record(session, action="member.withdraw", actor=user, tenant=m.tenant, target=f"membership:{m.id}",
           detail={"kind": m.kind})
    return m


def transfer(session, actor, m, target, *, direct=False) -> Membership:
    """Ask to move ``m`` (active) to ``target``: a pending request there, the old membership kept active.

    ``direct`` (the caller reviews at both ends): the new membership is active at once and the old one
    closed, in this transaction.
    """
    if m.status != "active":
        raise Conflict(_("Only an active membership can be transferred."))
    if target.id == m.tenant_id:
        raise ValidationFailed(errors={"tenant": [_("This is already the member's union.")]})
    if target.status != "active" or target.kind not in JOINABLE_KINDS:
        raise ValidationFailed(errors={"tenant": [_("This union takes no members.")]})
    entry = session.scalar(sa.select(RosterEntry).where(RosterEntry.tenant_id == target.id,
                                                        RosterEntry.id_hash == m.id_hash)) if m.id_hash else None
    verified = entry is not None and entry.name == m.real_name and bool(entry.phone) and entry.phone == m.phone
    now = utcnow()
    new = Membership(user_id=m.user_id, tenant_id=target.id, root_id=target.root_id, kind="transfer",
                     from_membership_id=m.id, status="pending", real_name=m.real_name, phone=m.phone,
                     id_hash=m.id_hash, id_cipher=m.id_cipher, id_masked=m.id_masked,
                     verified_at=now if verified else None)
    new.tenant = target
    _add_or_conflict(session, new, _("A request is already waiting for review: wait for its outcome first."))
    if verified:
        entry.user_id = m.user_id
    record(session, action="member.transfer", actor=actor, tenant=target, target=f"membership:{new.id}",
           detail={"from": m.tenant.slug, "to": target.slug, "direct": direct})
    if direct:
        approve(session, actor, new)
    return new


def issue_reset_link(session, secret_key, officer, m):
    """A one-time link for the member to set a new password, handed over at the office: ``(token, expires_at)``.

    The officer reviews members of the member's union (the guard asked); the link is audited, never shown
    again."""
    token, expires_at = accounts.issue_reset_link(session, secret_key, officer, m.user)
    record(session, action="member.reset_link", actor=officer, tenant=m.tenant, target=f"membership:{m.id}",
           detail={"name": m.real_name or m.user.display_name})
    return token, expires_at


def reveal_id_number(session, actor, m) -> str:
    """The full ID number, for a holder of ``member.view_sensitive``; each view is audited."""
    if m.id_cipher is None:
        raise NotFound(_("No ID number on record."))
    record(session, action="member.view_sensitive", actor=actor, tenant=m.tenant, target=f"membership:{m.id}",
           detail={"name": m.real_name or ""})
    return crypto.decrypt_id(m.id_cipher)


# --- follows -----------------------------------------------------------------------------------------

def follow(session, user, tenant) -> bool:
    """Follow ``tenant``; True when it is new."""
    if tenant.status != "active":
        raise Conflict(_("This union is archived."))
    if session.scalar(sa.select(Follow.id).where(Follow.user_id == user.id, Follow.tenant_id == tenant.id)):
        return False
    session.add(Follow(user_id=user.id, tenant_id=tenant.id, root_id=tenant.root_id))
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        return False  # followed at the same moment in another request: same outcome
    return True


def unfollow(session, user, tenant) -> None:
    session.execute(sa.delete(Follow).where(Follow.user_id == user.id, Follow.tenant_id == tenant.id))


def follows(session, user) -> list[Follow]:
    return list(session.scalars(sa.select(Follow).options(joinedload(Follow.tenant))
                                .where(Follow.user_id == user.id).order_by(Follow.created_at.desc())))


def is_following(session, user, tenant) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(session.scalar(sa.select(Follow.id).where(Follow.user_id == user.id, Follow.tenant_id == tenant.id)))


def tenant_counts(session, tenant) -> dict:
    """Members (active) and followers of ``tenant`` itself, counted apart, in one query."""
    members = sa.select(sa.func.count()).where(Membership.tenant_id == tenant.id, Membership.status == "active")
    followers = sa.select(sa.func.count()).where(Follow.tenant_id == tenant.id)
    row = session.execute(sa.select(members.scalar_subquery(), followers.scalar_subquery())).one()
    return {"members": row[0], "followers": row[1]}


# --- the directory -----------------------------------------------------------------------------------

def pending_count(session, tenant) -> int:
    """Join and transfer requests waiting for ``tenant``'s decision."""
    return session.scalar(sa.select(sa.func.count()).where(Membership.tenant_id == tenant.id,
                                                           Membership.status == "pending"))


def directory_stmt(tenant, *, subtree=False, status=None, union=None, verified=None, q=None):
    """Memberships of ``tenant`` (or its whole subtree: one indexed path range), filtered and ordered."""
    stmt = (sa.select(Membership).join(Tenant, Tenant.id == Membership.tenant_id)
            .options(joinedload(Membership.tenant), joinedload(Membership.user)))
    if union is not None:
        stmt = stmt.where(Membership.tenant_id == union.id)
    elif subtree:
        stmt = stmt.where(subtree_clause(Tenant.path, tenant.path))
    else:
        stmt = stmt.where(Membership.tenant_id == tenant.id)
    if status:
        stmt = stmt.where(Membership.status == status)
    if verified is not None:
        stmt = stmt.where(Membership.verified_at.is_not(None) if verified else Membership.verified_at.is_(None))
    if q:
        q = q.strip()
        digits = q.replace(" ", "")
        condition = Membership.real_name.contains(q, autoescape=True)
        if digits.isdigit():
            condition = sa.or_(condition, Membership.phone.contains(digits, autoescape=True))
        stmt = stmt.where(condition)
    return stmt.order_by(Membership.created_at.desc(), Membership.id.desc())


def child_counts(session, tenant) -> list[dict]:
    """Per child of ``tenant``: active and pending memberships in that child and all below it.

    Two queries whatever the size: the children, and one GROUP BY over the subtree's path range.
    """
    children = list(session.scalars(sa.select(Tenant).where(Tenant.parent_id == tenant.id)
                                    .order_by(Tenant.name, Tenant.id)))
    width = len(tenant.path) + SEGMENT + 1
    child_path = sa.func.substr(Tenant.path, 1, width)
    rows = session.execute(
        sa.select(child_path.label("child"),
                  sa.func.sum(sa.case((Membership.status == "active", 1), else_=0)),
                  sa.func.sum(sa.case((Membership.status == "pending", 1), else_=0)))
        .select_from(Membership).join(Tenant, Tenant.id == Membership.tenant_id)
        .where(subtree_clause(Tenant.path, tenant.path), Tenant.id != tenant.id,
               Membership.status.in_(CURRENT))
        .group_by(child_path))
    by_path = {row[0]: (int(row[1] or 0), int(row[2] or 0)) for row in rows}
    return [{"tenant": child, "active": by_path.get(child.path, (0, 0))[0],
             "pending": by_path.get(child.path, (0, 0))[1]} for child in children]


def own_counts(session, tenant, subtree=False) -> dict:
    stmt = (sa.select(Membership.status, sa.func.count()).join(Tenant, Tenant.id == Membership.tenant_id)
            .group_by(Membership.status))
    stmt = stmt.where(subtree_clause(Tenant.path, tenant.path)) if subtree else stmt.where(
        Membership.tenant_id == tenant.id)
    counts = {status: 0 for status in ("active", "pending", "rejected", "closed")}
    counts.update({status: n for status, n in session.execute(stmt)})
    return counts


def find_unions(session, text, limit=30) -> list[Tenant]:
    """Active unions anywhere on the platform whose name contains ``text`` (the join page's search)."""
    text = (text or "").strip()[:60]
    if not text:
        return []
    return list(session.scalars(
        sa.select(Tenant).where(Tenant.status == "active", Tenant.kind.in_(JOINABLE_KINDS),
                                sa.or_(Tenant.name.contains(text, autoescape=True), Tenant.slug == text.lower()))
        .order_by(Tenant.depth, Tenant.name).limit(limit)))



AUDIT_LABELS.update({
    "member.join": _l("%(actor)s asked to join %(union)s."),
    "member.join:roster": _l("%(actor)s joined %(union)s (found in its roster)."),
    "member.approve": _l("%(actor)s approved %(name)s's membership of %(union)s."),
    "member.approve:transfer": _l("%(actor)s approved %(name)s's transfer from %(from_union)s to %(union)s."),
    "member.reject": _l("%(actor)s declined %(name)s's request to join %(union)s: %(reason)s"),
    "member.reject:transfer": _l("%(actor)s declined %(name)s's transfer from %(from_union)s to %(union)s: "
                                 "%(reason)s"),
    "member.transfer": _l("%(actor)s asked to move %(name)s's membership from %(from_union)s to %(union)s."),
    "member.transfer:direct": _l("%(actor)s moved %(name)s's membership from %(from_union)s to %(union)s."),
    "member.withdraw": _l("%(actor)s withdrew their request to join %(union)s."),
    "member.view_sensitive": _l("%(actor)s viewed the full ID number of %(name)s."),
    "member.roster_import": _l("%(actor)s imported the roster of %(union)s (rows read: %(rows)s, new: %(imported)s, "
                               "updated: %(updated)s)."),
    "member.export": _l("%(actor)s exported the members of %(union)s (rows: %(rows)s)."),
    "member.reset_link": _l("%(actor)s handed %(name)s a one-time link to set a new password."),
})


@audit_params("member.")
def _audit_params(session, entries):
    """Whose membership an entry is about (their real name, else their display name), and for a transfer the
    union it came from: two queries for a page of entries."""
    from union_saas.accounts.models import User

    ids = {int(e.target.split(":", 1)[1]) for e in entries
           if (e.target or "").startswith("membership:") and e.target.split(":", 1)[1].isdigit()}
    rows = {}
    if ids:
        rows = {m.id: (m, name) for m, name in session.execute(
            sa.select(Membership, User.display_name).join(User, User.id == Membership.user_id)
            .where(Membership.id.in_(ids)))}
    from_ids = {m.from_membership_id for m, _name in rows.values() if m.from_membership_id}
    from_unions = {}
    if from_ids:
        from_unions = dict(session.execute(sa.select(Membership.id, Tenant.name)
                                           .join(Tenant, Tenant.id == Membership.tenant_id)
                                           .where(Membership.id.in_(from_ids))).all())
    out = {}
    for entry in entries:
        detail = entry.detail or {}
        m, display = rows.get(int(entry.target.split(":", 1)[1]), (None, None)) \
            if (entry.target or "").startswith("membership:") and entry.target.split(":", 1)[1].isdigit() \
            else (None, None)
        extra = {}
        if m is not None:
            extra["name"] = m.real_name or display
            extra["from_union"] = from_unions.get(m.from_membership_id, "—")
        elif detail.get("name"):
            extra["name"] = detail["name"]
        if entry.action == "member.join" and detail.get("roster"):
            extra["_variant"] = "roster"
        elif entry.action in ("member.approve", "member.reject") and detail.get("kind") == "transfer":
            extra["_variant"] = "transfer"
        elif entry.action == "member.transfer" and detail.get("direct"):
            extra["_variant"] = "direct"
        out[entry.id] = extra
    return out


def count(session, stmt) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery()))


def chunks(session, stmt, size):
    """The memberships of ``stmt`` in id order, ``size`` at a time (keyset: a commit between chunks is safe)."""
    last = 0
    while True:
        rows = list(session.scalars(stmt.order_by(None).where(Membership.id > last)
                                    .order_by(Membership.id).limit(size)))
        if not rows:
            return
        yield rows
        last = rows[-1].id


def roster_stats(session, tenant) -> dict:
    """People on ``tenant``'s own roster, and how many of them have an account linked; one query."""
    row = session.execute(sa.select(sa.func.count(), sa.func.count(RosterEntry.user_id))
                          .where(RosterEntry.tenant_id == tenant.id)).one()
    return {"entries": row[0], "linked": row[1]}


# --- the directory's filters, the export and the roster import ------------------------------------

def directory_filters(args):
    status = args.get("status") if args.get("status") in STATUSES else None
    verified = {"yes": True, "no": False}.get(args.get("verified"))
    return {"subtree": args.get("include") == "subtree", "status": status, "verified": verified,
            "q": args.get("q", "").strip()[:60] or None, "union": args.get("union", "").strip() or None,
            "page": max(1, args.get("page", 1, type=int))}


def export_filters(session, tenant, args):
    """The directory's filters as plain data for the export job."""
    filters = directory_filters(args)
    union_id = None
    if filters["union"]:
        try:
            union = get_by_slug(session, filters["union"])
        except DomainError:
            union = None
        if union is None or not union.is_in_subtree_of(tenant):
            raise ValidationFailed(errors={"union": [_("Not a union of this subtree.")]})
        union_id = union.id
    return {"subtree": filters["subtree"], "status": filters["status"], "verified": filters["verified"],
            "q": filters["q"], "union": union_id}


def keep_file(session, *, kind, tenant_id, owner_id, job_id, filename, content, content_type=xlsx.MIMETYPE):
    """A roster upload, a report or an export, in the file store encrypted with the PII key; flushes."""
    stored = files.save(session, content, filename=filename, content_type=content_type, cipher=crypto.FILES)
    row = MemberFile(kind=kind, tenant_id=tenant_id, owner_id=owner_id, job_id=job_id, file=stored)
    session.add(row)
    session.flush()
    return row


def drop_file(session, member_file_id):
    """Delete a member file and its stored bytes (a roster upload, once its import is over)."""
    file_id = session.scalar(sa.select(MemberFile.file_id).where(MemberFile.id == member_file_id))
    files.delete(session, file_id)  # the member_file row goes with it (ON DELETE CASCADE)


def submit_roster(session, user, tenant, storage, locale):
    """Check the upload now (size, type, zip bomb, header), keep it encrypted, and start the import job."""
    from union_saas.members import roster as rosters
    from union_saas.members.tasks import (
        import_roster,  # the job runs this module's rules: it imports us
    )

    if storage is None or not storage.filename:
        raise ValidationFailed(errors={"file": [_("Choose an .xlsx or .csv file.")]})
    upload = files.check(storage, rosters.KINDS, max_bytes=rosters.MAX_UPLOAD,
                         refused=_("Upload an .xlsx or .csv file."))
    rosters.inspect(upload.data, upload.kind.name)
    upload = keep_file(session, kind="upload", tenant_id=tenant.id, owner_id=user.id, job_id=None,
                       filename=f"roster.{upload.kind.name}", content=upload.data,
                       content_type=upload.kind.content_type)
    record = jobs.submit(session, import_roster, tenant.id, upload.id, locale, owner=user, tenant=tenant)
    upload.job_id = record.id
    return record


