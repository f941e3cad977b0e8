"""The generated office (``flask demo seed``, small scale): receipts and assignments as the office's services
and jobs leave them, and the office's API working on them."""
from collections import Counter, defaultdict

import sqlalchemy as sa

from tests.conftest import module_seed
from union_saas.access.models import Grant
from union_saas.accounts.models import User
from union_saas.core.db import utcnow
from union_saas.demo_seed import SCALES
from union_saas.office.models import Assignment, Notice, NoticeRead, NoticeReceipt, OfficeNotification, Task
from union_saas.tenancy.models import Tenant

SMALL = SCALES["small"]
OFFICE_ROLES = ("federation_admin", "union_admin", "union_officer")  # roles with office.view and task.report
ASSIGNING_ROLES = ("federation_admin", "union_admin")  # with notice.send and task.assign


# one federation seeded for the module (seeding took longer than any of its tests); each test in a savepoint
seeded, built, db_session = module_seed("offseed", ("office",))


def grants_here(session, root_id, roles):
    """tenant id -> users whose own grant there has one of ``roles``."""
    out = defaultdict(set)
    for user_id, tenant_id in session.execute(sa.select(Grant.user_id, Grant.tenant_id).where(
            Grant.root_id == root_id, Grant.role.in_(roles), Grant.revoked_at.is_(None))):
        out[tenant_id].add(user_id)
    return out


def test_receipts_are_the_fan_out_of_each_notice_and_reads_are_by_the_office_itself(db_session, built):
    now = utcnow()
    tenants = {t.id: t for t in db_session.scalars(sa.select(Tenant).where(Tenant.root_id == built.root.id))}
    office = grants_here(db_session, built.root.id, OFFICE_ROLES)
    senders = grants_here(db_session, built.root.id, ASSIGNING_ROLES)
    notices = db_session.scalars(sa.select(Notice).where(Notice.root_id == built.root.id)).all()
    assert len(notices) == SMALL.options["notices"]
    receipts = defaultdict(list)
    for r in db_session.scalars(sa.select(NoticeReceipt).where(NoticeReceipt.root_id == built.root.id)):
        receipts[r.notice_id].append(r)
    reads = {(r.notice_id, r.tenant_id): r for r in db_session.scalars(sa.select(NoticeRead))}
    reminded = Counter(db_session.execute(sa.select(OfficeNotification.notice_id, OfficeNotification.tenant_id)
                                          .where(OfficeNotification.kind == "notice.reminder")).all())
    targets = Counter()
    for notice in notices:
        sender = tenants[notice.tenant_id]
        assert notice.tenant_path == sender.path and notice.author_id in senders[sender.id]
        mine = receipts[notice.id]
        assert notice.addressed_count == len(mine) > 0
        addressed = {r.tenant_id for r in mine}
        below = {t.id for t in tenants.values() if t.path.startswith(sender.path) and t.id != sender.id}
        expected = {"children": {t.id for t in tenants.values() if t.parent_id == sender.id}, "subtree": below,
                    "list": set(notice.target_ids)}[notice.target]
        assert addressed == expected and addressed <= below
        targets[notice.target] += 1
        for r in mine:
            tenant = tenants[r.tenant_id]
            assert (r.tenant_path, r.root_id) == (tenant.path, tenant.root_id)
            assert notice.sent_at <= r.created_at
            if r.read_at is not None:
                assert r.created_at <= r.read_at <= now and r.read_by_id in office[r.tenant_id]
                read = reads.pop((notice.id, r.tenant_id))
                assert (read.user_id, read.read_at, read.acked_at) == (r.read_by_id, r.read_at, r.acked_at)
            else:
                assert r.read_by_id is None and r.acked_at is None
            if r.acked_at is not None:
                assert r.acked_at >= r.read_at and r.acked_by_id == r.read_by_id and notice.requires_ack
            if r.reminded_at is not None:
                assert r.read_at is None or r.read_at > r.reminded_at
                assert reminded.pop((notice.id, r.tenant_id)) == 1
    assert not reads and not reminded  # no read nor reminder without its receipt
    assert set(targets) == {"children", "list", "subtree"}
    everything = [r for v in receipts.values() for r in v]
    assert any(r.read_at for r in everything) and any(r.acked_at for r in everything)
    assert any(r.read_at is None and r.tenant_id in office for r in everything)  # an office that has not read yet
    assert any(n.priority == "urgent" for n in notices)


def test_assignments_and_reports_follow_the_task_rules(db_session, built):
    now = utcnow()
    tenants = {t.id: t for t in db_session.scalars(sa.select(Tenant).where(Tenant.root_id == built.root.id))}
    office = grants_here(db_session, built.root.id, OFFICE_ROLES)
    assigners = grants_here(db_session, built.root.id, ASSIGNING_ROLES)
    tasks = {t.id: t for t in db_session.scalars(sa.select(Task).where(Task.root_id == built.root.id))}
    assert len(tasks) == SMALL.options["tasks"]
    assignments = {a.id: a for a in db_session.scalars(sa.select(Assignment)
                                                       .where(Assignment.root_id == built.root.id))}
    notes = Counter(db_session.execute(sa.select(OfficeNotification.assignment_id, OfficeNotification.kind)
                                       .where(OfficeNotification.assignment_id.is_not(None))).all())
    children = defaultdict(list)
    for a in assignments.values():
        if a.parent_assignment_id:
            children[a.parent_assignment_id].append(a)
    assert len({(a.task_id, a.tenant_id) for a in assignments.values()}) == len(assignments)
    seen = Counter()
    for a in assignments.values():
        task, tenant = tasks[a.task_id], tenants[a.tenant_id]
        assert (a.tenant_path, a.root_id, a.due_at) == (tenant.path, tenant.root_id, task.due_at)
        assert tenant.path.startswith(task.tenant_path) and tenant.id != task.tenant_id
        assert task.created_at < a.created_at and task.created_at < task.due_at
        parent = assignments.get(a.parent_assignment_id)
        if parent is not None:
            assert parent.cascaded and tenant.path.startswith(parent.tenant_path) and parent.task_id == a.task_id
        if a.status == "open":
            assert a.submitted_at is None and a.report is None and a.decided_at is None
        else:
            assert a.submitted_by_id in office[a.tenant_id] and a.created_at < a.submitted_at <= now
            numbers = {f["name"] for f in task.fields if f["kind"] == "number"}
            required = {f["name"] for f in task.fields if f["required"]}
            assert required <= set(a.report) and all(isinstance(a.report[n], int) for n in numbers & set(a.report))
            seen["on time" if a.submitted_at <= a.due_at else "late"] += 1
        if a.status in ("accepted", "returned"):
            deciders = assigners[task.tenant_id] | (assigners[parent.tenant_id] if parent else set())
            assert a.decided_by_id in deciders and a.submitted_at < a.decided_at <= now
            assert (a.reason is not None) == (a.status == "returned")
        else:
            assert a.decided_at is None
        if a.cascaded and a.status != "open":  # reported only once every union it was passed to had
            assert all(c.status in ("submitted", "accepted") and c.submitted_at <= a.submitted_at
                       for c in children[a.id])
        for kind, column in (("task.due_soon", a.reminded_before_at), ("task.due_today", a.reminded_due_at)):
            assert notes.pop((a.id, kind), 0) == (column is not None)
            if column is not None:
                assert a.created_at < column <= now
                assert a.submitted_at is None or column < a.submitted_at or a.status == "returned"
        seen[a.status] += 1
    assert not notes
    assert {"open", "submitted", "accepted", "returned", "on time", "late"} <= set(seen)
    assert any(children.values())


def test_the_office_api_reads_the_seeded_office(db_session, built, api):
    street = db_session.scalar(sa.select(Tenant).where(Tenant.slug == "offseed-s01"))
    admin = db_session.scalar(sa.select(User).where(User.username == "offseed-s01-admin"))
    inbox = api(admin).get(f"/api/v1/tenants/{street.slug}/inbox?per_page=100")
    assert inbox.status_code == 200
    items = inbox.get_json()["items"]
    expected = db_session.scalar(sa.select(sa.func.count()).where(NoticeReceipt.tenant_id == street.id))
    assert inbox.get_json()["total"] == expected > 0 and items
    unread = db_session.scalar(sa.select(NoticeReceipt.notice_id).where(NoticeReceipt.tenant_id == street.id,
                                                                       NoticeReceipt.read_at.is_(None)).limit(1))
    if unread is not None:
        assert api(admin).post(f"/api/v1/tenants/{street.slug}/inbox/{unread}/read").status_code == 204
        receipt = db_session.scalar(sa.select(NoticeReceipt).where(NoticeReceipt.notice_id == unread,
                                                                   NoticeReceipt.tenant_id == street.id))
        db_session.refresh(receipt)
        assert receipt.read_by_id == admin.id
    fed_admin = db_session.scalar(sa.select(User).where(User.username == "offseed-admin"))
    task = db_session.scalar(sa.select(Task).where(Task.tenant_id == built.root.id).order_by(Task.id).limit(1))
    progress = api(fed_admin).get(f"/api/v1/tasks/{task.id}/progress")
    assert progress.status_code == 200
    rows = progress.get_json()["items"]
    assert sum(r["assigned"] for r in rows) == db_session.scalar(
        sa.select(sa.func.count()).where(Assignment.task_id == task.id))
