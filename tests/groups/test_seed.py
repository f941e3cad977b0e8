"""The generated groups (``flask demo seed``, small scale): what the services would have left, and the app's
own API working on them."""
from collections import Counter, defaultdict

import sqlalchemy as sa

from tests.conftest import module_seed
from union_saas.activities.models import Activity
from union_saas.core.inbox import Notification
from union_saas.demo_seed import SCALES
from union_saas.groups import services
from union_saas.groups.models import AwardRound, Group, GroupMember, Nomination, Score

SMALL = SCALES["small"]


# one federation seeded for the module (seeding took longer than any of its tests); each test in a savepoint
seeded, built, db_session = module_seed("grpseed", ("activities", "groups"))


def test_groups_members_and_counters_are_what_the_rules_leave(db_session, built):
    groups = {g.id: g for g in db_session.scalars(sa.select(Group).where(Group.root_id == built.root.id))}
    assert len(groups) >= 8
    kinds = Counter(g.kind for g in groups.values())
    assert kinds["institutional"] and kinds["individual"]
    rows = defaultdict(list)
    for m in db_session.scalars(sa.select(GroupMember).where(GroupMember.group_id.in_(groups))):
        rows[m.group_id].append(m)
    names = Counter((g.tenant_id, g.name_key) for g in groups.values() if g.status != "rejected")
    assert max(names.values()) == 1
    for gid, g in groups.items():
        mine = rows[gid]
        assert len({m.user_id for m in mine}) == len(mine)
        assert g.members_count == sum(m.status == "active" for m in mine)
        founder = next(m for m in mine if m.user_id == g.founder_id)
        assert (founder.status, founder.role) == ("active", "organiser")
        assert all(m.status == "active" for m in mine if m.role == "organiser")
        if g.kind == "institutional":
            assert g.status in ("active", "archived") and g.decided_at is None
        if g.status in ("pending", "rejected"):
            assert len(mine) == 1
        if g.scope != "platform":
            assert g.reach is None
        if g.status == "archived":
            assert g.archive_reason and g.archived_at
    # The inbox holds every decision.
    told = Counter((n.kind, n.subject_id) for n in db_session.scalars(
        sa.select(Notification).where(Notification.root_id == built.root.id, Notification.kind.like("group.%"))))
    for gid, g in groups.items():
        if g.kind == "individual" and g.status != "pending":
            assert told[("group.approved" if g.status != "rejected" else "group.rejected", gid)] == 1


def test_group_activities_are_published_by_its_organisers(db_session, built, app):
    from union_saas.accounts.models import User

    linked = list(db_session.scalars(sa.select(Activity).where(Activity.root_id == built.root.id,
                                                               Activity.group_id.is_not(None))))
    assert linked
    for activity in linked[:40]:
        group = db_session.scalar(sa.select(Group).options(sa.orm.joinedload(Group.tenant))
                                  .where(Group.id == activity.group_id))
        assert activity.tenant_id == group.tenant_id and not activity.group_only
        assert group.status in ("active", "archived")
        assert services.is_organiser(db_session, db_session.get(User, activity.created_by_id), group)


def test_the_award_round_is_what_publication_leaves(db_session, built):
    rnd = db_session.scalar(sa.select(AwardRound).where(AwardRound.root_id == built.root.id))
    rnd = services.load_round(db_session, rnd.id)
    assert rnd.phase() == "published" and rnd.published_at <= built.now
    noms = list(db_session.scalars(sa.select(Nomination).where(Nomination.round_id == rnd.id)))
    assert noms
    ranked = services.results(db_session, rnd, now=rnd.published_at)
    fixed = {n.id: (n.rank, n.mean, n.awarded) for n in noms}
    for category in ranked:
        for r in category["nominations"]:
            assert fixed[r["nomination"]] == (r["rank"], r["mean"], r["awarded"])
            group = r["record"].group
            assert group.kind == category["kind"]
    # a juror never scored a group they belong to
    for score in db_session.scalars(sa.select(Score).join(Nomination).where(Nomination.round_id == rnd.id)):
        nomination = db_session.get(Nomination, score.nomination_id)
        assert not services.is_member(db_session, type("U", (), {"id": score.juror_id, "is_authenticated": True})(),
                                      nomination.group_id)
    winners = sum(n.awarded for n in noms)
    awarded_notes = db_session.scalar(sa.select(sa.func.count()).select_from(Notification).where(
        Notification.kind == "award.awarded", Notification.subject_id == rnd.id))
    assert winners and awarded_notes >= winners


def test_the_api_works_on_the_seeded_groups(db_session, built, api):
    from union_saas.accounts.models import User
    from union_saas.members.models import Membership

    # a group member who is a member of a union too: the round's results are for the federation's members
    member = db_session.scalar(sa.select(GroupMember).join(Group).where(
        Group.root_id == built.root.id, Group.status == "active", GroupMember.status == "active",
        GroupMember.user_id.in_(sa.select(Membership.user_id).where(Membership.status == "active")))
        .order_by(GroupMember.id))
    user = db_session.get(User, member.user_id)
    client = api(user)
    assert client.get(f"/api/v1/groups/{member.group_id}").status_code == 200
    assert member.group_id in [g["id"] for g in client.get("/api/v1/groups?joined=1&per_page=200").json["items"]]
    rnd = db_session.scalar(sa.select(AwardRound.id).where(AwardRound.root_id == built.root.id))
    assert client.get(f"/api/v1/award-rounds/{rnd}/results").status_code == 200
