"""The generated help requests (``flask demo seed``, small scale): what services and the scheduler leave."""
from collections import defaultdict

import sqlalchemy as sa

from tests.conftest import module_seed
from union_saas.access.models import Grant
from union_saas.assistance import services
from union_saas.assistance.models import ACTIVE, HelpCase, HelpEvent, HelpMessage
from union_saas.core.db import utcnow
from union_saas.core.inbox import Notification
from union_saas.demo_seed import SCALES
from union_saas.members.models import Membership
from union_saas.tenancy.models import Tenant

SMALL = SCALES["small"]


# one federation seeded for the module (seeding took longer than any of its tests); each test in a savepoint
seeded, built, db_session = module_seed("helpseed", ("assistance",))


def test_cases_are_what_the_services_leave(db_session, built):
    now = utcnow()
    root = built.root.id
    tenants = {t.id: t for t in db_session.scalars(sa.select(Tenant).where(Tenant.root_id == root))}
    cases = db_session.scalars(sa.select(HelpCase).where(HelpCase.root_id == root)).all()
    assert len(cases) >= 60
    homes = dict(db_session.execute(sa.select(Membership.user_id, Membership.tenant_id).where(
        Membership.status == "active")).all())
    offices = defaultdict(set)
    for user_id, tenant_id in db_session.execute(sa.select(Grant.user_id, Grant.tenant_id).where(
            Grant.root_id == root, Grant.role.in_(services.handler_roles()))):
        offices[tenant_id].add(user_id)
    events = defaultdict(list)
    for e in db_session.scalars(sa.select(HelpEvent).order_by(HelpEvent.at, HelpEvent.id)):
        events[e.case_id].append(e)
    public = defaultdict(list)
    for m in db_session.scalars(sa.select(HelpMessage).where(HelpMessage.internal.is_(False))):
        public[m.case_id].append(m)
    seen = defaultdict(int)
    for case in cases:
        tenant, home = tenants[case.tenant_id], tenants[case.home_id]
        assert homes[case.requester_id] == home.id and case.home_path == home.path
        assert case.tenant_path == tenant.path and tenant.path == home.path[:len(tenant.path)]
        climbs = [e for e in events[case.id] if e.kind == "escalated"]
        assert len(climbs) == case.escalation_count == len(home.path) // 9 - len(tenant.path) // 9
        for e in climbs:
            assert tenants[e.to_tenant_id].id == tenants[e.from_tenant_id].parent_id
            assert e.automatic == (e.reason is None)
        assert events[case.id][0].kind == "filed" and all(e.at <= now for e in events[case.id])
        # the clocks are what recompute gives
        expected = HelpCase(status=case.status, first_response_due=case.first_response_due,
                            first_response_at=case.first_response_at, resolution_due=case.resolution_due,
                            tenant_path=case.tenant_path)
        services.recompute(expected)
        assert (case.climb_at, case.due_at) == (expected.climb_at, expected.due_at)
        if case.first_response_at is not None:
            assert any(m.by_handler and m.author_id in offices[case.tenant_id] for m in public[case.id]) or \
                case.escalation_count, case.id
        if case.rating is not None:
            assert case.resolved_at <= case.rated_at and (case.rated_at - case.resolved_at).days < 14
        seen["open" if case.status in ACTIVE else case.status] += 1
        seen["overdue"] += case.breached_at(now)
        seen["escalated"] += case.escalation_count > 0
        seen["automatic"] += any(e.automatic for e in climbs)
        seen["by hand"] += any(not e.automatic for e in climbs)
    for kind in ("open", "resolved", "closed", "overdue", "escalated", "automatic", "by hand"):
        assert seen[kind] > 0, (kind, dict(seen))
    # nothing left for the scheduler: every overdue first response has climbed already
    assert services.climb_overdue(db_session, now=now) == 0
    # the inbox holds what the calls wrote, never an internal note
    internal = {m.body for m in db_session.scalars(sa.select(HelpMessage).where(HelpMessage.internal.is_(True)))}
    bodies = {n.body for n in db_session.scalars(sa.select(Notification).where(Notification.kind.like("assistance.%")))}
    assert bodies and not internal & bodies


def test_the_api_works_on_the_seeded_cases(db_session, built, api):
    from union_saas.accounts.models import User

    case = db_session.scalar(sa.select(HelpCase).where(HelpCase.root_id == built.root.id,
                                                       HelpCase.status.in_(ACTIVE)).limit(1))
    requester = db_session.get(User, case.requester_id)
    db_session.commit()
    r = api(requester).get(f"/api/v1/me/help-requests/{case.id}")
    assert r.status_code == 200 and all(not m["internal"] for m in r.json["messages"])
    admin = db_session.scalar(sa.select(User).join(Grant, Grant.user_id == User.id).where(
        Grant.tenant_id == built.root.id, Grant.role == "federation_admin"))
    r = api(admin).get(f"/api/v1/tenants/{built.slug}/help-requests?status=active&breached=1")
    assert r.status_code == 200 and all(c["breached"] for c in r.json["items"])
