"""Rules of activities. Plain functions taking a session: they flush, raise domain errors, never commit.

Who may publish which scope (the rule the API refuses with 422):
- ``tenant`` (members of the publishing union) and ``subtree`` (it and every union below): from any
  tenant where the publisher holds ``activity.manage``;
- ``platform`` (everyone in the federation): only by someone who holds ``activity.manage`` at the
  federation's root, i.e. a federation-level organiser, whatever tenant they publish from.

Who sees what (DESIGN.md idea 3), one SQL condition built from the viewer's home path, no join:
``(scope='tenant' AND tenant_id=:home) OR (scope='subtree' AND tenant_id IN :ancestors_and_home)
OR (scope='platform' AND root_id=:root)``; a user without membership sees the platform-wide activities
of the federations whose tenants they follow; organisers also see what they manage, drafts included.
"""
import functools
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from union_saas.access import engine, resources
from union_saas.access.policy import perm
from union_saas.activities.models import (
    LIVE_SIGNUP,
    NOTIFICATION_KINDS,
    RAW_HTML,
    Activity,
    SignUp,
)
from union_saas.core import calendars, files, inbox
from union_saas.core.audit import AUDIT_LABELS, record
from union_saas.core.audit import params as audit_params
from union_saas.core.db import utcnow
from union_saas.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from union_saas.core.markup import render_markdown
from union_saas.members import audience
from union_saas.members.audience import Viewer, published, viewer  # noqa: F401 - views ask services for the viewer
from union_saas.tenancy.content import SCOPES
from union_saas.tenancy.models import Tenant, subtree_clause

MANAGE = perm("activity.manage")
AUDIT_LABELS.update({
    "activity.reach.approve": _l("%(actor)s let “%(title)s” of %(union)s reach the whole federation."),
    "activity.reach.reject": _l("%(actor)s kept “%(title)s” of %(union)s from reaching the whole federation: "
                                "%(reason)s"),
    "activity.create": _l("%(actor)s created the activity “%(title)s” at %(union)s."),
    "activity.edit": _l("%(actor)s edited the activity “%(title)s”."),
    "activity.publish": _l("%(actor)s published the activity “%(title)s”."),
    "activity.cancel": _l("%(actor)s cancelled the activity “%(title)s” (participants told: %(told)s)."),
    "activity.remove_signup": _l("%(actor)s took %(person)s off the list of “%(title)s”."),
    "activity.message": _l("%(actor)s sent a message to the participants of “%(title)s” (messages sent: %(sent)s)."),
})


@audit_params("activity.")
def _audit_params(session, entries):
    """Each activity's title (loaded for the entries that do not keep it), and who was taken off a list."""
    from union_saas.accounts.models import User

    ids = {int(e.target) for e in entries if (e.target or "").isdigit() and "title" not in (e.detail or {})}
    titles = dict(session.execute(sa.select(Activity.id, Activity.title).where(Activity.id.in_(ids))).all()) if ids else {}
    users = {(e.detail or {}).get("user") for e in entries if e.action == "activity.remove_signup"} - {None}
    names = dict(session.execute(sa.select(User.id, User.display_name).where(User.id.in_(users))).all()) if users else {}
    out = {}
    for entry in entries:
        detail = entry.detail or {}
        extra = {}
        if "title" not in detail:
            extra["title"] = titles.get(int(entry.target), entry.target) if (entry.target or "").isdigit() else "—"
        if entry.action == "activity.remove_signup":
            extra["person"] = names.get(detail.get("user"), "—")
        out[entry.id] = extra
    return out


EDITABLE = ("title", "description", "category", "series", "starts_at", "ends_at", "location", "online_url",
            "capacity", "signup_opens_at", "signup_closes_at", "members_only", "scope")

# --- description --------------------------------------------------------------------------------

def check_description(text: str):
    """HTML or script in a description is refused, not silently cut: the organiser should know."""
    if RAW_HTML.search(text or ""):
        raise ValidationFailed(_("Please correct the marked fields."), errors={
            "description": [_("Write Markdown, not HTML: tags and scripts are not allowed.")]})


# --- scope and federation-wide reach -----------------------------------------------------------------

def root_of(session, tenant):
    return tenant if tenant.is_root else session.get(Tenant, tenant.root_id)


def organises_federation(session, actor, tenant) -> bool:
    """``actor`` holds activity.manage at the federation's root: what they publish federation-wide is so at once."""
    return engine.can(actor, MANAGE, root_of(session, tenant))


def allowed_scopes(session, actor, tenant) -> list[str]:
    """Anyone who may publish at a union may ask for any scope (API.md); federation-wide waits for review
    unless they organise the federation."""
    return list(SCOPES)


def _reach(session, actor, tenant, activity, scope):
    """The reach that goes with ``scope``: none below platform; approved from the root's organisers; else
    pending, and kept as it is while the scope stays platform."""
    if scope != "platform":
        return None, None
    if activity.scope == "platform" and activity.reach is not None:
        return activity.reach, activity.reach_reason
    return ("approved" if organises_federation(session, actor, tenant) else "pending"), None


# --- publish, edit, cancel -------------------------------------------------------------------------

def _check_times(data):
    errors = {}
    starts, ends = data.get("starts_at"), data.get("ends_at")
    opens, closes = data.get("signup_opens_at"), data.get("signup_closes_at")
    if starts and ends and ends <= starts:
        errors["ends_at"] = [_("The end must come after the start.")]
    if closes and starts and closes > starts:
        errors["signup_closes_at"] = [_("Sign-up must close by the start.")]
    if opens and starts and opens >= starts:
        errors.setdefault("signup_opens_at", []).append(_("Sign-up must open before the start."))
    if opens and closes and opens >= closes:
        errors.setdefault("signup_opens_at", []).append(_("Sign-up must open before it closes."))
    if errors:
        raise ValidationFailed(_("Please correct the marked fields."), errors=errors)


def _apply(session, actor, activity, tenant, data):
    if "description" in data:
        check_description(data["description"])
    if "scope" in data:
        activity.reach, activity.reach_reason = _reach(session, actor, tenant, activity, data["scope"])
    merged = {f: data.get(f, getattr(activity, f, None)) for f in ("starts_at", "ends_at", "signup_opens_at",
                                                                  "signup_closes_at")}
    _check_times(merged)
    changes = {}
    for field in EDITABLE:
        if field in data and data[field] != getattr(activity, field):
            old = getattr(activity, field)
            changes[field] = [_plain(old), _plain(data[field])]
            setattr(activity, field, data[field])
    if "description" in data:
        activity.description_html = render_markdown(activity.description)
    return changes


def _plain(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def create_activity(session, actor, tenant, data) -> Activity:
    """Publish (or save as a draft) an activity of ``tenant``."""
    if tenant.status != "active":
        raise Conflict(_("An archived union cannot publish activities."))
    data = dict(data)
    status = data.pop("status", "published")
    activity = Activity(tenant_id=tenant.id, root_id=tenant.root_id, created_by_id=actor.id, status=status,
                        scope="tenant", description="", description_html="",
                        members_only=data.get("members_only", True), category=data.get("category", "culture"))
    data.setdefault("scope", activity.scope)
    _apply(session, actor, activity, tenant, {"description": "", **data})
    if status == "published":
        activity.published_at = utcnow()
    session.add(activity)
    session.flush()
    record(session, action="activity.create", actor=actor, tenant=tenant, target=str(activity.id),
           detail={"title": activity.title, "scope": activity.scope, "status": status, "reach": activity.reach})
    return activity


def update_activity(session, actor, activity, data) -> Activity:
    if activity.status == "cancelled":
        raise Conflict(_("A cancelled activity cannot be changed."))
    activity = lock(session, activity.id)
    tenant = session.get(Tenant, activity.tenant_id)
    if "capacity" in data and data["capacity"] is not None and data["capacity"] < activity.confirmed_count:
        raise ValidationFailed(_("Please correct the marked fields."), errors={"capacity": [
            _("%(n)d people are confirmed already: remove some first, or keep at least that many places.",
              n=activity.confirmed_count)]})
    changes = _apply(session, actor, activity, tenant, data)
    session.flush()
    if "capacity" in changes:
        promote(session, activity)
    if changes:
        record(session, action="activity.edit", actor=actor, tenant=tenant, target=str(activity.id), detail=changes)
    return activity


def publish(session, actor, activity) -> Activity:
    if activity.status != "draft":
        raise Conflict(_("Only a draft can be published."))
    activity.status, activity.published_at = "published", utcnow()
    session.flush()
    record(session, action="activity.publish", actor=actor, tenant=session.get(Tenant, activity.tenant_id),
           target=str(activity.id), detail={"title": activity.title})
    return activity


def cancel(session, actor, activity) -> int:
    """Cancel the activity; everyone signed up is told in the app. Returns how many were told."""
    activity = lock(session, activity.id)
    if activity.status == "cancelled":
        raise Conflict(_("Already cancelled."))
    told = notify_signed_up(session, activity, "cancelled", statuses=LIVE_SIGNUP)
    activity.status, activity.cancelled_at = "cancelled", utcnow()
    session.flush()
    record(session, action="activity.cancel", actor=actor, tenant=session.get(Tenant, activity.tenant_id),
           target=str(activity.id), detail={"title": activity.title, "told": told})
    return told


# --- federation-wide reach: the root's organisers decide -------------------------------------------

REACH_TOLD = {
    True: inbox.kind("activity.reach_approved", _l("%(title)s now reaches the whole federation.")),
    False: inbox.kind("activity.reach_rejected", _l("%(title)s was not approved for the whole federation: it "
                                                    "stays with your union and the unions below it.")),
}


def reach_requests_stmt(root, *, status="pending"):
    """The federation-wide requests of ``root``'s federation in ``status``, oldest first."""
    return (sa.select(Activity).options(joinedload(Activity.tenant))
            .where(Activity.root_id == root.id, Activity.reach == status)
            .order_by(Activity.created_at, Activity.id))


def pending_reach_count(session, root) -> int:
    """How many wait for the root's decision (``ix_activity_reach_pending``: those rows only)."""
    return session.scalar(sa.select(sa.func.count()).where(Activity.root_id == root.id, Activity.reach == "pending"))


def decide_reach(session, actor, activity, *, approve, reason=None) -> Activity:
    """Approve or reject a federation-wide request; its publisher is told. 409 unless it is pending."""
    root = session.get(Tenant, activity.root_id)
    if not engine.can(actor, MANAGE, root):
        if engine.manages(actor, activity.tenant):
            raise Forbidden(_("Only an organiser of the federation decides what reaches all of it."))
        raise resources.miss()
    reason = (reason or "").strip() or None
    done = session.execute(sa.update(Activity).where(Activity.id == activity.id, Activity.scope == "platform",
                                                     Activity.reach == "pending")
                           .values(reach="approved" if approve else "rejected", reach_reason=reason,
                                   reach_decided_at=utcnow(), reach_decided_by_id=actor.id)
                           .execution_options(synchronize_session=False)).rowcount
    if done != 1:
        raise Conflict(_("Nothing is waiting for a decision here: it was decided already, or never asked for."))
    session.expire(activity, ["reach", "reach_reason", "reach_decided_at", "reach_decided_by_id"])
    record(session, action="activity.reach.approve" if approve else "activity.reach.reject", actor=actor,
           tenant=activity.tenant, target=str(activity.id), detail={"title": activity.title, "reason": reason or ""})
    if activity.created_by_id:
        inbox.notify(session, [activity.created_by_id], REACH_TOLD[approve], body=reason or "",
                     **_about(activity))
    return activity


# --- who sees what ------------------------------------------------------------------------------

class GroupRules:
    """An interest group's own audience, told by the groups domain (it imports activities, not the reverse):
    ``member_groups(user)`` a SELECT of the ids of the groups ``user`` is an active member of;
    ``is_member(session, user, group_id)``; ``organises(session, user, group_id)`` whether they organise that
    group (they manage its activities)."""

    member_groups = None
    is_member = None
    organises = None


GROUPS = GroupRules()


def _visible(session, user, activity):
    if activity.group_only and GROUPS.member_groups is not None:
        if user is not None and getattr(user, "is_authenticated", False):
            if engine.can(user, MANAGE, activity.tenant) or GROUPS.organises(session, user, activity.group_id):
                return True
            return activity.status in Activity.SHOWN and GROUPS.is_member(session, user, activity.group_id)
        return False
    return audience.may_see(viewer(session, user), activity, MANAGE)


def _allows(session, user, activity, permission):
    """activity.manage at its union, or (its group's activities) an organiser of the group."""
    if engine.can(user, permission, activity.tenant):
        return True
    return (permission == MANAGE and activity.group_id is not None and GROUPS.organises is not None
            and GROUPS.organises(session, user, activity.group_id))


ACTIVITY = resources.register("activity", Activity, visible=_visible, manage=MANAGE, scoped=True, allows=_allows)


def visible_clause(v: Viewer, *, statuses=None):
    clause = audience.visible_clause(Activity, v, MANAGE, statuses=statuses)
    if GROUPS.member_groups is None:
        return clause
    arms = [sa.and_(Activity.group_only.is_(False), clause)]
    if v.user is not None:
        arms.append(sa.and_(Activity.group_only.is_(True), Activity.status.in_(statuses or Activity.LISTED),
                            Activity.group_id.in_(GROUPS.member_groups(v.user))))
        managed = audience.managed_clause(Activity, v.user, MANAGE)
        if managed is not None:
            arms.append(managed)
    return sa.or_(*arms)


def feed_stmt(v: Viewer, *, upcoming=True, category=None, where="everywhere", root_id=None, now=None):
    """The activities ``v`` may see, soonest first: one query, however many there are (and one for their
    unions, by id, once the page is cut: joined before the LIMIT, PostgreSQL would hash the whole tree).

    Upcoming ones are found through ``ix_activity_upcoming`` (each arm of the visibility condition is
    one index range ending at ``ends_at >= now``) and sorted afterwards: they are few. Ordered by the
    plain column, PostgreSQL would walk ``starts_at`` from the oldest activity, through years of history.
    """
    stmt = sa.select(Activity).options(selectinload(Activity.tenant)).where(visible_clause(v))
    order = Activity.starts_at
    if upcoming:
        stmt = stmt.where(Activity.ends_at >= (now or utcnow()))
        order = sa.func.coalesce(Activity.starts_at, Activity.ends_at)  # the same order, no index provides it
    if category:
        stmt = stmt.where(Activity.category == category)
    if where == "mine":
        stmt = stmt.where(Activity.tenant_id == (v.home.id if v.home else -1))
    elif where == "above":
        stmt = stmt.where(Activity.tenant_id.in_(v.ancestors_and_home[:-1] or [-1]))
    if root_id is not None:
        stmt = stmt.where(Activity.root_id == root_id)
    return stmt.order_by(order, Activity.id)


def get_visible(session, v: Viewer, activity_id) -> Activity:
    """The activity, if ``v`` may see it; 404 otherwise (never 403: no existence leak)."""
    return resources.fetch(session, v.user, "activity", activity_id)


def get_managed(session, user, activity_id) -> Activity:
    """The activity, if ``user`` may manage it: 404 when they may not see it, 403 when they only see it."""
    return resources.fetch(session, user, "activity", activity_id, MANAGE)


def manage_stmt(tenant, *, status=None):
    """Activities of ``tenant`` and every union below it, newest start first."""
    stmt = (sa.select(Activity).options(joinedload(Activity.tenant))
            .join(Tenant, Tenant.id == Activity.tenant_id).where(subtree_clause(Tenant.path, tenant.path)))
    if status:
        stmt = stmt.where(Activity.status == status)
    return stmt.order_by(Activity.starts_at.desc(), Activity.id.desc())


def my_signups(session, user, activity_ids) -> dict:
    """activity id -> the caller's live sign-up, for a page of activities: one query."""
    if not activity_ids or not getattr(user, "is_authenticated", False):
        return {}
    rows = session.scalars(sa.select(SignUp).where(SignUp.user_id == user.id, SignUp.activity_id.in_(activity_ids)))
    return {row.activity_id: row for row in rows}


def waitlist_rank(session, signup) -> int | None:
    if signup.status != "waitlisted":
        return None
    return session.scalar(sa.select(sa.func.count()).where(
        SignUp.activity_id == signup.activity_id, SignUp.status == "waitlisted", SignUp.position <= signup.position))


# --- sign up, cancel, waitlist --------------------------------------------------------------------

class Busy(Conflict):
    """SQLite would not give the write lock to a transaction that had read an older state: run it again."""


def sign_up_retrying(session, v: Viewer, activity) -> SignUp:
    """``sign_up`` for an activity the caller may see, run again (found again) when SQLite was busy."""
    activity_id, first = activity.id, [activity]

    def work():
        return sign_up(session, v, activity_id, activity=first.pop() if first else get_visible(session, v, activity_id))

    return retrying(session, work)


def cancel_signup_retrying(session, user, activity_id):
    """``cancel_signup``, run again when SQLite was busy."""
    return retrying(session, lambda: cancel_signup(session, user, activity_id))


def retrying(session, work, attempts=8):
    """Run ``work()``; on ``Busy`` (SQLite only) roll back what it read and run it again, a little later.

    The caller's transaction must hold no write yet (sign-up and cancel start with their lock).
    """
    import time

    for attempt in range(attempts):
        try:
            return work()
        except Busy:
            if attempt == attempts - 1:
                raise
            session.rollback()
            time.sleep(0.02 * (attempt + 1))
    return None


def lock(session, activity_id) -> Activity:
    """Lock the activity's row for the rest of the transaction and return it, fresh.

    PostgreSQL: SELECT ... FOR UPDATE. SQLite has no row locks: an UPDATE first takes the database's
    write lock (what BEGIN IMMEDIATE would), so the counters read next cannot change under us.
    """
    if session.get_bind().dialect.name == "sqlite":
        try:
            session.execute(sa.update(Activity).where(Activity.id == activity_id)
                            .values(waitlist_seq=Activity.waitlist_seq).execution_options(synchronize_session=False))
        except OperationalError:
            # Another writer committed since this transaction first read: SQLite refuses the upgrade.
            raise Busy(_("Many people are signing up at this moment: please try again.")) from None
    activity = session.scalar(sa.select(Activity).where(Activity.id == activity_id).with_for_update()
                              .execution_options(populate_existing=True))
    if activity is None:
        raise NotFound(_("No such activity."))
    return activity


def _check_open(activity, v: Viewer, now):
    """Refuse a sign-up the activity is not open to, saying why."""
    if activity.status != "published":
        raise Conflict(_("This activity is not open for sign-up."))
    if activity.signup_opens_at and now < activity.signup_opens_at:
        raise Conflict(_("Sign-up has not opened yet."))
    if now >= (activity.signup_closes_at or activity.starts_at):
        raise Conflict(_("Sign-up has closed."))
    if activity.members_only and v.home is None:
        raise Forbidden(_("Only verified union members may sign up for this activity: join your union first."))


COUNTERS = (Activity.confirmed_count, Activity.waitlist_count, Activity.waitlist_seq)


@functools.cache
def _claims(members_only_refused):
    """The two conditional UPDATEs of a sign-up (built once: building costs more Python than running).

    Parameters ``aid`` and ``now``; each checks on the row it changes what ``_check_open`` checked on what
    was read before (``members_only_refused``: the viewer has no home, so a members-only activity is not
    open to them)."""
    now = sa.bindparam("now", type_=Activity.starts_at.type)
    is_open = sa.and_(Activity.id == sa.bindparam("aid"), Activity.status == "published",
                      sa.or_(Activity.signup_opens_at.is_(None), Activity.signup_opens_at <= now),
                      sa.or_(sa.and_(Activity.signup_closes_at.is_(None), Activity.starts_at > now),
                             Activity.signup_closes_at > now))
    if members_only_refused:
        is_open = sa.and_(is_open, Activity.members_only.is_(False))
    has_room = sa.or_(Activity.capacity.is_(None), Activity.confirmed_count < Activity.capacity)
    options = {"synchronize_session": False}
    take_place = (sa.update(Activity).where(is_open, has_room).values(confirmed_count=Activity.confirmed_count + 1)
                  .returning(*COUNTERS).execution_options(**options))
    join_waitlist = (sa.update(Activity).where(is_open, sa.not_(has_room))
                     .values(waitlist_seq=Activity.waitlist_seq + 1, waitlist_count=Activity.waitlist_count + 1)
                     .returning(*COUNTERS).execution_options(**options))
    return {"confirmed": take_place, "waitlisted": join_waitlist}


def _claim(session, activity, v: Viewer, now):
    """Take a place, else the next waitlist position: one conditional UPDATE ... RETURNING each.

    The UPDATE locks the activity's row (PostgreSQL) or the database (SQLite) until the transaction ends,
    and its WHERE is evaluated on the latest committed row: capacity holds whatever the concurrency.
    The one the row read before suggests runs first (a full activity: the waitlist), so that a sign-up
    usually takes one statement. Returns "confirmed" or "waitlisted" and sets the activity's counters to
    what the UPDATE left.
    """
    sqlite = session.get_bind().dialect.name == "sqlite"
    claims = _claims(v.home is None)
    full = activity.capacity is not None and activity.confirmed_count >= activity.capacity
    order = ("waitlisted", "confirmed") if full else ("confirmed", "waitlisted")
    params = {"aid": activity.id, "now": now}
    for _attempt in range(20):
        for status in order:
            try:
                row = session.execute(claims[status], params).first()
            except OperationalError:
                if not sqlite:
                    raise
                # Another writer committed since this transaction first read: SQLite refuses the upgrade.
                raise Busy(_("Many people are signing up at this moment: please try again.")) from None
            if row is not None:
                for column, value in zip(COUNTERS, row, strict=True):
                    set_committed_value(activity, column.key, value)
                return status
        # Neither: the activity closed (say why), or the row changed between the two statements (again).
        session.refresh(activity)
        _check_open(activity, v, now)
    raise Busy(_("Many people are signing up at this moment: please try again."))


@functools.cache
def _existing_stmt():
    return sa.select(SignUp).where(SignUp.activity_id == sa.bindparam("aid"), SignUp.user_id == sa.bindparam("uid"))


def sign_up(session, v: Viewer, activity_id, *, now=None, activity=None) -> SignUp:
    """Confirmed while places remain, else waitlisted with a position. The caller saw it already.

    Everything that can be checked is checked first, without a lock; then one conditional UPDATE takes
    the place (or a waitlist position) and locks the activity's row, and the sign-up row is written: the
    row stays locked for two statements and the commit, so the sign-ups of one activity queue briefly.
    """
    checked_at = now or utcnow()
    if activity is None or activity.id != activity_id:  # the views pass the one get_visible loaded
        activity = session.get(Activity, activity_id)
    if activity is None:
        raise NotFound(_("No such activity."))
    _check_open(activity, v, checked_at)
    existing = session.scalar(_existing_stmt(), {"aid": activity.id, "uid": v.user.id})
    if existing is not None and existing.status in LIVE_SIGNUP:
        raise Conflict(_("You are signed up already."))
    if existing is not None and existing.status == "removed":
        raise Conflict(_("The organiser removed you from this activity; ask them if this is a mistake."))
    status = _claim(session, activity, v, checked_at)
    now = now or utcnow()  # after the claim: the times of sign-ups follow the order they were served in
    if existing is not None:
        # Signing up again after cancelling (rare): read the row again under the lock the claim holds,
        # since a second request of the same person may have signed up meanwhile.
        session.refresh(existing)
        if existing.status != "cancelled":
            raise Conflict(_("You are signed up already."))
    signup = existing or SignUp(activity_id=activity.id, user_id=v.user.id, root_id=activity.root_id)
    signup.home_tenant_id = v.home.id if v.home else None
    signup.created_at, signup.cancelled_at, signup.checked_in_at = now, None, None
    if status == "confirmed":
        signup.status, signup.position, signup.confirmed_at = "confirmed", None, now
    else:
        signup.status, signup.position, signup.confirmed_at = "waitlisted", activity.waitlist_seq, None
    signup.rank = activity.waitlist_count if signup.status == "waitlisted" else None
    session.add(signup)
    try:
        session.flush()
    except IntegrityError:  # the same person twice at once: the request is rolled back, counters included
        raise Conflict(_("You are signed up already.")) from None
    return signup


def cancel_signup(session, user, activity_id, *, now=None) -> SignUp:
    """The member cancels: the place goes to the first on the waitlist."""
    now = now or utcnow()
    activity = lock(session, activity_id)
    signup = session.scalar(sa.select(SignUp).where(SignUp.activity_id == activity.id, SignUp.user_id == user.id,
                                                    SignUp.status.in_(LIVE_SIGNUP)))
    if signup is None:
        raise NotFound(_("You are not signed up for this activity."))
    if activity.status == "published" and now >= activity.starts_at:
        raise Conflict(_("The activity has started: it is too late to cancel."))
    _release(session, activity, signup, "cancelled", now)
    return signup


def remove_signup(session, actor, activity, signup_id, *, now=None) -> SignUp:
    """The organiser removes someone; they are told, and the place goes to the waitlist."""
    now = now or utcnow()
    activity = lock(session, activity.id)
    signup = session.scalar(sa.select(SignUp).where(SignUp.id == signup_id, SignUp.activity_id == activity.id))
    if signup is None:
        raise NotFound(_("No such sign-up."))
    if signup.status not in LIVE_SIGNUP:
        raise Conflict(_("This person is no longer signed up."))
    _release(session, activity, signup, "removed", now)
    notify(session, [signup.user_id], activity, "removed")
    record(session, action="activity.remove_signup", actor=actor, tenant=session.get(Tenant, activity.tenant_id),
           target=str(activity.id), detail={"signup": signup.id, "user": signup.user_id})
    return signup


def _release(session, activity, signup, status, now):
    was = signup.status
    signup.status, signup.cancelled_at = status, now
    if was == "confirmed":
        activity.confirmed_count -= 1
    else:
        activity.waitlist_count -= 1
    session.flush()
    if was == "confirmed" and activity.status == "published":
        promote(session, activity, now=now)


def promote(session, activity, *, now=None) -> list[SignUp]:
    """Confirm the first on the waitlist while places remain (the activity is locked by the caller)."""
    now = now or utcnow()
    free = None if activity.capacity is None else activity.capacity - activity.confirmed_count
    if free is not None and free <= 0 or not activity.waitlist_count:
        return []
    stmt = (sa.select(SignUp).where(SignUp.activity_id == activity.id, SignUp.status == "waitlisted")
            .order_by(SignUp.position))
    if free is not None:
        stmt = stmt.limit(free)
    promoted = list(session.scalars(stmt))
    for signup in promoted:
        signup.status, signup.confirmed_at = "confirmed", now
    activity.confirmed_count += len(promoted)
    activity.waitlist_count -= len(promoted)
    session.flush()
    notify(session, [s.user_id for s in promoted], activity, "promoted")
    return promoted


# --- notifications: to the participants' inboxes ------------------------------------------------

for _kind, _title in NOTIFICATION_KINDS.items():
    inbox.kind(f"activity.{_kind}", _title)


def _about(activity):
    return {"params": {"title": activity.title}, "link": f"/activities/{activity.id}",
            "subject": ("activity", activity.id), "root_id": activity.root_id}


def notify(session, user_ids, activity, kind, body=""):
    """Tell ``user_ids`` what happened to their sign-up (``kind``: see ``NOTIFICATION_KINDS``)."""
    return inbox.notify(session, user_ids, f"activity.{kind}", body=body, **_about(activity))


def notify_signed_up(session, activity, kind, *, statuses=("confirmed",), body="") -> int:
    """One INSERT ... SELECT: a notification to everyone signed up with one of ``statuses``."""
    signed_up = sa.select(SignUp.user_id).where(SignUp.activity_id == activity.id, SignUp.status.in_(statuses))
    return inbox.notify_select(session, signed_up, f"activity.{kind}", body=body, **_about(activity))


def message_confirmed(session, actor, activity, body) -> int:
    if activity.status != "published":
        raise Conflict(_("Messages go to the confirmed participants of a published activity."))
    sent = notify_signed_up(session, activity, "message", body=body)
    record(session, action="activity.message", actor=actor, tenant=session.get(Tenant, activity.tenant_id),
           target=str(activity.id), detail={"sent": sent})
    return sent


# --- measures ------------------------------------------------------------------------------------

def signups_stmt(activity, *, status=None):
    stmt = (sa.select(SignUp).options(joinedload(SignUp.user), joinedload(SignUp.home_tenant))
            .where(SignUp.activity_id == activity.id))
    if status:
        stmt = stmt.where(SignUp.status == status)
    order = sa.case((SignUp.status == "confirmed", 0), (SignUp.status == "waitlisted", 1), else_=2)
    return stmt.order_by(order, SignUp.position, SignUp.created_at, SignUp.id)


def measures(session, activity, *, now=None) -> dict:
    """Sign-ups, waitlist, check-ins, no-shows (two grouped queries), and sign-ups by union (one)."""
    now = now or utcnow()
    counts = dict(session.execute(sa.select(SignUp.status, sa.func.count()).where(
        SignUp.activity_id == activity.id).group_by(SignUp.status)).all())
    checked_in = session.scalar(sa.select(sa.func.count()).where(
        SignUp.activity_id == activity.id, SignUp.status == "confirmed", SignUp.checked_in_at.is_not(None)))
    confirmed = counts.get("confirmed", 0)
    by_union = session.execute(
        sa.select(Tenant.slug, Tenant.name, sa.func.count(SignUp.id),
                  sa.func.count(SignUp.checked_in_at))
        .select_from(SignUp).outerjoin(Tenant, Tenant.id == SignUp.home_tenant_id)
        .where(SignUp.activity_id == activity.id, SignUp.status.in_(LIVE_SIGNUP))
        .group_by(Tenant.slug, Tenant.name).order_by(sa.func.count(SignUp.id).desc(), Tenant.name)).all()
    return {
        "signups": confirmed + counts.get("waitlisted", 0),
        "confirmed": confirmed,
        "waitlisted": counts.get("waitlisted", 0),
        "cancelled": counts.get("cancelled", 0) + counts.get("removed", 0),
        "checked_in": checked_in,
        "no_shows": confirmed - checked_in if activity.ends_at <= now else 0,
        "by_union": [{"tenant": slug, "name": name, "signups": n, "checked_in": c} for slug, name, n, c in by_union],
    }


def reminder_window(now):
    """Activities starting within the next day get their reminder."""
    return now, now + timedelta(days=1)


# --- cover image ---------------------------------------------------------------------------------

MAX_COVER_BYTES = 2 * 1024 * 1024
COVER_KINDS = (files.PNG, files.JPEG, files.WEBP)


def save_cover(session, actor, activity, storage, max_bytes=MAX_COVER_BYTES) -> int:
    """Check and store an uploaded cover (its type proved by its content); the old one is deleted."""
    upload = files.check(storage, COVER_KINDS, max_bytes=max_bytes, field="cover",
                         refused=_("Upload a PNG, JPEG or WebP image."))
    old, activity.cover_id = activity.cover_id, files.save_upload(session, upload).id
    session.flush()
    files.delete(session, old)
    return activity.cover_id


# --- check-in ------------------------------------------------------------------------------------

CODE_PERIOD = 30  # seconds: the QR on the organiser's screen changes this often
CODE_MAX_AGE = 2 * CODE_PERIOD  # a code scanned just before it changed still works
CHECKIN_OPENS_BEFORE = timedelta(hours=2)


def _serializer(secret, salt):
    from itsdangerous import URLSafeTimedSerializer

    return URLSafeTimedSerializer(secret, salt=salt)


def checkin_code(secret, activity, now_ts=None) -> tuple[str, int]:
    """The code to show now, and the seconds until the screen shows the next one.

    Signed (itsdangerous, with the signing time), tied to the activity; accepted for CODE_MAX_AGE seconds.
    """
    import time

    now_ts = time.time() if now_ts is None else now_ts
    return _serializer(secret, "activity-checkin").dumps({"a": activity.id}), CODE_PERIOD - int(now_ts % CODE_PERIOD)


def ticket_code(secret, signup) -> str:
    """A member's ticket: the organiser scans it. Signed, names the sign-up and its holder."""
    return _serializer(secret, "activity-ticket").dumps({"s": signup.id, "u": signup.user_id})


def _load(secret, salt, code, max_age=None):
    from itsdangerous import BadSignature, SignatureExpired

    field = "code" if salt == "activity-checkin" else "ticket"
    try:
        return _serializer(secret, salt).loads(code, max_age=max_age)
    except SignatureExpired:
        raise ValidationFailed(_("This code has expired: scan the code on the screen again."),
                               errors={field: [_("Expired.")]}) from None
    except BadSignature:
        raise ValidationFailed(_("This is not a valid check-in code."), errors={field: [_("Not valid.")]}) from None


def _check_in_window(activity, now):
    if activity.status != "published":
        raise Conflict(_("This activity is not taking check-ins."))
    if now < activity.starts_at - CHECKIN_OPENS_BEFORE or now > activity.ends_at:
        raise Conflict(_("Check-in opens two hours before the start and closes at the end."))


def _mark_checked_in(session, signup, actor, now):
    """Atomic: only the first check-in of a sign-up counts; the second is a 409."""
    done = session.execute(sa.update(SignUp).where(SignUp.id == signup.id, SignUp.checked_in_at.is_(None))
                           .values(checked_in_at=now, checked_in_by_id=actor.id)
                           .execution_options(synchronize_session=False)).rowcount
    if not done:
        raise Conflict(_("Already checked in."))
    session.refresh(signup)
    return signup


def check_in_with_code(session, secret, user, activity, code, *, now=None) -> SignUp:
    """A confirmed member scanned the screen's code: check them in."""
    now = now or utcnow()
    data = _load(secret, "activity-checkin", code, max_age=CODE_MAX_AGE)
    if not isinstance(data, dict) or data.get("a") != activity.id:
        raise ValidationFailed(_("This code belongs to another activity."), errors={"code": [_("Not valid.")]})
    _check_in_window(activity, now)
    signup = session.scalar(sa.select(SignUp).where(SignUp.activity_id == activity.id, SignUp.user_id == user.id))
    if signup is None or signup.status != "confirmed":
        raise Forbidden(_("Only people with a confirmed place can check in."))
    return _mark_checked_in(session, signup, user, now)


def check_in_ticket(session, secret, actor, activity, ticket, *, now=None) -> SignUp:
    """An organiser scanned a member's ticket (the caller holds activity.manage: the view checked)."""
    now = now or utcnow()
    data = _load(secret, "activity-ticket", ticket)
    signup = session.scalar(sa.select(SignUp).options(joinedload(SignUp.user))
                            .where(SignUp.id == (data or {}).get("s"), SignUp.user_id == (data or {}).get("u")))
    if signup is None or signup.activity_id != activity.id:
        raise ValidationFailed(_("This ticket is for another activity."), errors={"ticket": [_("Not valid.")]})
    _check_in_window(activity, now)
    if signup.status != "confirmed":
        raise Conflict(_("This ticket's holder has no confirmed place (%(s)s).", s=signup.status_label))
    return _mark_checked_in(session, signup, actor, now)


# --- the member's own ---------------------------------------------------------------------------

def my_activities_stmt(user, *, upcoming_only=False, now=None):
    stmt = (sa.select(SignUp).options(joinedload(SignUp.activity).joinedload(Activity.tenant))
            .join(Activity, Activity.id == SignUp.activity_id)
            .where(SignUp.user_id == user.id, SignUp.status.in_(LIVE_SIGNUP)))
    if upcoming_only:
        stmt = stmt.where(Activity.ends_at >= (now or utcnow()))
    return stmt.order_by(Activity.starts_at, Activity.id)


def waitlist_ranks(session, signups) -> dict:
    """sign-up id -> rank on its waitlist, for a page of sign-ups: one grouped query."""
    ids = [s.id for s in signups if s.status == "waitlisted"]
    if not ids:
        return {}
    other = sa.orm.aliased(SignUp)
    rows = session.execute(
        sa.select(SignUp.id, sa.func.count(other.id)).join(other, sa.and_(
            other.activity_id == SignUp.activity_id, other.status == "waitlisted", other.position <= SignUp.position))
        .where(SignUp.id.in_(ids)).group_by(SignUp.id))
    return dict(rows.all())


# --- calendar ------------------------------------------------------------------------------------

def feed_token(secret, user) -> str:
    """The secret of a person's calendar feed: signed, names them, changes with their password."""
    from itsdangerous import URLSafeSerializer

    return URLSafeSerializer(secret, salt="activity-calendar").dumps([user.id, user.token_generation])


def feed_user(session, secret, token):
    from itsdangerous import BadSignature, URLSafeSerializer

    from union_saas.accounts.models import User

    try:
        user_id, generation = URLSafeSerializer(secret, salt="activity-calendar").loads(token)
    except (BadSignature, ValueError, TypeError):
        raise NotFound(_("No such calendar.")) from None
    user = session.get(User, user_id)
    if user is None or user.token_generation != generation or not user.active:
        raise NotFound(_("No such calendar."))
    return user


def feed_activities(session, user, *, now=None, limit=500):
    """The confirmed activities of ``user`` from 30 days ago on, for the feed."""
    since = (now or utcnow()) - timedelta(days=30)
    return list(session.scalars(
        sa.select(Activity).options(joinedload(Activity.tenant)).join(SignUp, SignUp.activity_id == Activity.id)
        .where(SignUp.user_id == user.id, SignUp.status == "confirmed", Activity.ends_at >= since)
        .order_by(Activity.starts_at).limit(limit)))


def ics(activities, *, host, name, url_for_activity, now=None) -> bytes:
    """An iCalendar document with one event per activity."""
    return calendars.document(name, (calendars.Entry(
        uid=f"activity-{a.id}@{host}", starts_at=a.starts_at, ends_at=a.ends_at, summary=a.title,
        description=a.description, location=a.location or a.online_url, url=url_for_activity(a),
        organizer=a.tenant.name, organizer_email=f"noreply@{host}", cancelled=a.status == "cancelled")
        for a in activities), now=now)


# --- reminders -----------------------------------------------------------------------------------

def due_reminders_stmt(now):
    """Published activities starting within a day whose reminder has not gone out."""
    start, end = reminder_window(now)
    return (sa.select(Activity).where(Activity.status == "published", Activity.reminded_at.is_(None),
                                      Activity.starts_at > start, Activity.starts_at <= end)
            .order_by(Activity.starts_at).with_for_update(skip_locked=True))


def send_reminder(session, activity, now=None) -> int:
    """Tell everyone confirmed; mark the activity so that the next run does not tell them again."""
    told = notify_signed_up(session, activity, "reminder")
    activity.reminded_at = now or utcnow()
    session.flush()
    return told
