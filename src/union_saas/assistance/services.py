"""Help requests: file, answer, assign, change status, escalate (by hand or by the clock), rate, reopen.

Who is who for a case (``Rights``):

- its requester sees their own case with its public messages only;
- a handler holds ``assistance.handle`` at the union it was filed at or above: every union it has been at, and
  every union above them. They read it and answer it (the unions it climbed from keep doing so);
- an acting handler holds it at the union handling it now or above: they assign, change the status, escalate;
- a close handler holds it through a grant at a union the case is or has been at: only they read a hardship
  case's description (a handler higher up once the case reaches them), and see its requester's name
  (anyone else sees it masked).

Functions flush and raise ``core.errors``; they never commit. Free text (descriptions, messages, reasons) is
never written to the audit log.
"""
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from union_saas.access import engine, resources
from union_saas.access.models import Grant
from union_saas.accounts.models import User
from union_saas.assistance.models import (
    ACTIVE,
    CATEGORIES,
    DEFAULT_CLOCKS,
    NOTIFICATION_KINDS,
    REOPEN_DAYS,
    STATUS_LABELS,
    HelpAttachment,
    HelpCase,
    HelpEvent,
    HelpMessage,
    HelpSetting,
)
from union_saas.core import audit, files, inbox
from union_saas.core.db import utcnow
from union_saas.core.errors import Conflict, Forbidden, ValidationFailed
from union_saas.members.services import home_of
from union_saas.tenancy.models import Tenant, ancestor_paths, path_ids, subtree_clause

HANDLE = "assistance.handle"
MAX_UPLOAD = 10 * 1024 * 1024
KINDS = (files.PDF, files.PNG, files.JPEG, files.DOCX, files.TXT)

for _key, _title in NOTIFICATION_KINDS.items():
    inbox.kind(f"assistance.{_key}", _title)

audit.AUDIT_LABELS.update({
    "assistance.settings": _l("%(actor)s changed the help requests' clocks at %(union)s."),
    "assistance.assign": _l("%(actor)s assigned a help request at %(union)s."),
    "assistance.status": _l("%(actor)s changed the status of a help request at %(union)s."),
    "assistance.escalate": _l("%(actor)s escalated a help request from %(union)s."),
})


# --- who is who --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Rights:
    requester: bool = False
    handler: bool = False  # reads and answers
    acting: bool = False  # assigns, changes the status, escalates
    close: bool = False  # a grant at a union the case is or has been at

    @property
    def sees_private(self):
        """Sees the requester's name (and a hardship case's description)."""
        return self.requester or self.close


def rights(user, case) -> Rights:
    if user is None or not getattr(user, "is_authenticated", False):
        return Rights()
    subject = engine.subject(user)
    handler = subject.can(HANDLE, case.home_path)
    acting = handler and subject.can(HANDLE, case.tenant_path)
    close = handler and any(subject.holds_at(HANDLE, p) for p in ancestor_paths(case.home_path)
                            if len(p) >= len(case.tenant_path))
    return Rights(requester=case.requester_id == user.id, handler=handler, acting=acting, close=close)


def shows_description(case, who: Rights) -> bool:
    return case.category != "hardship" or who.sees_private


def shows_name(case, who: Rights) -> bool:
    return case.category != "hardship" or who.sees_private


def mask(name: str) -> str:
    name = (name or "").strip()
    return (name[0] + "*" * max(2, len(name) - 1)) if name else "***"


def is_root_path(path):
    return len(path_ids(path)) == 1


# --- clocks --------------------------------------------------------------------------------------------

def clocks(session, root_id, category):
    """(first response hours, resolution days) the federation set for ``category``, or the defaults."""
    row = session.scalar(sa.select(HelpSetting).where(HelpSetting.root_id == root_id,
                                                      HelpSetting.category == category))
    return (row.first_response_hours, row.resolution_days) if row else DEFAULT_CLOCKS[category]


def settings(session, root) -> dict:
    rows = {r.category: r for r in session.scalars(sa.select(HelpSetting).where(HelpSetting.root_id == root.id))}
    out = {}
    for category in CATEGORIES:
        hours, days = (rows[category].first_response_hours, rows[category].resolution_days) if category in rows \
            else DEFAULT_CLOCKS[category]
        out[category] = {"first_response_hours": hours, "resolution_days": days}
    return out


def put_settings(session, actor, root, categories: dict) -> dict:
    if not root.is_root:
        raise resources.miss()
    existing = {r.category: r for r in session.scalars(sa.select(HelpSetting).where(HelpSetting.root_id == root.id))}
    for category, values in categories.items():
        row = existing.get(category)
        if row is None:
            row = HelpSetting(root_id=root.id, category=category)
            session.add(row)
        row.first_response_hours = float(values["first_response_hours"])
        row.resolution_days = float(values["resolution_days"])
    audit.record(session, action="assistance.settings", actor=actor, tenant=root, target=root.slug,
                 detail={"categories": sorted(categories)})
    session.flush()
    return settings(session, root)


def recompute(case):
    """``climb_at`` and ``due_at`` from the case's deadlines and state (after every event)."""
    if case.status in ACTIVE:
        waiting = case.first_response_due if case.first_response_at is None else None
        case.climb_at = waiting if waiting is not None and not is_root_path(case.tenant_path) else None
        case.due_at = min(d for d in (waiting, case.resolution_due) if d is not None)
    else:
        case.climb_at = None
        case.due_at = None


def _event(session, case, kind, actor=None, **values):
    session.add(HelpEvent(case_id=case.id, kind=kind, actor_id=getattr(actor, "id", actor), **values))


# --- who is told -------------------------------------------------------------------------------------------

def handler_roles():
    return sorted(r.name for r in engine.policy().roles.values() if HANDLE in r.permissions)


def handlers_at_stmt(tenant_id):
    """The people whose own grant at ``tenant_id`` lets them handle help requests (that union's office)."""
    now = utcnow()
    return (sa.select(Grant.user_id).where(
        Grant.tenant_id == tenant_id, Grant.role.in_(handler_roles()), Grant.revoked_at.is_(None),
        sa.or_(Grant.expires_at.is_(None), Grant.expires_at > now)).distinct())


def link_for_handlers(session, case):
    return f"/manage/{session.get(Tenant, case.tenant_id).slug}/help-requests/{case.id}"


def link_for_requester(case):
    return f"/me/help-requests/{case.id}"


def _tell_handlers(session, case, kind, tenant_id=None):
    """The assignee if there is one, else the office of the union handling it (``tenant_id``)."""
    params = {"title": case.title}
    if case.assignee_id and tenant_id is None:
        return inbox.notify(session, [case.assignee_id], kind, params=params, link=link_for_handlers(session, case),
                            subject=("help_case", case.id), root_id=case.root_id)
    return inbox.notify_select(session, handlers_at_stmt(tenant_id or case.tenant_id), kind, params=params,
                               link=link_for_handlers(session, case), subject=("help_case", case.id), root_id=case.root_id)


def _tell_requester(session, case, kind, body="", **params):
    return inbox.notify(session, [case.requester_id], kind, params={"title": case.title, **params}, body=body,
                        link=link_for_requester(case), subject=("help_case", case.id), root_id=case.root_id)


# --- file -----------------------------------------------------------------------------------------------

def file_case(session, user, data) -> HelpCase:
    """A case at the requester's home union, with its clocks; its office is told."""
    home = home_of(session, user)
    if home is None:
        raise Forbidden(_("Only members can ask their union for help: join a union first."))
    hours, days = clocks(session, home.root_id, data["category"])
    now = utcnow()
    case = HelpCase(tenant_id=home.id, root_id=home.root_id, tenant_path=home.path, home_id=home.id,
                    home_path=home.path, requester_id=user.id, category=data["category"], title=data["title"],
                    description=data["description"], urgency=data.get("urgency") or "normal", status="open",
                    created_at=now, first_response_due=now + timedelta(hours=hours),
                    resolution_due=now + timedelta(days=days))
    recompute(case)
    session.add(case)
    session.flush()
    case.tenant = home
    _event(session, case, "filed", user, to_tenant_id=home.id)
    _tell_handlers(session, case, "assistance.filed", tenant_id=home.id)
    session.flush()
    return case


# --- read -----------------------------------------------------------------------------------------------

def load_case(session, case_id):
    return session.scalar(sa.select(HelpCase).options(joinedload(HelpCase.tenant), joinedload(HelpCase.home),
                                                      joinedload(HelpCase.requester), joinedload(HelpCase.assignee))
                          .where(HelpCase.id == case_id))


def messages_of(session, case, *, internal):
    stmt = (sa.select(HelpMessage).options(joinedload(HelpMessage.author)).where(HelpMessage.case_id == case.id)
            .order_by(HelpMessage.created_at, HelpMessage.id))
    if not internal:
        stmt = stmt.where(HelpMessage.internal.is_(False))
    return session.scalars(stmt.limit(1000)).all()


def events_of(session, case_ids):
    rows = session.scalars(sa.select(HelpEvent).options(
        joinedload(HelpEvent.actor), joinedload(HelpEvent.from_tenant), joinedload(HelpEvent.to_tenant))
        .where(HelpEvent.case_id.in_(case_ids)).order_by(HelpEvent.at, HelpEvent.id)).all() if case_ids else []
    out = {cid: [] for cid in case_ids}
    for row in rows:
        out[row.case_id].append(row)
    return out


def attachments_of(session, case):
    return session.scalars(sa.select(HelpAttachment).where(HelpAttachment.case_id == case.id)
                           .order_by(HelpAttachment.id)).all()


def _with_people():
    return (joinedload(HelpCase.tenant), joinedload(HelpCase.home), joinedload(HelpCase.requester),
            joinedload(HelpCase.assignee))


def my_cases_stmt(user):
    return (sa.select(HelpCase).options(*_with_people()).where(HelpCase.requester_id == user.id)
            .order_by(HelpCase.created_at.desc(), HelpCase.id.desc()))


def queue_stmt(user, tenant, *, status=None, breached=False, escalated=False, here=False, category=None, now=None):
    """The cases filed in ``tenant``'s subtree, urgent and overdue first; ``breached``: one range of ``due_at``."""
    now = now or utcnow()
    stmt = sa.select(HelpCase).options(*_with_people()).where(subtree_clause(HelpCase.home_path, tenant.path))
    stmt = engine.filter(stmt, user, HANDLE, HelpCase.home_path)
    if status == "active":
        stmt = stmt.where(HelpCase.status.in_(ACTIVE))
    elif status:
        stmt = stmt.where(HelpCase.status == status)
    if breached:
        stmt = stmt.where(HelpCase.due_at <= now)
    if escalated:
        stmt = stmt.where(HelpCase.escalation_count > 0)
    if here:
        stmt = stmt.where(HelpCase.tenant_id == tenant.id)
    if category:
        stmt = stmt.where(HelpCase.category == category)
    overdue = sa.case((HelpCase.due_at <= now, 0), else_=1)
    return stmt.order_by(HelpCase.due_at.is_(None), overdue, sa.case((HelpCase.urgency == "urgent", 0), else_=1),
                         HelpCase.due_at, HelpCase.id.desc())


def counts(session, tenant, now=None) -> dict:
    """Active cases of the subtree that are overdue, and that have climbed (one query)."""
    now = now or utcnow()
    row = session.execute(sa.select(
        sa.func.count().filter(HelpCase.due_at <= now),
        sa.func.count().filter(HelpCase.escalation_count > 0),
        sa.func.count().filter(sa.and_(HelpCase.tenant_id == tenant.id, HelpCase.escalation_count > 0)))
        .where(subtree_clause(HelpCase.home_path, tenant.path), HelpCase.status.in_(ACTIVE))).one()
    return {"overdue": row[0] or 0, "escalated": row[1] or 0, "escalated_here": row[2] or 0}


def badge(session, tenant, now=None) -> int:
    """Work waiting for ``tenant``'s handlers: overdue cases of its subtree, and cases that climbed to it."""
    now = now or utcnow()
    return session.scalar(sa.select(sa.func.count()).where(
        subtree_clause(HelpCase.home_path, tenant.path), HelpCase.status.in_(ACTIVE),
        sa.or_(HelpCase.due_at <= now, sa.and_(HelpCase.tenant_id == tenant.id, HelpCase.escalation_count > 0))))


def open_count(session, user) -> int:
    return session.scalar(sa.select(sa.func.count()).where(HelpCase.requester_id == user.id,
                                                           HelpCase.status.in_(ACTIVE)))


# --- messages ---------------------------------------------------------------------------------------------

def add_message(session, user, case, body, internal=False) -> HelpMessage:
    who = rights(user, case)
    as_requester = who.requester
    if as_requester and internal:
        raise Forbidden(_("Internal notes are for the union's handlers only."))
    if not as_requester and not who.handler:
        raise resources.miss()
    if case.status == "closed":
        raise Conflict(_("This help request is closed."))
    if as_requester and case.status == "resolved":
        raise Conflict(_("This help request is resolved: reopen it to write again."))
    now = utcnow()
    message = HelpMessage(case_id=case.id, author_id=user.id, body=body, internal=bool(internal),
                          by_handler=not as_requester, created_at=now)
    session.add(message)
    if as_requester:
        if case.status == "waiting_member":
            case.status = "in_progress"
            _event(session, case, "status", user, value="in_progress")
            recompute(case)
        _tell_handlers(session, case, "assistance.replied")
    elif not internal:
        # the first response of the level handling it now (the unions below may answer; the clock runs on)
        if case.first_response_at is None and case.status in ACTIVE and who.acting:
            case.first_response_at = now
            _event(session, case, "responded", user, to_tenant_id=case.tenant_id)
            if case.status == "open":  # answered: in progress from now on
                case.status = "in_progress"
                _event(session, case, "status", user, value="in_progress")
                audit.record(session, action="assistance.status", actor=user,
                             tenant=session.get(Tenant, case.tenant_id), target=f"help_case:{case.id}",
                             detail={"from": "open", "to": "in_progress"})
            recompute(case)
        _tell_requester(session, case, "assistance.answered", body=body)
    session.flush()
    return message


def save_attachment(session, user, case, storage) -> HelpAttachment:
    who = rights(user, case)
    if not (who.requester or who.handler):
        raise resources.miss()
    if not shows_description(case, who):
        raise Forbidden(_("Hardship details are shown only to the handlers of the unions this request is or has "
                          "been at."))
    if case.status == "closed":
        raise Conflict(_("This help request is closed."))
    upload = files.check(storage, KINDS, max_bytes=MAX_UPLOAD, field="file")
    from union_saas.members import crypto

    stored = files.save_upload(session, upload, cipher=crypto.FILES)
    row = HelpAttachment(case_id=case.id, file_id=stored.id, uploaded_by_id=user.id)
    row.file = stored
    session.add(row)
    session.flush()
    return row


# --- handle -------------------------------------------------------------------------------------------------

def _require_acting(user, case):
    if not rights(user, case).acting:
        raise Forbidden(_("Only the handlers of the union handling this request now may do this."))


def assign(session, actor, case, username) -> HelpCase:
    _require_acting(actor, case)
    user = session.scalar(sa.select(User).where(User.username == (username or "").strip()))
    if user is None or not engine.load_subject(session, user).can(HANDLE, case.tenant_path):
        message = _("Not a handler of the union handling this request.")
        raise ValidationFailed(message, errors={"username": [message]})
    if case.status not in ACTIVE:
        raise Conflict(_("This help request is no longer open."))
    case.assignee_id = user.id
    case.assignee = user
    _event(session, case, "assigned", actor, value=user.username[:40])
    audit.record(session, action="assistance.assign", actor=actor, tenant=session.get(Tenant, case.tenant_id), target=f"help_case:{case.id}",
                 detail={"assignee": user.username})
    if user.id != actor.id:
        inbox.notify(session, [user.id], "assistance.assigned", params={"title": case.title},
                     link=link_for_handlers(session, case), subject=("help_case", case.id), root_id=case.root_id)
    session.flush()
    return case


def set_status(session, actor, case, status) -> HelpCase:
    _require_acting(actor, case)
    if status == case.status:
        raise Conflict(_("The request already has this status."))
    if case.status == "closed":
        raise Conflict(_("This help request is closed."))
    now = utcnow()
    old = case.status
    changed = session.execute(sa.update(HelpCase).where(HelpCase.id == case.id, HelpCase.status == old)
                              .values(status=status).execution_options(synchronize_session=False)).rowcount
    if not changed:
        raise Conflict(_("Someone changed this request meanwhile: reload it."))
    case.status = status
    if status == "resolved":
        case.resolved_at = now
    elif status in ACTIVE and old == "resolved":
        case.resolved_at = None
    recompute(case)
    _event(session, case, "status", actor, value=status)
    audit.record(session, action="assistance.status", actor=actor, tenant=session.get(Tenant, case.tenant_id), target=f"help_case:{case.id}",
                 detail={"from": old, "to": status})
    _tell_requester(session, case, "assistance.status", status=str(STATUS_LABELS[status]))
    session.flush()
    return case


def climb(session, case_id, from_tenant, *, actor=None, reason=None, automatic=False, now=None) -> bool:
    """Move the case one level up, if it is still where it was (and, for the clock, still unanswered and
    due): the conditional UPDATE decides, so a second run, or a racing one, climbs nothing."""
    now = now or utcnow()
    if from_tenant.parent_id is None:
        raise Conflict(_("This union is the federation's root: there is no level above it."))
    parent = session.get(Tenant, from_tenant.parent_id)
    row = session.execute(sa.select(HelpCase.category, HelpCase.resolution_due, HelpCase.root_id)
                          .where(HelpCase.id == case_id)).one()
    hours, _days = clocks(session, row.root_id, row.category)
    due = now + timedelta(hours=hours)
    climb_at = None if parent.parent_id is None else due
    where = [HelpCase.id == case_id, HelpCase.tenant_id == from_tenant.id, HelpCase.status.in_(ACTIVE)]
    if automatic:
        where += [HelpCase.first_response_at.is_(None), HelpCase.climb_at <= now]
    changed = session.execute(sa.update(HelpCase).where(*where).values(
        tenant_id=parent.id, tenant_path=parent.path, first_response_due=due, first_response_at=None,
        climb_at=climb_at, due_at=min(due, row.resolution_due), assignee_id=None,
        escalation_count=HelpCase.escalation_count + 1, updated_at=now)
        .execution_options(synchronize_session=False)).rowcount
    if not changed:
        return False
    session.add(HelpEvent(case_id=case_id, kind="escalated", at=now, actor_id=getattr(actor, "id", None),
                          from_tenant_id=from_tenant.id, to_tenant_id=parent.id, automatic=automatic,
                          reason=reason))
    title = session.scalar(sa.select(HelpCase.title).where(HelpCase.id == case_id))
    requester_id = session.scalar(sa.select(HelpCase.requester_id).where(HelpCase.id == case_id))
    link = f"/manage/{parent.slug}/help-requests/{case_id}"
    inbox.notify_select(session, handlers_at_stmt(parent.id), "assistance.escalated", params={"title": title},
                        link=link, subject=("help_case", case_id), root_id=row.root_id)
    inbox.notify(session, [requester_id], "assistance.moved", params={"title": title, "union": parent.name},
                 link=f"/me/help-requests/{case_id}", subject=("help_case", case_id), root_id=row.root_id)
    audit.record(session, action="assistance.escalate", actor=actor, tenant=from_tenant,
                 target=f"help_case:{case_id}", detail={"to": parent.slug, "automatic": automatic})
    session.flush()
    return True


def escalate(session, actor, case, reason) -> HelpCase:
    _require_acting(actor, case)
    if case.status not in ACTIVE:
        raise Conflict(_("This help request is no longer open."))
    tenant = session.get(Tenant, case.tenant_id)
    if tenant.parent_id is None:
        raise Conflict(_("This union is the federation's root: there is no level above it."))
    if not climb(session, case.id, tenant, actor=actor, reason=reason):
        raise Conflict(_("Someone changed this request meanwhile: reload it."))
    session.expire(case)
    return load_case(session, case.id)


def climb_overdue(session, now=None, limit=500) -> int:
    """Climb every case whose first response is overdue one level (the scheduler's job); idempotent."""
    now = now or utcnow()
    rows = session.execute(sa.select(HelpCase.id, HelpCase.tenant_id).where(HelpCase.climb_at <= now)
                           .order_by(HelpCase.climb_at).limit(limit)).all()
    tenants = {t.id: t for t in session.scalars(sa.select(Tenant).where(
        Tenant.id.in_({r.tenant_id for r in rows})))} if rows else {}
    climbed = 0
    for case_id, tenant_id in rows:
        tenant = tenants[tenant_id]
        if tenant.parent_id is not None and climb(session, case_id, tenant, automatic=True, now=now):
            climbed += 1
    return climbed


# --- the requester, once resolved -------------------------------------------------------------------------

def _within_window(case, now):
    if case.status != "resolved" or case.resolved_at is None:
        raise Conflict(_("Only a resolved request can be rated or reopened."))
    if now > case.resolved_at + timedelta(days=REOPEN_DAYS):
        raise Conflict(_("More than %(days)d days have passed since it was resolved.", days=REOPEN_DAYS))


def rate(session, user, case, score, comment=None) -> HelpCase:
    if case.requester_id != user.id:
        raise resources.miss()
    now = utcnow()
    _within_window(case, now)
    if case.rating is not None:
        raise Conflict(_("You have rated this request already."))
    changed = session.execute(sa.update(HelpCase).where(HelpCase.id == case.id, HelpCase.rating.is_(None))
                              .values(rating=score, rating_comment=comment or None, rated_at=now)
                              .execution_options(synchronize_session=False)).rowcount
    if not changed:
        raise Conflict(_("You have rated this request already."))
    case.rating, case.rating_comment, case.rated_at = score, comment or None, now
    _event(session, case, "rated", user, value=str(score))
    session.flush()
    return case


def reopen(session, user, case, reason) -> HelpCase:
    if case.requester_id != user.id:
        raise resources.miss()
    now = utcnow()
    _within_window(case, now)
    changed = session.execute(sa.update(HelpCase).where(HelpCase.id == case.id, HelpCase.status == "resolved")
                              .values(status="open").execution_options(synchronize_session=False)).rowcount
    if not changed:
        raise Conflict(_("Only a resolved request can be rated or reopened."))
    hours, days = clocks(session, case.root_id, case.category)
    case.status = "open"
    case.resolved_at = None
    case.first_response_at = None
    case.first_response_due = now + timedelta(hours=hours)
    case.resolution_due = now + timedelta(days=days)
    case.reopened_count += 1
    recompute(case)
    _event(session, case, "reopened", user, reason=reason)
    session.add(HelpMessage(case_id=case.id, author_id=user.id, body=reason, created_at=now))
    _tell_handlers(session, case, "assistance.reopened")
    session.flush()
    return case


# --- resources ------------------------------------------------------------------------------------------------

def _visible(session, user, case):
    who = rights(user, case)
    return who.requester or who.handler


def _allows(session, user, case, permission):
    return engine.subject(user).can(permission, case.home_path)


def _attachment_load(session, attachment_id):
    return session.scalar(sa.select(HelpAttachment).options(
        joinedload(HelpAttachment.case).joinedload(HelpCase.tenant),
        joinedload(HelpAttachment.file).undefer(files.StoredFile.content)).where(HelpAttachment.id == attachment_id))


def _attachment_visible(session, user, attachment):
    case = attachment.case
    who = rights(user, case)
    return who.requester or (who.handler and shows_description(case, who))


HELP_REQUEST = resources.register("help_request", HelpCase, load=load_case, manage=HANDLE, visible=_visible,
                                  allows=_allows, inside=lambda session, case, tenant: case.home_path.startswith(
                                      tenant.path))
MY_HELP_REQUEST = resources.register(
    "my_help_request", HelpCase, load=load_case, arg="help_request_id",
    visible=lambda session, user, case: case.requester_id == user.id)
HELP_ATTACHMENT = resources.register("help_attachment", HelpAttachment, load=_attachment_load, arg="attachment_id",
                                     owner=lambda a: a.case.tenant, visible=_attachment_visible)
