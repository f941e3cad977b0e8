"""Delegation, as a property: random trees, users and sequences of grants and revokes by random actors
never leave anyone holding a permission that no chain of legitimate grants from a federation admin gave.

The reference model below is independent of the engine: it walks the tree by parent links (not paths)
and decides each operation itself. A grant is legitimate only if, when made, its granter held
``grant.manage`` and every permission of the role at that tenant through legitimate live grants.
Revoking a grant does not invalidate the grants it made (an office appoints, not a person). The first
admin of each federation is appointed by the platform operator. A grant is made *from a level*: the
tenant of the granter's nearest grant that lets them manage grants there (the federation for a first
admin); only someone who could have made it from that level, or the operator, revokes it, and never the
last grant through which anyone manages grants at its tenant.

After every step: (a) the live grants in the database are the model's; (b) ``engine.load_subject(...)
.can(...)`` agrees with the model for every user, tenant and permission; (c) nobody holds anything at a
tenant outside the federations of their own grants. Each operation's outcome (done, 403, 409, 422) is
predicted by the model too, and a refused one changes nothing (it runs in a savepoint rolled back, as
the request would be).

Then a deterministic test for each named rule, through the API.
"""
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from union_saas.access import engine, services
from union_saas.access.models import Grant
from union_saas.accounts.models import User
from union_saas.core.audit import AuditEntry
from union_saas.core.db import Base
from union_saas.core.errors import Conflict, Forbidden, ValidationFailed
from union_saas.extensions import db
from union_saas.tenancy import services as tenancy
from union_saas.tenancy.models import Tenant

CHILD_KINDS = ["street", "community", "enterprise", "social_org"]
UNKNOWN_ROLE = "no_such_role"


# --- the reference model ----------------------------------------------------------------------------

@dataclass
class MTenant:
    id: int
    parent: "MTenant | None"
    kind: str

    @property
    def root(self):
        node = self
        while node.parent is not None:
            node = node.parent
        return node

    def chain(self):
        """Itself and its ancestors, by parent links."""
        node, out = self, []
        while node is not None:
            out.append(node)
            node = node.parent
        return out


@dataclass
class MGrant:
    id: int
    user: int
    role: str
    tenant: MTenant
    granted_by: int | None
    live: bool = True
    level: "MTenant | None" = None  # made from there (None: its own tenant)


@dataclass
class Model:
    roles: dict  # name -> (permissions, kinds)
    tenants: dict = field(default_factory=dict)  # id -> MTenant
    grants: list = field(default_factory=list)

    def live(self):
        return [g for g in self.grants if g.live]

    def holds(self, user_id, permission, tenant):
        chain = {t.id for t in tenant.chain()}
        return any(g.user == user_id and g.tenant.id in chain and permission in self.roles[g.role][0]
                   for g in self.live())

    def may_hand_out(self, actor_id, role, tenant):
        perms = self.roles[role][0] | {"grant.manage"}
        return all(self.holds(actor_id, p, tenant) for p in perms)

    def reach(self, user_id):
        """Tenants at or below the user's live grants."""
        tops = {g.tenant.id for g in self.live() if g.user == user_id}
        return [t for t in self.tenants.values() if any(a.id in tops for a in t.chain())]

    def predict_grant(self, actor_id, user_id, role, tenant):
        if role not in self.roles or tenant.kind not in self.roles[role][1]:
            return "invalid"
        if not self.may_hand_out(actor_id, role, tenant):
            return "forbidden"
        if any(g.user == user_id and g.role == role and g.tenant.id == tenant.id for g in self.live()):
            return "conflict"
        return "done"

    def level_of(self, actor_id, tenant):
        """The tenant of the actor's nearest live grant giving grant.manage at ``tenant``."""
        for node in tenant.chain():
            mine = [g for g in self.live() if g.user == actor_id and g.tenant.id == node.id
                    and "grant.manage" in self.roles[g.role][0]]
            if mine:
                return node
        return tenant

    def predict_revoke(self, actor_id, grant, *, operator=False):
        if not grant.live:
            return "conflict"
        if not operator and not self.may_hand_out(actor_id, grant.role, grant.level or grant.tenant):
            return "forbidden"
        chain = {t.id for t in grant.tenant.chain()}
        if "grant.manage" in self.roles[grant.role][0] and not any(
                g is not grant and g.tenant.id in chain and "grant.manage" in self.roles[g.role][0]
                for g in self.live()):
            return "conflict"  # the last one managing grants there
        return "done"


# --- harness ----------------------------------------------------------------------------------------

@contextmanager
def example_scope():
    """One hypothesis example: everything it writes is undone before the next one."""
    connection = db.session.get_bind()
    savepoint = connection.begin_nested()
    try:
        yield db.session
    finally:
        db.session.remove()
        savepoint.rollback()
        engine.forget()


def attempt(session, operation, *args):
    """Run a service call as a request would: on a refusal, roll back to before it."""
    nested = session.begin_nested()
    try:
        result = operation(session, *args)
    except Forbidden:
        nested.rollback()
        return "forbidden", None
    except Conflict:
        nested.rollback()
        return "conflict", None
    except ValidationFailed:
        nested.rollback()
        return "invalid", None
    nested.commit()
    return "done", result
    # Any other exception is a bug and fails the test.


def live_grants_in_db(session):
    rows = session.execute(sa.select(Grant.id, Grant.user_id, Grant.role, Grant.tenant_id, Grant.granted_by_id,
                                     Grant.root_id).where(Grant.revoked_at.is_(None)))
    return {row[:5]: row[5] for row in rows}


def check_invariants(session, model, users, step):
    engine.forget()
    in_db = live_grants_in_db(session)
    # (a) the database's live grants are exactly the model's (legitimate) ones
    expected = {(g.id, g.user, g.role, g.tenant.id, g.granted_by) for g in model.live()}
    assert set(in_db) == expected, f"after {step}: live grants differ"
    for key, root_id in in_db.items():
        assert root_id == model.tenants[key[3]].root.id, f"after {step}: grant {key[0]} has a wrong root_id"
    paths = dict(session.execute(sa.select(Tenant.id, Tenant.path)).all())
    assert set(paths) == set(model.tenants)
    permissions = sorted(engine.policy().permissions)
    for user in users:
        subject = engine.load_subject(session, user)
        own_roots = {model.tenants[key[3]].root.id for key in in_db if key[1] == user.id}
        for tenant in model.tenants.values():
            for permission in permissions:
                actual = subject.can(permission, paths[tenant.id])
                # (b) the engine answers what the model derives from legitimate grants, walking the tree
                assert actual == model.holds(user.id, permission, tenant), (
                    f"after {step}: {user.username} {permission} at tenant {tenant.id}: engine says {actual}")
                # (c) nothing is held outside the federations of one's own grants
                if actual:
                    assert tenant.root.id in own_roots, f"after {step}: {user.username} holds {permission} abroad"


def audit_count(session):
    return session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(data=st.data())
def test_grants_and_revokes_only_ever_give_what_a_legitimate_chain_gave(data, app, db_session):
    policy = engine.policy()
    model = Model(roles={name: (role.permissions, role.kinds) for name, role in policy.roles.items()})
    role_names = sorted(policy.roles)
    with example_scope() as session:
        operator = User(username="operator", display_name="Operator", password_hash="x", is_operator=True)
        users = [User(username=f"user{i}", display_name=f"User {i}", password_hash="x")
                 for i in range(data.draw(st.integers(2, 5), label="users"))]
        session.add_all([operator, *users])
        session.flush()
        # Random trees: a few federations, each of random depth and branching.
        for f in range(data.draw(st.integers(1, 3), label="federations")):
            root = tenancy.create_federation(session, operator, slug=f"f{f}", name=f"Federation {f}")
            nodes = [(root, MTenant(root.id, None, "federation"), 0)]
            max_depth = data.draw(st.integers(1, 4), label="depth")
            for n in range(data.draw(st.integers(0, 7), label="size")):
                parent, mparent, depth = data.draw(st.sampled_from([x for x in nodes if x[2] < max_depth]),
                                                   label="parent")
                kind = data.draw(st.sampled_from(CHILD_KINDS), label="kind")
                child = tenancy.create_child(session, operator, parent, slug=f"f{f}-n{n}", name=f"Union {f}.{n}",
                                             kind=kind)
                nodes.append((child, MTenant(child.id, mparent, kind), depth + 1))
            for _t, mtenant, _d in nodes:
                model.tenants[mtenant.id] = mtenant
            first = data.draw(st.sampled_from(users), label="first admin")
            grant = services.appoint_first_admin(session, operator, root, first)
            model.grants.append(MGrant(grant.id, first.id, "federation_admin", model.tenants[root.id], operator.id,
                                       level=model.tenants[root.id]))
        session.flush()
        everyone = [operator, *users]
        by_id = {t.id: t for t in session.scalars(sa.select(Tenant))}
        check_invariants(session, model, everyone, "setup")

        for step in range(data.draw(st.integers(1, 12), label="steps")):
            holders = sorted({g.user for g in model.live()})
            if holders and data.draw(st.booleans(), label="actor holds a grant"):
                actor = data.draw(st.sampled_from([u for u in everyone if u.id in holders]), label="actor")
            else:
                actor = data.draw(st.sampled_from(everyone), label="actor")
            before = audit_count(session)
            if data.draw(st.sampled_from(["grant", "grant", "revoke"]), label="op") == "grant" or not model.grants:
                # Where: often where the actor's own grants are (or below), sometimes anywhere at all.
                tops = sorted({g.tenant.id for g in model.live() if g.user == actor.id})
                reach = sorted(t.id for t in model.reach(actor.id))
                where = data.draw(st.sampled_from(["own", "reach", "anywhere"]), label="where")
                pool = {"own": tops, "reach": reach}.get(where) or sorted(model.tenants)
                mtenant = model.tenants[data.draw(st.sampled_from(pool), label="tenant")]
                grantee = data.draw(st.sampled_from(users), label="grantee")
                # What: often a role that manages (the ones escalation is about), or one that fits the kind.
                fitting = [r for r in role_names if mtenant.kind in model.roles[r][1]]
                which = data.draw(st.sampled_from(["managing", "fitting", "any"]), label="which role")
                pool = {"managing": [r for r in fitting if "grant.manage" in model.roles[r][0]],
                        "fitting": fitting}.get(which) or role_names + [UNKNOWN_ROLE]
                role = data.draw(st.sampled_from(pool), label="role")
                expected = model.predict_grant(actor.id, grantee.id, role, mtenant)
                level = model.level_of(actor.id, mtenant) if expected == "done" else None
                tenant = by_id[mtenant.id]
                outcome, made = attempt(session, services.grant_role, actor, tenant, grantee, role)
                description = f"step {step}: {actor.username} grants {role} to {grantee.username} at {tenant.slug}"
                assert outcome == expected, f"{description}: {outcome}, model says {expected}"
                event(f"grant: {outcome}")
                if outcome == "done":
                    model.grants.append(MGrant(made.id, grantee.id, role, mtenant, actor.id, level=level))
            else:
                mgrant = data.draw(st.sampled_from(model.grants), label="grant to revoke")
                expected = model.predict_revoke(actor.id, mgrant, operator=actor.is_operator)
                row = session.get(Grant, mgrant.id)
                outcome, _ = attempt(session, services.revoke, actor, row)
                description = f"step {step}: {actor.username} revokes grant {mgrant.id} ({mgrant.role})"
                assert outcome == expected, f"{description}: {outcome}, model says {expected}"
                event(f"revoke: {outcome}")
                if outcome == "done":
                    mgrant.live = False
            # A change leaves one audit entry; a refusal leaves the database as it was.
            assert audit_count(session) == before + (outcome == "done"), description
            check_invariants(session, model, everyone, description)


# --- the named rules, one by one, through the API ---------------------------------------------------

@pytest.fixture
def fed(make_tree, make_user, grant, db_session):
    tenants = make_tree("a/a-s1/a-s1-c1", "a/a-s2")
    boss = make_user("boss")
    boss_grant = grant(boss, "federation_admin", tenants["a"])
    deputy = make_user("deputy")  # union admin at the root: everything but the federation admin's extras
    grant(deputy, "union_admin", tenants["a"], granted_by=boss)
    street = make_user("street")
    street_grant = grant(street, "union_admin", tenants["a-s1"], granted_by=boss)
    sibling = make_user("sibling")
    grant(sibling, "union_admin", tenants["a-s2"], granted_by=boss)
    plain = make_user("plain")
    # As in production, the request starts from committed rows (a refusal rolls the request back).
    db_session.commit()
    return {"tenants": tenants, "boss": boss, "boss_grant": boss_grant, "deputy": deputy, "street": street,
            "street_grant": street_grant, "sibling": sibling, "plain": plain}


def snapshot(session):
    """(every row of every table but the audit log, the audit log's (id, action) rows); the sign-in
    sessions the test's clients open are not the data under test."""
    tables = {}
    for table in Base.metadata.sorted_tables:
        if table.name not in (AuditEntry.__tablename__, "auth_session"):
            tables[table.name] = session.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
    audit = session.execute(sa.select(AuditEntry.id, AuditEntry.action).order_by(AuditEntry.id)).all()
    return tables, audit


def test_escalation_is_refused_with_403_and_only_the_refusal_is_written(fed, api, db_session):
    rows_before, audit_before = snapshot(db_session)
    response = api(fed["deputy"]).post("/api/v1/tenants/a/grants",
                                       json={"username": "plain", "role": "federation_admin"})
    assert response.status_code == 403, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert "member.view_sensitive" in response.get_json()["errors"]["role"][0]
    rows_after, audit_after = snapshot(db_session)
    assert rows_after == rows_before
    new = audit_after[len(audit_before):]
    assert audit_after[:len(audit_before)] == audit_before
    assert [action for _id, action in new] == ["grant.create.refused"]
    entry = db_session.get(AuditEntry, new[0][0])
    assert entry.actor_id == fed["deputy"].id and entry.target == "plain"
    assert entry.detail["role"] == "federation_admin" and "member.view_sensitive" in entry.detail["missing"]
    assert not engine.load_subject(db_session, fed["plain"]).can("member.view", fed["tenants"]["a"].path)


def test_a_sibling_admin_gets_404_and_changes_nothing(fed, api, db_session):
    before = snapshot(db_session)
    client = api(fed["sibling"])
    assert client.post("/api/v1/tenants/a-s1/grants",
                       json={"username": "plain", "role": "activity_organizer"}).status_code == 404
    assert client.get("/api/v1/tenants/a-s1/grants").status_code == 404
    assert client.delete(f"/api/v1/grants/{fed['street_grant'].id}").status_code == 404
    assert client.get("/api/v1/tenants/a-s1/access/explain?username=street&permission=grant.manage").status_code == 404
    assert snapshot(db_session) == before


def test_revoking_a_more_powerful_grant_is_refused(fed, api, db_session):
    rows_before, audit_before = snapshot(db_session)
    response = api(fed["deputy"]).delete(f"/api/v1/grants/{fed['boss_grant'].id}")
    assert response.status_code == 403, response.get_data(as_text=True)
    rows_after, audit_after = snapshot(db_session)
    assert rows_after == rows_before  # the federation admin's grant is still live
    assert [a for _i, a in audit_after[len(audit_before):]] == ["grant.revoke.refused"]
    # A street admin cannot even see the grant above them.
    assert api(fed["street"]).delete(f"/api/v1/grants/{fed['boss_grant'].id}").status_code == 404
    assert engine.load_subject(db_session, fed["boss"]).can("member.view_sensitive", fed["tenants"]["a"].path)


def test_a_revoked_granters_appointments_stand(fed, api, make_user, db_session):
    """An office appoints, not a person: revoking the granter leaves what they granted."""
    officer = make_user("officer")
    assert api(fed["street"]).post("/api/v1/tenants/a-s1-c1/grants",
                                   json={"username": "officer", "role": "union_officer"}).status_code == 201
    assert api(fed["boss"]).delete(f"/api/v1/grants/{fed['street_grant'].id}").status_code == 204
    subject = engine.load_subject(db_session, officer)
    assert subject.can("member.view", fed["tenants"]["a-s1-c1"].path)
    assert not subject.can("member.view", fed["tenants"]["a-s1"].path)
    assert not engine.load_subject(db_session, fed["street"]).can("grant.manage", fed["tenants"]["a-s1"].path)
