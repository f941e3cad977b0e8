"""Two transfer requests of one member at the same moment: the database decides (its uniqueness, or on
SQLite its write lock), the loser gets 409 (never 500), whichever way they come (API or page, to one union
or two, rostered or not). On PostgreSQL and on SQLite (a file: threads commit for real on both)."""
import threading

import pytest
import sqlalchemy as sa

from tests.members.test_transfer import active_rows, committed_world
from union_saas.members.models import Membership, RosterEntry


def page_client(app, user):
    from tests.conftest import PASSWORD
    from union_saas.accounts.services import hash_password
    from union_saas.extensions import db

    user.password_hash = hash_password(PASSWORD, app.config["PASSWORD_HASH_METHOD"])
    db.session.commit()
    client = app.test_client()
    assert client.post("/login", data={"username": user.username, "password": PASSWORD}).status_code == 302
    return client


def at_once(calls):
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, call):
        barrier.wait()
        results[i] = call()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def pending_of(session, user_id):
    session.expire_all()
    return session.scalars(sa.select(Membership).where(Membership.user_id == user_id,
                                                       Membership.status == "pending")).all()


@pytest.mark.parametrize("same_target", [True, False], ids=["one-union", "two-unions"])
@pytest.mark.parametrize("rostered", [False, True], ids=["unverified", "on-the-rosters"])
def test_racing_api_transfers_of_one_member(app, real_commits, same_target, rostered):
    from tests.conftest import ApiClient

    world = committed_world(real_commits)
    targets = [world["targets"][0]] * 2 if same_target else world["targets"][:2]
    if rostered:
        who = world["who"]
        for slug in set(targets):
            tenant_id = real_commits.scalar(sa.text("SELECT id FROM tenant WHERE slug = :s"), {"s": slug})
            row = real_commits.get(Membership, world["membership"])
            real_commits.add(RosterEntry(tenant_id=tenant_id, root_id=world["fed"].id, name=who["real_name"],
                                         phone=who["phone"], id_hash=row.id_hash, id_cipher=row.id_cipher,
                                         id_masked=row.id_masked))
        real_commits.commit()
    clients = [ApiClient(app, world["worker"]) for _ in targets]
    path = f"/api/v1/members/{world['membership']}/transfer"
    statuses = at_once([lambda c=c, t=t: c.post(path, json={"tenant": t}).status_code
                        for c, t in zip(clients, targets)])
    assert sorted(statuses) == [200, 409], statuses
    assert len(pending_of(real_commits, world["worker"].id)) == 1
    assert len(active_rows(real_commits, world["worker"].id)) == 1


def test_racing_page_transfers_of_one_member(app, real_commits):
    world = committed_world(real_commits)
    tabs = [page_client(app, world["worker"]) for _ in range(2)]
    statuses = at_once([lambda c=c, t=t: c.post(f"/t/{t}/transfer").status_code
                        for c, t in zip(tabs, world["targets"][:2])])
    assert sorted(statuses) == [302, 409], statuses
    assert len(pending_of(real_commits, world["worker"].id)) == 1
