"""The budget's invariants under real concurrency (PostgreSQL, threads, real commits): never more awarded than
the budget, milestones never beyond the grant, a milestone paid once."""
import threading
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import is_postgres
from union_saas.access.models import Grant
from union_saas.accounts.models import User
from union_saas.core.db import utcnow
from union_saas.projects import schemas, services
from union_saas.projects.models import Milestone, ProjectCall, Proposal
from union_saas.tenancy import services as tenancy

pytestmark = [pytest.mark.postgres, pytest.mark.skipif(not is_postgres(), reason="needs PostgreSQL")]
N = 8


def in_threads(n, fn):
    barrier, results = threading.Barrier(n), [None] * n

    def run(i):
        barrier.wait()
        results[i] = fn(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def world(committed, n_proposals=N):
    s = committed.session
    fed = tenancy.create_federation(s, None, slug="cc-fed", name="CC")
    street = tenancy.create_child(s, None, fed, slug="cc-street", name="CC street", kind="street")
    kids = [tenancy.create_child(s, None, street, slug=f"cc-c{i}", name=f"C{i}", kind="community")
            for i in range(n_proposals)]
    admin = User(username="cc-admin", display_name="Admin", password_hash="x")
    s.add(admin)
    s.flush()
    committed.roots.append(fed.id)
    committed.users.append(admin.id)
    s.add(Grant(user_id=admin.id, role="union_admin", tenant_id=street.id, root_id=fed.id))
    now = utcnow()
    data = schemas.CallCreateSchema().load({
        "title": "CC call", "budget_total": 100000, "tiers": [{"name": "A", "amount": 30000}],
        "criteria": [{"name": "Need", "weight": 100}], "opens_at": (now - timedelta(days=1)).isoformat(),
        "closes_at": (now + timedelta(days=1)).isoformat(), "review_closes_at": (now + timedelta(days=2)).isoformat()})
    call = services.create_call(s, admin, street, data)
    tier = call.tiers[0]
    proposals = []
    for kid in kids:
        p = Proposal(call_id=call.id, tenant_id=kid.id, root_id=fed.id, title=kid.name, summary="", plan="",
                     budget_requested=tier.amount, tier_id=tier.id, status="submitted", granted=0, planned=0,
                     disbursed=0, created_by_id=admin.id)
        s.add(p)
        proposals.append(p)
    s.flush()
    call.opens_at, call.closes_at, call.review_closes_at = now - timedelta(days=3), now - timedelta(days=2), now - timedelta(days=1)
    s.commit()
    return admin, call.id, tier.id, [p.id for p in proposals]


def test_concurrent_decisions_award_once_and_never_beyond_the_budget(app, api, committed):
    admin, call_id, tier_id, proposal_ids = world(committed)
    clients = [api(admin) for _ in range(N)]
    # each decider wants a different set of three (90,000 of 100,000): together they would far exceed it
    bodies = [{"awards": [{"proposal": proposal_ids[(i + k) % N], "tier": tier_id} for k in range(3)]}
              for i in range(N)]
    statuses = in_threads(N, lambda i: clients[i].post(f"/api/v1/project-calls/{call_id}/decide",
                                                       json=bodies[i]).status_code)
    assert sorted(statuses) == [200] + [409] * (N - 1)
    s = committed.session
    s.expire_all()
    call = s.get(ProjectCall, call_id)
    granted = s.scalar(sa.select(sa.func.sum(Proposal.granted)).where(Proposal.call_id == call_id))
    assert call.status == "decided" and call.granted_total == granted == 90000 * 100 <= call.budget_total
    assert s.scalar(sa.select(sa.func.count()).where(Proposal.call_id == call_id, Proposal.status == "funded")) == 3


def test_the_database_refuses_a_grant_beyond_the_budget(app, committed):
    _admin, call_id, _tier_id, _ids = world(committed, 1)
    s = committed.session
    with pytest.raises(sa.exc.IntegrityError):
        s.execute(sa.update(ProjectCall).where(ProjectCall.id == call_id).values(granted_total=10**12))
        s.flush()
    s.rollback()


def funded(committed, amount=30000 * 100):
    admin, call_id, tier_id, ids = world(committed, 1)
    s = committed.session
    s.execute(sa.update(Proposal).where(Proposal.id == ids[0]).values(status="funded", granted=amount,
                                                                      awarded_tier_id=tier_id))
    s.execute(sa.update(ProjectCall).where(ProjectCall.id == call_id).values(status="decided", granted_total=amount))
    s.commit()
    return admin, call_id, ids[0]


def test_concurrent_milestones_never_exceed_the_grant(app, api, committed):
    admin, _call_id, proposal_id = funded(committed)
    clients = [api(admin) for _ in range(N)]
    # 8 x 10,000 yuan against a 30,000 grant: three fit
    statuses = in_threads(N, lambda i: clients[i].post(f"/api/v1/proposals/{proposal_id}/milestones", json={
        "title": f"M{i}", "amount": 10000, "due_on": "2030-01-01"}).status_code)
    assert sorted(statuses) == [201] * 3 + [422] * (N - 3)
    s = committed.session
    s.expire_all()
    proposal = s.get(Proposal, proposal_id)
    total = s.scalar(sa.select(sa.func.sum(Milestone.amount)).where(Milestone.proposal_id == proposal_id))
    assert proposal.planned == total == proposal.granted


def test_a_milestone_approved_at_once_is_paid_once(app, api, committed):
    admin, call_id, proposal_id = funded(committed)
    s = committed.session
    s.execute(sa.update(Proposal).where(Proposal.id == proposal_id).values(planned=1000000))
    milestone = Milestone(proposal_id=proposal_id, call_id=call_id, title="M", amount=1000000,
                          due_on=date(2030, 1, 1), status="reported", activity_ids=[], report_text="done")
    s.add(milestone)
    s.commit()
    path = f"/api/v1/milestones/{milestone.id}/approve"
    clients = [api(admin) for _ in range(N)]
    statuses = in_threads(N, lambda i: clients[i].post(path).status_code)
    assert sorted(statuses) == [200] + [409] * (N - 1)
    s.expire_all()
    assert s.get(Proposal, proposal_id).disbursed == 1000000
    assert s.get(ProjectCall, call_id).disbursed_total == 1000000

