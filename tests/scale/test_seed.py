"""The generated federation: the small scale built for real, then checked against direct counts."""
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa
from werkzeug.security import check_password_hash

from tests.conftest import _password_hash
from union_saas.access import engine
from union_saas.access.models import Grant
from union_saas.accounts.models import User
from union_saas.demo_seed import PASSWORD, SCALES, seed, steps
from union_saas.members.models import Follow, Membership
from union_saas.tenancy.models import Tenant, segment

SMALL = SCALES["small"]


@pytest.fixture
def built(db_session):
    ctx = seed(db_session, SMALL, slug="seedtest", password_hash=_password_hash())
    db_session.flush()
    return ctx


def test_the_tree_is_consistent(db_session, built):
    tenants = db_session.execute(sa.select(Tenant.id, Tenant.parent_id, Tenant.root_id, Tenant.path, Tenant.depth,
                                           Tenant.kind, Tenant.children_count, Tenant.slug)).all()
    assert 200 <= len(tenants) <= 600
    by_id = {t.id: t for t in tenants}
    children = Counter(t.parent_id for t in tenants if t.parent_id is not None)
    root = built.root.id
    for t in tenants:
        if t.parent_id is None:
            assert (t.path, t.depth, t.root_id, t.kind) == (f"/{segment(t.id)}/", 0, t.id, "federation")
        else:
            parent = by_id[t.parent_id]
            assert t.path == parent.path + segment(t.id) + "/"
            assert t.depth == parent.depth + 1
            assert t.root_id == root
        assert t.children_count == children.get(t.id, 0), t.slug
    depths = Counter(t.depth for t in tenants)
    assert max(depths) == 5  # six levels: federation down to a large enterprise's teams
    kinds = Counter(t.kind for t in tenants)
    assert kinds["street"] == SMALL.streets and kinds["social_org"] == SMALL.social_orgs
    assert kinds["enterprise"] > SMALL.enterprises  # branches and teams on top
    assert len({t.slug for t in tenants}) == len(tenants)


def test_people_memberships_and_follows_match_the_scale(db_session, built):
    count = lambda stmt: db_session.scalar(sa.select(sa.func.count()).select_from(stmt))
    assert db_session.scalar(sa.select(sa.func.count()).select_from(User)) == SMALL.users
    status = dict(db_session.execute(sa.select(Membership.status, sa.func.count()).group_by(Membership.status)).all())
    assert status == {"active": SMALL.members, "pending": SMALL.pending, "closed": SMALL.closed,
                      "rejected": SMALL.rejected}
    # At most one active and one pending membership per user (the indexes hold them too).
    for state in ("active", "pending"):
        per_user = sa.select(Membership.user_id).where(Membership.status == state).group_by(Membership.user_id) \
            .having(sa.func.count() > 1).subquery()
        assert count(per_user) == 0
    # Pending and rejected requests come from users without an active membership.
    active_users = sa.select(Membership.user_id).where(Membership.status == "active")
    assert count(sa.select(Membership.id).where(Membership.status.in_(["pending", "rejected"]),
                                                Membership.user_id.in_(active_users)).subquery()) == 0
    followers = db_session.scalar(sa.select(sa.func.count(sa.distinct(Follow.user_id))))
    assert followers == SMALL.followers
    # root_id everywhere matches the tenant's.
    for model in (Membership, Follow, Grant):
        wrong = sa.select(model.id).join(Tenant, Tenant.id == model.tenant_id) \
            .where(model.root_id != Tenant.root_id).subquery()
        assert count(wrong) == 0
    # The federation's own row draws no members; enterprises draw the most, a few of them very many.
    sizes = Counter(db_session.scalars(sa.select(Membership.tenant_id).where(Membership.status == "active")))
    assert built.root.id not in sizes
    assert max(sizes.values()) >= 10 * (SMALL.members / len(built.tenants))


def test_grants_give_the_administrators_their_trees(app, db_session, built):
    grants = db_session.execute(sa.select(Grant.role, Tenant.kind).join(Tenant, Tenant.id == Grant.tenant_id)).all()
    roles = Counter(grants)
    assert roles[("federation_admin", "federation")] == 1
    assert roles[("union_admin", "street")] == SMALL.streets
    assert roles[("union_admin", "community")] >= 1
    assert roles[("union_officer", "enterprise")] >= 1
    fed_admin = db_session.scalar(sa.select(User).where(User.username == "seedtest-admin"))
    street_admin = db_session.scalar(sa.select(User).where(User.username == "seedtest-s01-admin"))
    assert check_password_hash(fed_admin.password_hash, "correct horse battery staple")
    street = db_session.scalar(sa.select(Tenant).where(Tenant.slug == "seedtest-s01"))
    other_street = db_session.scalar(sa.select(Tenant).where(Tenant.slug == "seedtest-s02"))
    deep = db_session.scalar(sa.select(Tenant).where(Tenant.path.startswith(street.path)).order_by(Tenant.depth.desc())
                             .limit(1))
    with app.test_request_context():
        assert engine.can(street_admin, "member.view", deep)
        assert not engine.can(street_admin, "member.view", other_street)
        assert engine.can(fed_admin, "grant.manage", other_street)


def test_the_same_seed_builds_the_same_rows(db_session, built):
    first = db_session.execute(sa.select(Tenant.slug, Tenant.name, Tenant.path).order_by(Tenant.id)).all()
    names = db_session.execute(sa.select(User.username, User.display_name, User.phone).order_by(User.id)
                               .limit(50)).all()
    homes = db_session.execute(sa.select(Membership.user_id, Membership.tenant_id).order_by(Membership.id)
                               .limit(200)).all()
    again = seed(db_session, SMALL, slug="seedtest2", password_hash=_password_hash())
    offset = again.root.id - built.root.id
    user_offset = again.user_ids[0] - built.user_ids[0]
    second = db_session.execute(sa.select(Tenant.slug, Tenant.name, Tenant.id).where(Tenant.root_id == again.root.id)
                                .order_by(Tenant.id)).all()
    assert [(s.replace("seedtest2", "seedtest"), n) for s, n, _id in second] == [(s, n) for s, n, _p in first]
    names2 = db_session.execute(sa.select(User.username, User.display_name, User.phone)
                                .where(User.id >= again.user_ids[0]).order_by(User.id).limit(50)).all()
    assert [(u.replace("seedtest2", "seedtest"), n) for u, n, _p in names2] == [(u, n) for u, n, _p in names]
    homes2 = db_session.execute(sa.select(Membership.user_id, Membership.tenant_id)
                                .where(Membership.root_id == again.root.id).order_by(Membership.id).limit(200)).all()
    assert [(u - user_offset, t - offset) for u, t in homes2] == list(homes)


def test_seeding_over_an_existing_federation_is_refused(db_session, built):
    with pytest.raises(ValueError, match="exists already"):
        seed(db_session, SMALL, slug="seedtest", password_hash=_password_hash())


def test_later_modules_add_steps_from_their_seed_module(monkeypatch):
    import sys
    import types

    module = types.ModuleType("union_saas.fakedomain.seed")
    later = lambda ctx: None
    module.SEED_STEPS = [(45, later)]
    monkeypatch.setitem(sys.modules, "union_saas.fakedomain", types.ModuleType("union_saas.fakedomain"))
    monkeypatch.setitem(sys.modules, "union_saas.fakedomain.seed", module)
    names = [fn.__name__ for fn in steps(("tenancy", "fakedomain"))]
    assert names == ["step_tenants", "step_users", "step_memberships", "step_follows", "<lambda>", "step_grants"]


def test_the_cli_builds_the_small_federation(app, db_session, monkeypatch):
    from union_saas import demo_seed

    monkeypatch.setitem(demo_seed.SCALES, "small", demo_seed.Scale(**{**SMALL.__dict__, "users": 400,
                                                                      "followers": 300, "members": 200}))
    monkeypatch.setattr(demo_seed, "DEFAULT_SLUG", "clitest")
    result = app.test_cli_runner().invoke(args=["demo", "seed", "--scale", "small", "--no-vacuum"])
    assert result.exit_code == 0, result.output
    assert "clitest (small) built" in result.output and PASSWORD in result.output
    assert db_session.scalar(sa.select(sa.func.count()).select_from(User)) == 400
    again = app.test_cli_runner().invoke(args=["demo", "seed", "--scale", "small", "--no-vacuum"])
    assert again.exit_code != 0 and "exists already" in again.output


def test_memberships_carry_real_name_data_and_a_share_is_verified_on_the_rosters(app, db_session, built):
    from union_saas.members import crypto, identity
    from union_saas.members.models import RosterEntry

    memberships = db_session.scalars(sa.select(Membership).where(Membership.root_id == built.root.id)).all()
    users = {u.id: u for u in db_session.scalars(sa.select(User).where(User.id.in_(built.user_ids)))}
    roster = {(r.tenant_id, r.id_hash): r for r in db_session.scalars(
        sa.select(RosterEntry).where(RosterEntry.root_id == built.root.id))}
    by_id = {m.id: m for m in memberships}
    numbers = {}
    for m in memberships:
        number = crypto.decrypt_id(m.id_cipher)
        assert identity.id_problem(number) is None and identity.phone_problem(m.phone) is None
        assert m.id_hash == crypto.id_hash(number) and m.id_masked == identity.mask_id(number)
        assert numbers.setdefault(m.user_id, number) == number  # one person, one ID number
        assert m.real_name == users[m.user_id].display_name
        assert m.created_at >= users[m.user_id].created_at
        assert m.decided_at is None if m.status == "pending" else m.decided_at >= m.created_at
        entry = roster.pop((m.tenant_id, m.id_hash), None) if m.status == "active" else None
        if m.verified_at is not None:  # on the union's roster under this name, linked to the account
            assert m.status == "active" and m.verified_at >= m.created_at
            assert (entry.name, entry.user_id) == (m.real_name, m.user_id) and entry.created_at <= m.verified_at
        else:
            assert entry is None
        if m.kind == "transfer":
            old = by_id[m.from_membership_id]
            assert (old.user_id, old.status, old.decided_at) == (m.user_id, "closed", m.decided_at)
            assert old.created_at < m.created_at
    assert len(set(numbers.values())) == len(numbers)
    assert all(r.user_id is None for r in roster.values()) and roster  # people on a roster with no account yet
    active = [m for m in memberships if m.status == "active"]
    share = sum(m.verified_at is not None for m in active) / len(active)
    assert 0.6 < share < 0.75
    assert sum(m.kind == "transfer" for m in active) == SMALL.closed
    assert not any(db_session.get(Tenant, m.tenant_id).kind == "social_org" for m in memberships[:200])


def test_a_plausible_share_of_users_signed_in_lately(db_session, built):
    from union_saas.core.db import utcnow

    since = utcnow() - timedelta(days=30)
    users = db_session.execute(sa.select(User.created_at, User.last_login_at).where(User.id.in_(built.user_ids))).all()
    recent = sum(1 for _c, last in users if last is not None and last >= since)
    assert 0.3 < recent / len(users) < 0.5
    assert all(last is None or created <= last <= utcnow() for created, last in users)
