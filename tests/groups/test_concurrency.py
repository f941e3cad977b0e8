"""Joining a group twice at the same moment: the database referees (uq_group_member); one row, and a 409."""
import threading

import pytest
import sqlalchemy as sa

from tests.conftest import is_postgres
from union_saas.accounts.models import User
from union_saas.groups.models import Group, GroupMember
from union_saas.members.models import Membership
from union_saas.tenancy import services as tenancy


@pytest.mark.postgres
@pytest.mark.skipif(not is_postgres(), reason="real concurrent transactions need PostgreSQL")
@pytest.mark.parametrize("rounds", [5])
def test_joining_twice_concurrently_gives_one_row_and_a_409(app, api, committed, rounds):
    s = committed.session
    fed = tenancy.create_federation(s, None, slug="group-race", name="Race")
    union = tenancy.create_child(s, None, fed, slug="group-race-u", name="Union", kind="enterprise")
    founder = User(username="group-race-founder", display_name="F", password_hash="x")
    joiners = [User(username=f"group-race-{i}", display_name="J", password_hash="x") for i in range(rounds)]
    s.add_all([founder, *joiners])
    s.flush()
    s.add_all([Membership(user_id=u.id, tenant_id=union.id, root_id=fed.id, status="active") for u in joiners])
    group = Group(tenant_id=union.id, root_id=fed.id, name="Race", name_key="race", kind="individual",
                  scope="tenant", join_policy="open", status="active", founder_id=founder.id, members_count=1,
                  description="")
    s.add(group)
    s.flush()
    s.add(GroupMember(group_id=group.id, user_id=founder.id, root_id=fed.id, status="active", role="organiser"))
    s.commit()
    committed.roots.append(fed.id)
    committed.users.extend([founder.id, *(u.id for u in joiners)])
    group_id = group.id

    for joiner in joiners:
        clients = [api(joiner), api(joiner)]
        barrier, statuses = threading.Barrier(2), []

        def join(client, barrier=barrier, statuses=statuses):
            barrier.wait()
            statuses.append(client.post(f"/api/v1/groups/{group_id}/members", json={}).status_code)

        threads = [threading.Thread(target=join, args=(c,)) for c in clients]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(statuses) == [201, 409], statuses
        assert s.scalar(sa.select(sa.func.count()).select_from(GroupMember).where(
            GroupMember.group_id == group_id, GroupMember.user_id == joiner.id)) == 1
    s.expire_all()
    assert s.get(Group, group_id).members_count == 1 + rounds
