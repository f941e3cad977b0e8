"""Transfers across the tree: pending at the target, the old membership closed on approval, history kept;
never two active memberships, even when requests race (PostgreSQL, real threads, real commits)."""
import os
import threading

import pytest
import sqlalchemy as sa

from tests.members.conftest import person
from union_saas.members.models import Membership


def test_member_asks_to_transfer_across_branches_and_approval_closes_the_old(make_tree, make_user, make_applicant,
                                                                            grant, api, db_session):
    tree = make_tree("fed/east/factory", "fed/west/shop")
    worker, target_admin = make_user(), make_user()
    grant(target_admin, "union_admin", tree["west"])
    old = make_applicant(tree["factory"], "active", user=worker)
    response = api(worker).post(f"/api/v1/members/{old.id}/transfer", json={"tenant": "shop"})
    assert response.status_code == 200 and response.json["status"] == "pending"
    new_id = response.json["id"]
    assert api(worker).get("/api/v1/me").json["membership"] == {"tenant": "factory", "status": "active"}
    # A second request while one is pending: 409.
    assert api(worker).post(f"/api/v1/members/{old.id}/transfer", json={"tenant": "east"}).status_code == 409
    approved = api(target_admin).post(f"/api/v1/members/{new_id}/approve", json={})
    assert approved.status_code == 200 and approved.json["status"] == "active"
    db_session.expire_all()
    rows = {m.tenant_id: m.status for m in db_session.scalars(sa.select(Membership).where(Membership.user_id == worker.id))}
    assert rows == {tree["factory"].id: "closed", tree["shop"].id: "active"}
    history = api(worker).get("/api/v1/me/memberships").json["items"]
    assert [(h["tenant"], h["status"], h["kind"]) for h in history] == [("shop", "active", "transfer"),
                                                                         ("factory", "closed", "join")]


def test_rejected_transfer_keeps_the_old_membership(make_tree, make_user, make_applicant, grant, api):
    tree = make_tree("fed/east", "fed/west")
    worker, admin = make_user(), make_user()
    grant(admin, "union_admin", tree["west"])
    old = make_applicant(tree["east"], "active", user=worker)
    new_id = api(worker).post(f"/api/v1/members/{old.id}/transfer", json={"tenant": "west"}).json["id"]
    assert api(admin).post(f"/api/v1/members/{new_id}/reject", json={"reason": "不在本单位"}).status_code == 200
    assert api(worker).get("/api/v1/me").json["membership"] == {"tenant": "east", "status": "active"}


def test_bad_transfers_are_refused(make_tree, make_user, make_applicant, api, db_session):
    tree = make_tree("fed/east", "fed/west")
    worker = make_user()
    old = make_applicant(tree["east"], "active", user=worker)
    pending = make_applicant(tree["west"], "pending")
    pending_user = make_user()
    db_session.commit()  # the setup outlives the rolled-back requests below
    same = api(worker).post(f"/api/v1/members/{old.id}/transfer", json={"tenant": "east"})
    assert same.status_code == 422 and "tenant" in same.json["errors"]
    assert api(worker).post(f"/api/v1/members/{old.id}/transfer", json={"tenant": "nowhere"}).status_code == 422
    # Someone else's membership is invisible.
    assert api(pending_user).post(f"/api/v1/members/{pending.id}/transfer", json={"tenant": "east"}).status_code == 404


def test_reviewer_at_both_ends_moves_a_member_at_once(make_tree, make_user, make_applicant, grant, api):
    tree = make_tree("fed/east", "fed/west")
    fed_admin, worker = make_user(), make_user()
    grant(fed_admin, "federation_admin", tree["fed"])
    old = make_applicant(tree["east"], "active", user=worker)
    response = api(fed_admin).post(f"/api/v1/members/{old.id}/transfer", json={"tenant": "west"})
    assert response.status_code == 200 and response.json["status"] == "active"
    assert api(worker).get("/api/v1/me").json["membership"] == {"tenant": "west", "status": "active"}


def test_transfer_from_the_join_page(make_tree, make_user, make_applicant, login):
    tree = make_tree("fed/east", "fed/west")
    worker = make_user()
    make_applicant(tree["east"], "active", user=worker)
    client = login(worker)
    assert "/t/west/transfer" in client.get("/t/west/join?lang=en").get_data(as_text=True)
    assert client.post("/t/west/transfer").status_code == 302
    html = client.get("/t/west/me?lang=en").get_data(as_text=True)
    assert "waiting for review" in html


# --- races -------------------------------------------------------------------------------------------

needs_postgres = pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL", "").startswith("postgres"),
                                    reason="real concurrent transactions need PostgreSQL")


def committed_world(session, targets=4):
    """rc-fed with a union the member is in, and ``targets`` others; committed for real."""
    from union_saas.access.models import Grant
    from union_saas.accounts.models import User
    from union_saas.members import crypto, identity
    from union_saas.tenancy import services as tenancy

    fed = tenancy.create_federation(session, None, slug="rc-fed", name="RC federation")
    home = tenancy.create_child(session, None, fed, slug="rc-home", name="RC home", kind="enterprise")
    others = [tenancy.create_child(session, None, fed, slug=f"rc-t{i}", name=f"RC target {i}", kind="enterprise")
              for i in range(targets)]
    worker = User(username="rc-worker", display_name="Worker", password_hash="x")
    admin = User(username="rc-admin", display_name="Admin", password_hash="x")
    session.add_all([worker, admin])
    session.flush()
    session.add(Grant(user_id=admin.id, role="federation_admin", tenant_id=fed.id, root_id=fed.id))
    who = person("赵钱孙")
    membership = Membership(user_id=worker.id, tenant_id=home.id, root_id=fed.id, status="active",
                            real_name=who["real_name"], phone=who["phone"], id_hash=crypto.id_hash(who["id_number"]),
                            id_cipher=crypto.encrypt_id(who["id_number"]), id_masked=identity.mask_id(who["id_number"]))
    session.add(membership)
    session.commit()
    return {"worker": worker, "admin": admin, "membership": membership.id, "targets": [t.slug for t in others],
            "fed": fed, "who": who}


def race(app, calls):
    """Run ``calls`` [(user, method, path, json)] at the same moment, each in its own thread and request."""
    from tests.conftest import ApiClient

    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    clients = [ApiClient(app, call[0]) for call in calls]

    def run(i, user, method, path, body):
        client = clients[i]
        barrier.wait()
        results[i] = client.open(method, path, json=body).status_code

    threads = [threading.Thread(target=run, args=(i, *call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def active_rows(session, user_id):
    session.expire_all()
    return session.scalars(sa.select(Membership).where(Membership.user_id == user_id,
                                                       Membership.status == "active")).all()


@needs_postgres
@pytest.mark.postgres
def test_racing_direct_moves_leave_exactly_one_active_membership(app, real_commits):
    world = committed_world(real_commits)
    calls = [(world["admin"], "POST", f"/api/v1/members/{world['membership']}/transfer", {"tenant": slug})
             for slug in world["targets"]]
    statuses = race(app, calls)
    assert sorted(statuses) == [200] + [409] * (len(calls) - 1), statuses
    assert len(active_rows(real_commits, world["worker"].id)) == 1


@needs_postgres
@pytest.mark.postgres
def test_racing_transfer_requests_leave_one_pending_and_one_active(app, real_commits):
    world = committed_world(real_commits)
    calls = [(world["worker"], "POST", f"/api/v1/members/{world['membership']}/transfer", {"tenant": slug})
             for slug in world["targets"]]
    statuses = race(app, calls)
    assert sorted(statuses) == [200] + [409] * (len(calls) - 1), statuses
    real_commits.expire_all()
    pending = real_commits.scalars(sa.select(Membership).where(Membership.user_id == world["worker"].id,
                                                               Membership.status == "pending")).all()
    assert len(pending) == 1 and len(active_rows(real_commits, world["worker"].id)) == 1
    # The target's reviewers approve and decline at the same moment: one decision wins.
    statuses = race(app, [(world["admin"], "POST", f"/api/v1/members/{pending[0].id}/approve", {}),
                          (world["admin"], "POST", f"/api/v1/members/{pending[0].id}/reject", {"reason": "x"})])
    assert sorted(statuses) == [200, 409], statuses
    assert len(active_rows(real_commits, world["worker"].id)) == 1


@needs_postgres
@pytest.mark.postgres
def test_racing_joins_on_two_rosters_leave_one_active_membership(app, real_commits):
    from union_saas.members import crypto, identity
    from union_saas.members.models import RosterEntry

    world = committed_world(real_commits, targets=3)
    from union_saas.accounts.models import User

    joiner = User(username="rc-joiner", display_name="Joiner", password_hash="x")
    real_commits.add(joiner)
    who = person("周吴郑")
    for slug in world["targets"]:
        tenant_id = real_commits.scalar(sa.text("SELECT id FROM tenant WHERE slug = :s"), {"s": slug})
        real_commits.add(RosterEntry(tenant_id=tenant_id, root_id=world["fed"].id, name=who["real_name"],
                                     phone=who["phone"], id_hash=crypto.id_hash(who["id_number"]),
                                     id_cipher=crypto.encrypt_id(who["id_number"]),
                                     id_masked=identity.mask_id(who["id_number"])))
    real_commits.commit()
    statuses = race(app, [(joiner, "POST", f"/api/v1/tenants/{slug}/membership", who) for slug in world["targets"]])
    assert sorted(statuses) == [201] + [409] * (len(world["targets"]) - 1), statuses
    assert len(active_rows(real_commits, joiner.id)) == 1


def test_applicant_withdraws_a_pending_request_and_may_apply_elsewhere(make_tree, make_user, make_applicant, api,
                                                                      login, db_session):
    tree = make_tree("fed/east", "fed/west")
    worker, stranger = make_user(), make_user()
    m = make_applicant(tree["east"], "pending", user=worker)
    db_session.commit()
    assert api(stranger).post(f"/api/v1/members/{m.id}/withdraw").status_code == 404
    response = api(worker).post(f"/api/v1/members/{m.id}/withdraw")
    assert response.status_code == 200 and response.json["status"] == "closed"
    assert api(worker).post(f"/api/v1/members/{m.id}/withdraw").status_code == 409
    assert api(worker).post("/api/v1/tenants/west/membership", json=person()).status_code == 201
    client = login(worker)
    assert client.post("/t/west/withdraw").status_code == 302
    html = client.get("/t/west/me?lang=zh").get_data(as_text=True)
    assert html.count(">已撤回</span>") == 2  # two "Withdrawn" badges in the history
