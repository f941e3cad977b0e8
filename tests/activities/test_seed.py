"""The generated activities (``flask demo seed``, small scale): every invariant of the sign-up rules held by
the rows, and the app's own API working on them."""
from collections import Counter, defaultdict
from datetime import timedelta

import sqlalchemy as sa

from tests.conftest import module_seed
from union_saas.accounts.models import User
from union_saas.activities.models import CATEGORIES, Activity, SignUp
from union_saas.core.db import utcnow
from union_saas.core.inbox import Notification
from union_saas.demo_seed import SCALES
from union_saas.members.models import Follow, Membership
from union_saas.tenancy.models import Tenant

SMALL = SCALES["small"]


# one federation seeded for the module (seeding took longer than any of its tests); each test in a savepoint
seeded, built, db_session = module_seed("actseed", ("activities",))


def rows(session, *columns, where=None):
    stmt = sa.select(*columns)
    return session.execute(stmt if where is None else stmt.where(where)).all()


def test_counters_capacity_and_waitlist_positions_are_what_the_rules_leave(db_session, built):
    activities = {a.id: a for a in db_session.scalars(sa.select(Activity).where(Activity.root_id == built.root.id))}
    assert len(activities) == SMALL.options["activities"]
    signups = defaultdict(list)
    for s in db_session.scalars(sa.select(SignUp).where(SignUp.root_id == built.root.id)):
        signups[s.activity_id].append(s)
    total = sum(len(v) for v in signups.values())
    assert 0.9 * SMALL.options["signups"] <= total <= SMALL.options["signups"]
    waitlists = promoted = 0
    for activity_id, activity in activities.items():
        mine = signups.get(activity_id, [])
        status = Counter(s.status for s in mine)
        assert activity.confirmed_count == status["confirmed"], activity.id
        assert activity.waitlist_count == status["waitlisted"], activity.id
        if activity.capacity is not None:
            assert activity.confirmed_count <= activity.capacity
        else:
            assert activity.waitlist_seq == 0
        # Positions: handed out 1..waitlist_seq in the order people joined the waitlist, never twice.
        queued = sorted((s for s in mine if s.position is not None), key=lambda s: s.position)
        assert [s.position for s in queued] == list(range(1, activity.waitlist_seq + 1)), activity.id
        assert [s.created_at for s in queued] == sorted(s.created_at for s in queued)
        # Promotions go in order: everyone still waiting joined the waitlist after everyone promoted.
        waiting = [s.position for s in queued if s.status == "waitlisted"]
        moved_up = [s.position for s in queued if s.confirmed_at is not None]
        if waiting and moved_up:
            assert max(moved_up) < min(waiting)
        # A waitlist only forms on a full activity.
        if waiting:
            assert activity.confirmed_count == activity.capacity
        waitlists += bool(waiting)
        promoted += len(moved_up)
        for s in mine:
            if s.status == "confirmed":
                assert s.confirmed_at is not None and s.cancelled_at is None
            if s.status == "waitlisted":
                assert s.confirmed_at is None and s.position is not None
            if s.status in ("cancelled", "removed"):
                assert s.cancelled_at is not None and s.cancelled_at <= activity.starts_at
            if s.checked_in_at is not None:
                assert s.status == "confirmed" and activity.status == "published"
                assert activity.starts_at - timedelta(hours=2) <= s.checked_in_at <= activity.ends_at
        if activity.status == "draft":
            assert not mine and activity.published_at is None
    assert waitlists >= 1 and promoted >= 1
    assert len({(s.activity_id, s.user_id) for v in signups.values() for s in v}) == total


def test_sign_ups_come_from_people_who_could_see_the_activity_when_it_was_open(db_session, built):
    now = utcnow()
    tenants = {t.id: t for t in db_session.scalars(sa.select(Tenant).where(Tenant.root_id == built.root.id))}
    activities = {a.id: a for a in db_session.scalars(sa.select(Activity).where(Activity.root_id == built.root.id))}
    active = {m.user_id: m for m in db_session.scalars(
        sa.select(Membership).where(Membership.root_id == built.root.id, Membership.status == "active"))}
    following = {u for (u,) in rows(db_session, Follow.user_id, where=Follow.root_id == built.root.id)}
    followers_signed = 0
    for s in db_session.scalars(sa.select(SignUp).where(SignUp.root_id == built.root.id)):
        a = activities[s.activity_id]
        assert s.root_id == a.root_id and a.status != "draft"
        assert a.published_at <= s.created_at <= min(a.signup_closes_at or a.starts_at, now)
        if a.signup_opens_at:
            assert s.created_at >= a.signup_opens_at
        if a.cancelled_at:
            assert s.created_at <= a.cancelled_at
        m = active.get(s.user_id)
        if s.home_tenant_id is None:  # a follower without membership: only the open, federation-wide ones
            assert m is None and s.user_id in following
            assert a.scope == "platform" and not a.members_only
            followers_signed += 1
            continue
        assert m is not None and m.tenant_id == s.home_tenant_id and m.decided_at <= s.created_at
        home, publisher = tenants[s.home_tenant_id], tenants[a.tenant_id]
        if a.scope == "tenant":
            assert home.id == publisher.id
        elif a.scope == "subtree":
            assert home.path.startswith(publisher.path)
    assert followers_signed >= 1


def test_a_plausible_federation_of_activities(db_session, built):
    now = utcnow()
    activities = db_session.scalars(sa.select(Activity).where(Activity.root_id == built.root.id)).all()
    kinds = Counter(db_session.scalars(sa.select(Tenant.kind).join(Activity, Activity.tenant_id == Tenant.id)))
    assert {"federation", "street", "community", "enterprise"} <= set(kinds)
    assert {a.category for a in activities} == set(CATEGORIES)
    assert {a.scope for a in activities} == {"tenant", "subtree", "platform"}
    status = Counter(a.status for a in activities)
    assert status["published"] > 0.9 * len(activities) and status["cancelled"] >= 1
    assert any(a.series for a in activities) and any(a.capacity is None for a in activities)
    upcoming = [a for a in activities if a.status == "published" and now < a.starts_at <= now + timedelta(days=60)]
    assert len(upcoming) >= 5
    assert all(a.published_at <= now for a in activities if a.published_at)
    # Heavy tail: the busiest activities draw many times what a typical one does.
    sizes = sorted(db_session.scalars(sa.select(sa.func.count()).where(SignUp.root_id == built.root.id)
                                      .group_by(SignUp.activity_id)))
    assert sizes[-1] >= 10 * sizes[len(sizes) // 2]
    # Check-ins on most confirmed places of the activities held.
    held = db_session.execute(sa.select(sa.func.count(), sa.func.count(SignUp.checked_in_at))
                              .join(Activity, Activity.id == SignUp.activity_id)
                              .where(Activity.root_id == built.root.id, Activity.status == "published",
                                     Activity.ends_at < now, SignUp.status == "confirmed")).one()
    assert 0.6 * held[0] <= held[1] <= 0.97 * held[0]


def test_notifications_are_those_the_services_would_have_sent(db_session, built):
    kinds = dict(db_session.execute(sa.select(Notification.kind, sa.func.count())
                                    .join(Activity, Activity.id == Notification.subject_id)
                                    .where(Activity.root_id == built.root.id).group_by(Notification.kind)).all())
    promoted = db_session.scalar(sa.select(sa.func.count()).where(
        SignUp.root_id == built.root.id, SignUp.position.is_not(None), SignUp.confirmed_at.is_not(None)))
    removed = db_session.scalar(sa.select(sa.func.count()).where(SignUp.root_id == built.root.id,
                                                                 SignUp.status == "removed"))
    assert kinds.get("activity.promoted", 0) == promoted and kinds.get("activity.removed", 0) == removed
    told = db_session.scalar(sa.select(sa.func.count()).select_from(SignUp).join(Activity, Activity.id == SignUp.activity_id)
                             .where(Activity.root_id == built.root.id, Activity.status == "cancelled",
                                    SignUp.status.in_(("confirmed", "waitlisted"))))
    assert kinds.get("activity.cancelled", 0) == told
    # Reminders: every activity that has started was reminded, to those confirmed at the time.
    now = utcnow()
    started = db_session.scalars(sa.select(Activity).where(Activity.root_id == built.root.id,
                                                           Activity.status == "published", Activity.starts_at < now))
    for a in started:
        assert a.reminded_at is not None and a.starts_at - timedelta(days=1) <= a.reminded_at < a.starts_at
    assert kinds["activity.reminder"] > 0


def test_the_api_signs_a_member_up_for_a_seeded_upcoming_activity(db_session, built, api):
    now = utcnow()
    candidates = db_session.scalars(sa.select(Activity).where(
        Activity.root_id == built.root.id, Activity.status == "published", Activity.starts_at > now,
        Activity.capacity.is_not(None), Activity.scope.in_(("subtree", "platform")),
        sa.or_(Activity.signup_opens_at.is_(None), Activity.signup_opens_at < now),
        sa.or_(Activity.signup_closes_at.is_(None), Activity.signup_closes_at > now))
        .order_by((Activity.confirmed_count < Activity.capacity), Activity.id)).all()
    assert candidates
    activity = candidates[0]
    publisher = db_session.get(Tenant, activity.tenant_id)
    signed = sa.select(SignUp.user_id).where(SignUp.activity_id == activity.id)
    user = db_session.scalar(sa.select(User).join(Membership, Membership.user_id == User.id)
                             .join(Tenant, Tenant.id == Membership.tenant_id)
                             .where(Membership.status == "active", Tenant.path.startswith(publisher.path),
                                    User.id.not_in(signed)).limit(1))
    full = activity.confirmed_count >= activity.capacity
    seq, confirmed, waiting = activity.waitlist_seq, activity.confirmed_count, activity.waitlist_count
    response = api(user).post(f"/api/v1/activities/{activity.id}/signups")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    db_session.expire_all()
    activity = db_session.get(Activity, activity.id)
    row = db_session.get(SignUp, body["id"])
    if full:  # the next place on the waitlist: its rank after those waiting, the position after the last given
        assert body["status"] == "waitlisted" and body["position"] == waiting + 1
        assert row.position == activity.waitlist_seq == seq + 1 and activity.waitlist_count == waiting + 1
    else:
        assert body["status"] == "confirmed" and activity.confirmed_count == confirmed + 1
    again = api(user).post(f"/api/v1/activities/{activity.id}/signups")
    assert again.status_code == 409
    # The member's feed lists the seeded upcoming activities they may see.
    feed = api(user).get("/api/v1/activities?upcoming=1&per_page=50")
    assert feed.status_code == 200 and feed.get_json()["total"] >= 1
