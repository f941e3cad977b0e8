"""Rules of interest groups and the yearly awards. Plain functions taking a session: they flush, raise domain
errors, never commit.

For the other domains (posts in a group's space...): ``get_group(session, user, group_id)`` loads a group the
user may see (404 otherwise), ``is_member(session, user, group)`` and ``is_organiser(session, user, group)``
answer for one group, ``member_groups_select(user)`` is the SELECT of the ids of the groups a user belongs to.
A group's space for posts is plugged into the community domain here (``space``).

Who starts what (API.md): someone holding ``group.manage`` at a union starts an ``institutional`` group there,
active at once; a verified member (active membership at the union or below it) proposes an ``individual``
group, pending until the union's ``group.manage`` holders decide. A federation-wide scope is a reach request
to the federation's root, as for activities (approved at once from someone holding group.manage at the root).
"""
import hashlib
import secrets
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload, selectinload

from union_saas.access import engine, resources
from union_saas.access.policy import perm
from union_saas.accounts.models import User
from union_saas.activities import services as activities
from union_saas.activities.models import Activity, SignUp
from union_saas.community import services as community
from union_saas.core import files, inbox
from union_saas.core.audit import AUDIT_LABELS, record
from union_saas.core.db import utcnow
from union_saas.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from union_saas.core.i18n import zone_of
from union_saas.groups.models import (
    INACTIVE_DAYS,
    AwardCategory,
    AwardJuror,
    AwardRound,
    Group,
    GroupInvite,
    GroupMember,
    Nomination,
    Score,
)
from union_saas.members import audience
from union_saas.members.audience import Viewer, viewer
from union_saas.tenancy.models import Tenant, path_ids, subtree_clause

MANAGE = perm("group.manage")
AUDIT_LABELS.update({
    "group.create": _l("%(actor)s started the interest group %(name)s at %(union)s."),
    "group.approve": _l("%(actor)s approved the interest group %(name)s at %(union)s."),
    "group.reject": _l("%(actor)s turned down the interest group %(name)s at %(union)s."),
    "group.archive": _l("%(actor)s archived the interest group %(name)s at %(union)s."),
    "group.reach.approve": _l("%(actor)s opened the interest group %(name)s to the whole federation."),
    "group.reach.reject": _l("%(actor)s kept the interest group %(name)s from the whole federation."),
    "award.round.create": _l("%(actor)s opened an award round at %(union)s."),
    "award.round.publish": _l("%(actor)s published the award results at %(union)s."),
})


# --- the inbox -------------------------------------------------------------------------------------

TOLD = {
    "approved": inbox.kind("group.approved", _l("Your group %(name)s is approved.")),
    "rejected": inbox.kind("group.rejected", _l("Your group %(name)s was not approved.")),
    "archived": inbox.kind("group.archived", _l("%(name)s has been archived.")),
    "joined": inbox.kind("group.join_approved", _l("You are now a member of %(name)s.")),
    "asked": inbox.kind("group.join_asked", _l("Someone asks to join %(name)s.")),
    "invited": inbox.kind("group.invited", _l("You are invited to join %(name)s.")),
    "removed": inbox.kind("group.removed", _l("You were removed from %(name)s.")),
    "organiser": inbox.kind("group.organiser", _l("You are now an organiser of %(name)s.")),
    "reach_approved": inbox.kind("group.reach_approved", _l("%(name)s now reaches the whole federation.")),
    "reach_rejected": inbox.kind("group.reach_rejected", _l("%(name)s was not approved for the whole federation.")),
    "awarded": inbox.kind("award.awarded", _l("%(name)s is among the winners of %(round)s.")),
}


def tell(session, user_ids, group, key, body=""):
    return inbox.notify(session, [u for u in user_ids if u], TOLD[key], body=body or "",
                        params={"name": group.name}, link=f"/groups/{group.id}", subject=("group", group.id),
                        root_id=group.root_id)


def organiser_ids(session, group) -> list[int]:
    return list(session.scalars(sa.select(GroupMember.user_id).where(
        GroupMember.group_id == group.id, GroupMember.role == "organiser", GroupMember.status == "active")))


# --- who belongs, who organises (the API other domains use) -----------------------------------------

def member_groups_select(user):
    """SELECT of the ids of the groups ``user`` is an active member of."""
    return sa.select(GroupMember.group_id).where(GroupMember.user_id == user.id, GroupMember.status == "active")


def membership_of(session, user, group_id) -> GroupMember | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return session.scalar(sa.select(GroupMember).where(GroupMember.group_id == group_id,
                                                       GroupMember.user_id == user.id))


def _member_id(session, user, group_id):
    return membership_of(session, user, getattr(group_id, "id", group_id))


def is_member(session, user, group) -> bool:
    """An active member (organisers included) of ``group`` (a Group or its id)."""
    row = _member_id(session, user, group)
    return row is not None and row.status == "active"


def is_organiser(session, user, group) -> bool:
    """Its founder or an organiser it named (an active organiser row), or whoever holds group.manage at its union."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if not isinstance(group, Group):
        group = session.scalar(sa.select(Group).options(joinedload(Group.tenant)).where(Group.id == group))
        if group is None:
            return False
    if engine.can(user, MANAGE, group.tenant):
        return True
    row = _member_id(session, user, group)
    return row is not None and row.status == "active" and row.role == "organiser"


activities.GROUPS.member_groups = member_groups_select
activities.GROUPS.is_member = is_member
activities.GROUPS.organises = is_organiser


# --- who sees a group -------------------------------------------------------------------------------

def _visible(session, user, group):
    """Its audience when active or archived, its managers always; a pending or rejected one its founder; a
    person with a row in it (invited, asking, member) too."""
    v = viewer(session, user)
    if audience.may_see(v, group, MANAGE):
        return True
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if group.founder_id == user.id:
        return True
    return group.status in Group.SHOWN and membership_of(session, user, group.id) is not None


def _load_group(session, group_id):
    return session.scalar(sa.select(Group).options(joinedload(Group.tenant), joinedload(Group.founder))
                          .where(Group.id == group_id))


GROUP = resources.register("group", Group, visible=_visible, manage=MANAGE, scoped=True, load=_load_group)


def get_group(session, user, group_id) -> Group:
    """The group, if ``user`` may see it; 404 otherwise."""
    return resources.fetch(session, user, "group", group_id)


# --- a group's space for posts (the community domain asks here) --------------------------------------

def space(session, group_id):
    """The group's space: hosted by its union; its active members write while it is active; whoever sees
    the group reads it. None for no such group."""
    group = _load_group(session, group_id)
    if group is None:
        return None
    return community.Space(
        tenant=group.tenant, group_id=group.id, group=group,
        member=lambda s, user: group.status == "active" and is_member(s, user, group),
        sees=lambda s, user: _visible(s, user, group))


community.register_group_spaces(space, member_groups=member_groups_select)


def visible_clause(v: Viewer):
    """Active groups ``v`` may see (its scope reaches them, they manage it, or they belong to it)."""
    arms = [audience.visible_clause(Group, v, MANAGE)]
    if v.user is not None:
        arms.append(sa.and_(Group.status == "active", Group.id.in_(member_groups_select(v.user))))
    return sa.or_(*arms)


def list_stmt(v: Viewer, *, tenant=None, joined=False, category=None, where="everywhere"):
    stmt = (sa.select(Group).options(selectinload(Group.tenant), selectinload(Group.founder))
            .where(Group.status == "active", visible_clause(v)))
    if tenant is not None:
        stmt = stmt.where(Group.tenant_id == tenant.id)
    if joined:
        stmt = stmt.where(Group.id.in_(member_groups_select(v.user)) if v.user is not None else sa.false())
    if category:
        stmt = stmt.where(Group.category == category)
    if where == "near":  # my union and the unions above it
        stmt = stmt.where(Group.tenant_id.in_(v.ancestors_and_home or [-1]))
    elif where == "mine":
        stmt = stmt.where(Group.tenant_id == (v.home.id if v.home else -1))
    return stmt.order_by(Group.members_count.desc(), Group.id)


def organisers_of(session, group_ids) -> dict:
    """group id -> [username] of its organisers, for a page of groups: one query."""
    out = {gid: [] for gid in group_ids}
    if not group_ids:
        return out
    rows = session.execute(sa.select(GroupMember.group_id, User.username).join(User, User.id == GroupMember.user_id)
                           .where(GroupMember.group_id.in_(group_ids), GroupMember.role == "organiser",
                                  GroupMember.status == "active").order_by(GroupMember.id))
    for gid, username in rows:
        out[gid].append(username)
    return out


def my_rows(session, user, group_ids) -> dict:
    """group id -> the caller's row (membership, request, invitation), for a page of groups: one query."""
    if not group_ids or not getattr(user, "is_authenticated", False):
        return {}
    return {r.group_id: r for r in session.scalars(sa.select(GroupMember).where(
        GroupMember.user_id == user.id, GroupMember.group_id.in_(group_ids)))}


# --- start, review ----------------------------------------------------------------------------------

def name_key(name):
    return " ".join((name or "").split()).casefold()


def _reach(session, actor, tenant, scope):
    if scope != "platform":
        return None
    root = tenant if tenant.is_root else session.get(Tenant, tenant.root_id)
    return "approved" if engine.can(actor, MANAGE, root) else "pending"


def _check_name(session, tenant, name, exclude=None):
    stmt = sa.select(Group.id).where(Group.tenant_id == tenant.id, Group.name_key == name_key(name),
                                     Group.status != "rejected")
    if exclude is not None:
        stmt = stmt.where(Group.id != exclude)
    if session.scalar(stmt) is not None:
        raise Conflict(_("A group of that name exists at this union already."))


def may_start(session, actor, tenant) -> str | None:
    """The kind of group ``actor`` may start at ``tenant``: institutional (group.manage), individual (a verified
    member there or below), or None."""
    if tenant.status != "active":
        return None
    if engine.can(actor, MANAGE, tenant):
        return "institutional"
    v = viewer(session, actor)
    if v.home is not None and tenant.id in path_ids(v.home.path):
        return "individual"
    return None


def create_group(session, actor, tenant, data) -> Group:
    kind = may_start(session, actor, tenant)
    if kind is None:
        raise Forbidden(_("Only the union's organisers and its verified members start groups here."))
    name = " ".join(data["name"].split())
    _check_name(session, tenant, name)
    scope = data.get("scope", "tenant")
    group = Group(tenant_id=tenant.id, root_id=tenant.root_id, name=name, name_key=name_key(name),
                  description=data.get("description", ""), kind=kind, category=data.get("category", "culture"),
                  join_policy=data.get("join_policy", "open"), scope=scope, founder_id=actor.id,
                  status="active" if kind == "institutional" else "pending",
                  reach=_reach(session, actor, tenant, scope) if kind == "institutional" else
                  ("pending" if scope == "platform" else None), members_count=1)
    session.add(group)
    session.flush()
    session.add(GroupMember(group_id=group.id, user_id=actor.id, root_id=group.root_id, status="active",
                            role="organiser", joined_at=utcnow()))
    session.flush()
    record(session, action="group.create", actor=actor, tenant=tenant, target=str(group.id),
           detail={"name": name, "kind": kind, "scope": scope})
    group.tenant, group.founder = tenant, actor
    return group


def update_group(session, actor, group, data) -> Group:
    ensure_organiser(session, actor, group)
    if group.status in ("archived", "rejected"):
        raise Conflict(_("This group can no longer be changed."))
    if "name" in data:
        name = " ".join(data["name"].split())
        _check_name(session, group.tenant, name, exclude=group.id)
        group.name, group.name_key = name, name_key(name)
    for field in ("description", "category", "join_policy"):
        if field in data:
            setattr(group, field, data[field])
    if "scope" in data and data["scope"] != group.scope:
        group.scope = data["scope"]
        group.reach = (_reach(session, actor, group.tenant, group.scope) if group.kind == "institutional"
                       else ("pending" if group.scope == "platform" else None))
        group.reach_reason = None
    session.flush()
    return group


def review_queue_stmt(tenant):
    """Groups proposed at ``tenant`` and waiting for its decision, oldest first."""
    return (sa.select(Group).options(joinedload(Group.tenant), joinedload(Group.founder))
            .where(Group.tenant_id == tenant.id, Group.status == "pending").order_by(Group.created_at, Group.id))


def pending_count(session, tenant) -> int:
    """Groups of the union's subtree waiting for review (the badge of its Groups tab): it may decide them all."""
    return session.scalar(sa.select(sa.func.count()).select_from(Group).join(Tenant, Tenant.id == Group.tenant_id)
                          .where(Group.status == "pending", subtree_clause(Tenant.path, tenant.path)))


def reach_count(session, root) -> int:
    return session.scalar(sa.select(sa.func.count()).where(Group.root_id == root.id, Group.reach == "pending"))


def decide(session, actor, group, *, approve, reason=None) -> Group:
    if not engine.can(actor, MANAGE, group.tenant):
        raise Forbidden(_("Your role here does not allow this."))
    reason = (reason or "").strip() or None
    done = session.execute(sa.update(Group).where(Group.id == group.id, Group.status == "pending").values(
        status="active" if approve else "rejected", decided_at=utcnow(), decided_by_id=actor.id,
        decision_reason=reason).execution_options(synchronize_session=False)).rowcount
    if done != 1:
        raise Conflict(_("This group was decided already."))
    session.expire(group, ["status", "decided_at", "decided_by_id", "decision_reason"])
    record(session, action="group.approve" if approve else "group.reject", actor=actor, tenant=group.tenant,
           target=str(group.id), detail={"name": group.name, "reason": reason or ""})
    tell(session, [group.founder_id], group, "approved" if approve else "rejected", body=reason)
    return group


def reach_requests_stmt(root, *, status="pending"):
    return (sa.select(Group).options(joinedload(Group.tenant), joinedload(Group.founder))
            .where(Group.root_id == root.id, Group.reach == status).order_by(Group.created_at, Group.id))


def decide_reach(session, actor, group, *, approve, reason=None) -> Group:
    root = session.get(Tenant, group.root_id)
    if not engine.can(actor, MANAGE, root):
        if engine.manages(actor, group.tenant):
            raise Forbidden(_("Only an organiser of the federation decides what reaches all of it."))
        raise resources.miss()
    reason = (reason or "").strip() or None
    done = session.execute(sa.update(Group).where(Group.id == group.id, Group.scope == "platform",
                                                  Group.reach == "pending").values(
        reach="approved" if approve else "rejected", reach_reason=reason, reach_decided_at=utcnow(),
        reach_decided_by_id=actor.id).execution_options(synchronize_session=False)).rowcount
    if done != 1:
        raise Conflict(_("Nothing is waiting for a decision here: it was decided already, or never asked for."))
    session.expire(group, ["reach", "reach_reason", "reach_decided_at", "reach_decided_by_id"])
    record(session, action="group.reach.approve" if approve else "group.reach.reject", actor=actor,
           tenant=group.tenant, target=str(group.id), detail={"name": group.name, "reason": reason or ""})
    tell(session, organiser_ids(session, group), group, "reach_approved" if approve else "reach_rejected",
         body=reason)
    return group


def archive(session, actor, group, reason) -> Group:
    if not engine.can(actor, MANAGE, group.tenant):
        raise Forbidden(_("Your role here does not allow this."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Please correct the marked fields."), errors={"reason": [_("Say why: the organisers are told.")]})
    done = session.execute(sa.update(Group).where(Group.id == group.id, Group.status == "active").values(
        status="archived", archived_at=utcnow(), archive_reason=reason)
        .execution_options(synchronize_session=False)).rowcount
    if done != 1:
        raise Conflict(_("Only an active group can be archived."))
    session.expire(group, ["status", "archived_at", "archive_reason"])
    record(session, action="group.archive", actor=actor, tenant=group.tenant, target=str(group.id),
           detail={"name": group.name, "reason": reason})
    tell(session, organiser_ids(session, group), group, "archived", body=reason)
    return group


# --- cover ------------------------------------------------------------------------------------------

MAX_COVER_BYTES = 2 * 1024 * 1024
COVER_KINDS = (files.PNG, files.JPEG, files.WEBP)


def save_cover(session, actor, group, storage) -> int:
    ensure_organiser(session, actor, group)
    upload = files.check(storage, COVER_KINDS, max_bytes=MAX_COVER_BYTES, field="cover",
                         refused=_("Upload a PNG, JPEG or WebP image."))
    old, group.cover_id = group.cover_id, files.save_upload(session, upload).id
    session.flush()
    files.delete(session, old)
    return group.cover_id


# --- members: join, ask, invite, approve, remove, name organisers ------------------------------------

def lock(session, group_id) -> Group:
    """The group's row, locked (PostgreSQL) for a change of its counter."""
    return session.scalar(sa.select(Group).options(joinedload(Group.tenant)).where(Group.id == group_id)
                          .with_for_update(of=Group).execution_options(populate_existing=True))


def _adjust(session, group, delta):
    session.execute(sa.update(Group).where(Group.id == group.id).values(members_count=Group.members_count + delta)
                    .execution_options(synchronize_session=False))
    session.expire(group, ["members_count"])


def token_hash(code):
    return hashlib.sha256(code.encode()).hexdigest()


def join(session, actor, group, *, code=None) -> GroupMember:
    """Join an open group, ask to join an approval group, accept an invitation (a row ``invited``, or a share
    link's ``code``). 409 already in; 403 invitation only; 422 a forged link; 409 a link used by someone else."""
    if group.status != "active":
        raise Conflict(_("This group is not taking members."))
    row = membership_of(session, actor, group.id)
    if row is not None and row.status != "invited":
        raise Conflict(_("You are in this group already.") if row.status == "active"
                       else _("You asked to join already: the organisers decide."))
    invite = None
    if code:
        invite = session.scalar(sa.select(GroupInvite).where(GroupInvite.token_hash == token_hash(code),
                                                             GroupInvite.group_id == group.id))
        if invite is None:
            raise ValidationFailed(_("This invitation link is not valid."),
                                   errors={"code": [_("This invitation link is not valid.")]})
        used = session.execute(sa.update(GroupInvite).where(GroupInvite.id == invite.id,
                                                            GroupInvite.used_by_id.is_(None))
                               .values(used_by_id=actor.id, used_at=utcnow())
                               .execution_options(synchronize_session=False)).rowcount
        if not used:
            raise Conflict(_("This invitation link has been used already."))
    now = utcnow()
    if row is not None:  # invited by name: accepting
        group = lock(session, group.id)
        row.status, row.joined_at = "active", now
        _adjust(session, group, 1)
        session.flush()
        return row
    if invite is None and group.join_policy == "invite":
        raise Forbidden(_("This group takes members by invitation only."))
    status = "pending" if invite is None and group.join_policy == "approval" else "active"
    group = lock(session, group.id)
    with session.begin_nested():
        row = GroupMember(group_id=group.id, user_id=actor.id, root_id=group.root_id, status=status,
                          role="member", joined_at=now if status == "active" else None,
                          invited_by_id=invite.created_by_id if invite else None)
        session.add(row)
        session.flush()
    if status == "active":
        _adjust(session, group, 1)
    else:
        tell(session, organiser_ids(session, group), group, "asked")
    session.flush()
    return row


def _member_row(session, group, username) -> GroupMember:
    row = session.scalar(sa.select(GroupMember).join(User, User.id == GroupMember.user_id)
                         .options(joinedload(GroupMember.user))
                         .where(GroupMember.group_id == group.id, User.username == username))
    if row is None:
        raise NotFound(_("No such member of this group."))
    return row


def ensure_organiser(session, actor, group):
    """403 for its members and its union's managers who do not organise it, 404 for anyone else."""
    if not is_organiser(session, actor, group):
        if is_member(session, actor, group) or engine.manages(actor, group.tenant):
            raise Forbidden(_("Only the group's organisers do this."))
        raise resources.miss()


def _organise(session, actor, group):
    ensure_organiser(session, actor, group)
    if group.status != "active":
        raise Conflict(_("This group is not active."))


def approve_member(session, actor, group, username) -> GroupMember:
    _organise(session, actor, group)
    row = _member_row(session, group, username)
    group = lock(session, group.id)
    done = session.execute(sa.update(GroupMember).where(GroupMember.id == row.id, GroupMember.status == "pending")
                           .values(status="active", joined_at=utcnow())
                           .execution_options(synchronize_session=False)).rowcount
    if not done:
        raise Conflict(_("This person is not asking to join."))
    _adjust(session, group, 1)
    session.refresh(row)
    tell(session, [row.user_id], group, "joined")
    return row


def remove_member(session, actor, group, username):
    _organise(session, actor, group)
    row = _member_row(session, group, username)
    if row.user_id == group.founder_id:
        raise Conflict(_("The founder stays in the group."))
    _drop(session, group, row)
    tell(session, [row.user_id], group, "removed")


def leave(session, actor, group):
    row = membership_of(session, actor, group.id)
    if row is None:
        raise NotFound(_("You are not in this group."))
    if row.user_id == group.founder_id:
        raise Conflict(_("The founder stays in the group."))
    _drop(session, group, row)


def _drop(session, group, row):
    group = lock(session, group.id)
    was = row.status
    session.execute(sa.delete(GroupMember).where(GroupMember.id == row.id).execution_options(
        synchronize_session=False))
    session.expunge(row)
    if was == "active":
        _adjust(session, group, -1)
    session.flush()


def invite(session, actor, group, username) -> GroupMember:
    """Invite a person by username: a row ``invited``, and a message in their inbox."""
    _organise(session, actor, group)
    user = session.scalar(sa.select(User).where(User.username == username, User.active.is_(True)))
    if user is None:
        raise ValidationFailed(_("No such user."), errors={"username": [_("No such user.")]})
    if membership_of(session, user, group.id) is not None:
        raise Conflict(_("This person is in the group, asked to join or is invited already."))
    with session.begin_nested():
        row = GroupMember(group_id=group.id, user_id=user.id, root_id=group.root_id, status="invited",
                          role="member", invited_by_id=actor.id)
        session.add(row)
        session.flush()
    row.user = user
    tell(session, [user.id], group, "invited")
    return row


def share_link(session, actor, group) -> str:
    """A new share link's secret code (used once): only its hash is kept."""
    _organise(session, actor, group)
    code = secrets.token_urlsafe(24)
    session.add(GroupInvite(group_id=group.id, token_hash=token_hash(code), created_by_id=actor.id))
    session.flush()
    return code


def set_role(session, actor, group, username, role) -> GroupMember:
    """Name a co-organiser (or make one a member again)."""
    _organise(session, actor, group)
    row = _member_row(session, group, username)
    if row.status != "active":
        raise Conflict(_("Only a member of the group can organise it."))
    if row.user_id == group.founder_id and role != "organiser":
        raise Conflict(_("The founder stays an organiser."))
    row.role = role
    session.flush()
    if role == "organiser":
        tell(session, [row.user_id], group, "organiser")
    return row


def members_stmt(group, *, status=None):
    stmt = (sa.select(GroupMember).options(joinedload(GroupMember.user)).where(GroupMember.group_id == group.id))
    if status:
        stmt = stmt.where(GroupMember.status == status)
    order = sa.case((GroupMember.role == "organiser", 0), else_=1)
    return stmt.order_by(order, GroupMember.created_at, GroupMember.id)


def my_groups_stmt(user):
    return (sa.select(Group).options(selectinload(Group.tenant), selectinload(Group.founder)).join(GroupMember, GroupMember.group_id == Group.id)
            .where(GroupMember.user_id == user.id, GroupMember.status == "active", Group.status == "active")
            .order_by(Group.name, Group.id))


def my_groups_count(session, user) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(GroupMember).join(Group, Group.id == GroupMember.group_id)
                          .where(GroupMember.user_id == user.id, GroupMember.status == "active",
                                 Group.status == "active"))


# --- group activities -----------------------------------------------------------------------------

def create_activity(session, actor, group, data) -> Activity:
    """An activity of the group: seen by its members only unless ``scope`` is given (then as any activity of
    the group's union, federation-wide reach review included). Every rule of activities applies."""
    _organise(session, actor, group)
    data = dict(data)
    group_only = "scope" not in data
    activity = activities.create_activity(session, actor, group.tenant, data)
    activity.group_id, activity.group_only = group.id, group_only
    session.flush()
    return activity


def activities_stmt(group, *, upcoming=None, now=None):
    now = now or utcnow()
    stmt = (sa.select(Activity).options(selectinload(Activity.tenant))
            .where(Activity.group_id == group.id, Activity.status.in_(("published", "cancelled"))))
    if upcoming is True:
        return stmt.where(Activity.ends_at >= now).order_by(Activity.starts_at, Activity.id)
    if upcoming is False:
        return stmt.where(Activity.ends_at < now).order_by(Activity.starts_at.desc(), Activity.id.desc())
    return stmt.order_by(Activity.starts_at.desc(), Activity.id.desc())


def numbers(session, group_ids, *, since=None, until=None, now=None) -> dict:
    """group id -> {activities_held, participants, checkins}: one grouped query over the groups' activities
    held (published, ended) between ``since`` and ``until``; participants are confirmed sign-ups."""
    now = now or utcnow()
    out = {gid: {"activities_held": 0, "participants": 0, "checkins": 0} for gid in group_ids}
    if not group_ids:
        return out
    stmt = (sa.select(Activity.group_id, sa.func.count(sa.distinct(Activity.id)), sa.func.count(SignUp.id),
                      sa.func.count(SignUp.checked_in_at))
            .select_from(Activity)
            .outerjoin(SignUp, sa.and_(SignUp.activity_id == Activity.id, SignUp.status == "confirmed"))
            .where(Activity.group_id.in_(group_ids), Activity.status == "published", Activity.ends_at <= now)
            .group_by(Activity.group_id))
    if since is not None:
        stmt = stmt.where(Activity.starts_at >= since)
    if until is not None:
        stmt = stmt.where(Activity.starts_at < until)
    for gid, held, participants, checkins in session.execute(stmt):
        out[gid] = {"activities_held": held, "participants": participants, "checkins": checkins}
    return out


# --- oversight ----------------------------------------------------------------------------------

def oversight_stmt(tenant, *, status=None, flagged=False, now=None):
    """Groups of ``tenant``'s subtree, with the start of their last activity (one grouped subquery)."""
    last = (sa.select(Activity.group_id, sa.func.max(Activity.starts_at).label("last_at"))
            .where(Activity.group_id.is_not(None), Activity.status == "published")
            .group_by(Activity.group_id).subquery())
    stmt = (sa.select(Group, last.c.last_at).options(joinedload(Group.tenant), joinedload(Group.founder))
            .join(Tenant, Tenant.id == Group.tenant_id).outerjoin(last, last.c.group_id == Group.id)
            .where(subtree_clause(Tenant.path, tenant.path)))
    if status:
        stmt = stmt.where(Group.status == status)
    if flagged:
        cut = (now or utcnow()) - timedelta(days=INACTIVE_DAYS)
        stmt = stmt.where(Group.status == "active", Group.created_at < cut,
                          sa.or_(last.c.last_at.is_(None), last.c.last_at < cut))
    return stmt.order_by(Group.created_at.desc(), Group.id.desc())


def is_flagged(group, last_at, now=None) -> bool:
    cut = (now or utcnow()) - timedelta(days=INACTIVE_DAYS)
    return group.status == "active" and group.created_at < cut and (last_at is None or _aware(last_at) < cut)


def _aware(value):
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# --- awards -----------------------------------------------------------------------------------------

def _round_visible(session, user, rnd):
    if audience.may_see(viewer(session, user), rnd, MANAGE):
        return True
    return is_juror(session, user, rnd)


ROUND = resources.register("award_round", AwardRound, visible=_round_visible, manage=MANAGE, scoped=True,
                           arg="round_id")


def _load_nomination(session, nomination_id):
    return session.scalar(sa.select(Nomination).options(
        joinedload(Nomination.round).joinedload(AwardRound.tenant), joinedload(Nomination.group),
        joinedload(Nomination.category)).where(Nomination.id == nomination_id))


NOMINATION = resources.register(
    "nomination", Nomination, owner=lambda n: n.round.tenant, load=_load_nomination, manage=MANAGE,
    visible=lambda session, user, n: _round_visible(session, user, n.round), scoped=True)


def is_juror(session, user, rnd) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return session.scalar(sa.select(AwardJuror.id).where(AwardJuror.round_id == rnd.id,
                                                         AwardJuror.user_id == user.id)) is not None


def rounds_stmt(v: Viewer, tenant):
    """Rounds of ``tenant`` (and the unions above it) that ``v`` sees, newest year first."""
    return (sa.select(AwardRound).options(selectinload(AwardRound.tenant), selectinload(AwardRound.categories))
            .where(AwardRound.tenant_id.in_(path_ids(tenant.path)),
                   audience.visible_clause(AwardRound, v, MANAGE))
            .order_by(AwardRound.year.desc(), AwardRound.id.desc()))


def create_round(session, actor, tenant, data) -> AwardRound:
    now = utcnow()
    errors = {}
    if data["judging_close"] <= data["nominations_close"]:
        errors["judging_close"] = [_("Judging must close after nominations close.")]
    if data["nominations_close"] <= now:
        errors["nominations_close"] = [_("Nominations must close in the future.")]
    names = [c["name"].strip() for c in data["categories"]]
    if len({n.casefold() for n in names}) != len(names):
        errors["categories"] = [_("Each category needs a name of its own.")]
    if errors:
        raise ValidationFailed(_("Please correct the marked fields."), errors=errors)
    rnd = AwardRound(tenant_id=tenant.id, root_id=tenant.root_id, title=data["title"].strip(), year=data["year"],
                     nominations_close=data["nominations_close"], judging_close=data["judging_close"],
                     scope="subtree", status="open", created_by_id=actor.id)
    session.add(rnd)
    session.flush()
    for c in data["categories"]:
        session.add(AwardCategory(round_id=rnd.id, name=c["name"].strip(), kind=c["kind"], places=c["places"]))
    session.flush()
    record(session, action="award.round.create", actor=actor, tenant=tenant, target=str(rnd.id),
           detail={"title": rnd.title, "year": rnd.year})
    return load_round(session, rnd.id)


def load_round(session, round_id) -> AwardRound:
    return session.scalar(sa.select(AwardRound).options(joinedload(AwardRound.tenant),
                                                       selectinload(AwardRound.categories))
                          .where(AwardRound.id == round_id).execution_options(populate_existing=True))


def add_juror(session, actor, rnd, username) -> AwardJuror:
    if not engine.can(actor, MANAGE, rnd.tenant):
        raise Forbidden(_("Your role here does not allow this."))
    user = session.scalar(sa.select(User).where(User.username == username, User.active.is_(True)))
    if user is None:
        raise ValidationFailed(_("No such user."), errors={"username": [_("No such user.")]})
    if rnd.phase() in ("judged", "published"):
        raise Conflict(_("Judging has closed."))
    if is_juror(session, user, rnd):
        raise Conflict(_("This person is a juror of the round already."))
    with session.begin_nested():
        juror = AwardJuror(round_id=rnd.id, user_id=user.id)
        session.add(juror)
        session.flush()
    juror.user = user
    return juror


def jurors(session, rnd):
    return list(session.scalars(sa.select(AwardJuror).options(joinedload(AwardJuror.user))
                                .where(AwardJuror.round_id == rnd.id).order_by(AwardJuror.id)))


def year_bounds(rnd):
    zone = zone_of(rnd.tenant)
    start = datetime(rnd.year, 1, 1, tzinfo=zone)
    return start.astimezone(UTC), datetime(rnd.year + 1, 1, 1, tzinfo=zone).astimezone(UTC)


def dossiers(session, rnd, group_ids, now=None) -> dict:
    """group id -> its dossier over the round's year: one grouped query for all of them."""
    since, until = year_bounds(rnd)
    return numbers(session, group_ids, since=since, until=until, now=now)


def nominate(session, actor, rnd, data) -> Nomination:
    errors = {}
    category = next((c for c in rnd.categories if c.id == data["category"]), None)
    if category is None:
        errors["category"] = [_("No such category in this round.")]
    group = session.scalar(sa.select(Group).options(joinedload(Group.tenant)).where(Group.id == data["group"]))
    if group is None or not _visible(session, actor, group):
        errors["group"] = [_("No such group.")]
    if errors:
        raise ValidationFailed(_("Please correct the marked fields."), errors=errors)
    if not (is_organiser(session, actor, group) or engine.can(actor, MANAGE, rnd.tenant)):
        raise Forbidden(_("Only the group's organisers nominate it."))
    if rnd.phase() != "nominating":
        raise Conflict(_("Nominations have closed."))
    if group.status != "active":
        errors["group"] = [_("Only an active group can be nominated.")]
    elif not group.tenant.path.startswith(rnd.tenant.path):
        errors["group"] = [_("This group is outside the round's unions.")]
    elif group.kind != category.kind:
        errors["category"] = [_("This category is for another kind of group.")]
    if errors:
        raise ValidationFailed(_("Please correct the marked fields."), errors=errors)
    if session.scalar(sa.select(Nomination.id).where(Nomination.round_id == rnd.id,
                                                     Nomination.group_id == group.id)) is not None:
        raise Conflict(_("This group is nominated in this round already."))
    with session.begin_nested():
        nomination = Nomination(round_id=rnd.id, category_id=category.id, group_id=group.id,
                                statement=data["statement"].strip(), nominated_by_id=actor.id)
        session.add(nomination)
        session.flush()
    nomination.group, nomination.category, nomination.round = group, category, rnd
    return nomination


def nominable_groups(session, user, rnd, manager) -> list[Group]:
    """Active groups inside the round's subtree that ``user`` may nominate (organises, or manages the round)."""
    stmt = (sa.select(Group).join(Tenant, Tenant.id == Group.tenant_id)
            .where(Group.status == "active", subtree_clause(Tenant.path, rnd.tenant.path),
                   ~Group.id.in_(sa.select(Nomination.group_id).where(Nomination.round_id == rnd.id))))
    if not manager:
        organised = (sa.select(GroupMember.group_id).where(GroupMember.user_id == user.id,
                                                           GroupMember.status == "active",
                                                           GroupMember.role == "organiser"))
        stmt = stmt.where(sa.or_(Group.id.in_(organised),
                                 Group.tenant_id.in_(engine.filter(sa.select(Tenant.id), user, MANAGE))))
    return list(session.scalars(stmt.order_by(Group.name).limit(200)))


def nominations_stmt(rnd):
    return (sa.select(Nomination).options(joinedload(Nomination.group).joinedload(Group.tenant),
                                          joinedload(Nomination.group).joinedload(Group.founder),
                                          joinedload(Nomination.category))
            .where(Nomination.round_id == rnd.id).order_by(Nomination.category_id, Nomination.id))


def score(session, actor, nomination, data, now=None) -> Score:
    rnd = nomination.round
    if not is_juror(session, actor, rnd):
        raise Forbidden(_("Only the round's jurors score."))
    if rnd.phase(now) != "judging":
        raise Conflict(_("Scores are given while judging is open."))
    if is_member(session, actor, nomination.group_id):
        raise Conflict(_("You belong to this group: you abstain from scoring it."))
    row = session.scalar(sa.select(Score).where(Score.nomination_id == nomination.id, Score.juror_id == actor.id))
    if row is None:
        with session.begin_nested():
            row = Score(nomination_id=nomination.id, juror_id=actor.id, score=data["score"],
                        comment=data.get("comment") or "")
            session.add(row)
            session.flush()
    else:
        row.score, row.comment = data["score"], data.get("comment") or ""
        session.flush()
    return row


def my_scores(session, user, rnd) -> dict:
    return {s.nomination_id: s for s in session.scalars(
        sa.select(Score).join(Nomination, Nomination.id == Score.nomination_id)
        .where(Nomination.round_id == rnd.id, Score.juror_id == user.id))}


def results(session, rnd, now=None) -> list[dict]:
    """Per category, the nominations ranked by mean score (ties: check-ins, then participants); the first
    ``places`` awarded. Published rounds keep the ranks fixed at publication. Three queries."""
    noms = list(session.scalars(nominations_stmt(rnd)))
    stats = {nid: (mean, n) for nid, mean, n in session.execute(
        sa.select(Score.nomination_id, sa.func.avg(Score.score), sa.func.count(Score.id))
        .join(Nomination, Nomination.id == Score.nomination_id).where(Nomination.round_id == rnd.id)
        .group_by(Score.nomination_id))}
    dossier = dossiers(session, rnd, [n.group_id for n in noms], now=now)
    out = []
    for category in rnd.categories:
        rows = []
        for n in noms:
            if n.category_id != category.id:
                continue
            mean, count = stats.get(n.id, (None, 0))
            rows.append({"nomination": n.id, "group": n.group.id, "group_name": n.group.name,
                         "tenant": n.group.tenant.slug, "tenant_name": n.group.tenant.name,
                         "mean": round(float(mean), 2) if mean is not None else None, "scores_count": count,
                         "dossier": dossier[n.group_id], "record": n})
        rows.sort(key=lambda r: (r["mean"] is None, -(r["mean"] or 0), -r["dossier"]["checkins"],
                                 -r["dossier"]["participants"], r["nomination"]))
        for i, r in enumerate(rows, 1):
            r["rank"] = i
            r["awarded"] = r["mean"] is not None and i <= category.places
        out.append({"category": category.id, "name": category.name, "kind": category.kind,
                    "places": category.places, "nominations": rows})
    return out


def publish(session, actor, rnd, now=None) -> AwardRound:
    now = now or utcnow()
    if not engine.can(actor, MANAGE, rnd.tenant):
        raise Forbidden(_("Your role here does not allow this."))
    if rnd.phase(now) == "published":
        raise Conflict(_("The results are published already."))
    if rnd.phase(now) != "judged":
        raise Conflict(_("The results are published once judging has closed."))
    done = session.execute(sa.update(AwardRound).where(AwardRound.id == rnd.id, AwardRound.published_at.is_(None))
                           .values(published_at=now, status="published")
                           .execution_options(synchronize_session=False)).rowcount
    if not done:
        raise Conflict(_("The results are published already."))
    ranked = results(session, rnd, now=now)
    winners = []
    for category in ranked:
        for r in category["nominations"]:
            n = r["record"]
            n.rank, n.mean, n.awarded = r["rank"], r["mean"], r["awarded"]
            if r["awarded"]:
                winners.append(n.group)
    session.flush()
    for group in winners:
        inbox.notify(session, organiser_ids(session, group), TOLD["awarded"],
                     params={"name": group.name, "round": rnd.title}, link=f"/award-rounds/{rnd.id}/results",
                     subject=("award_round", rnd.id), root_id=rnd.root_id)
    session.expire(rnd, ["published_at", "status"])
    record(session, action="award.round.publish", actor=actor, tenant=rnd.tenant, target=str(rnd.id),
           detail={"title": rnd.title, "winners": len(winners)})
    return rnd


def published_results(session, rnd, now=None):
    """Results as fixed at publication (or the live ranking before it, for the round's organisers)."""
    ranked = results(session, rnd, now=now)
    if rnd.published_at is not None:
        for category in ranked:
            for r in category["nominations"]:
                n = r["record"]
                r["rank"], r["awarded"] = n.rank or r["rank"], n.awarded
                r["mean"] = n.mean if n.mean is not None else r["mean"]
            category["nominations"].sort(key=lambda r: (r["rank"], r["nomination"]))
    return ranked


def scores_for_export(session, rnd):
    """(nomination id, juror username, juror name, score, comment) of every score of the round."""
    return session.execute(sa.select(Score.nomination_id, User.username, User.display_name, Score.score, Score.comment)
                           .join(User, User.id == Score.juror_id).join(Nomination, Nomination.id == Score.nomination_id)
                           .where(Nomination.round_id == rnd.id).order_by(Score.nomination_id, User.username)).all()
