"""Rules of the office: notices, receipts, tasks, assignments, reports. Plain functions; they flush, never commit.

Addressees and rollups are path ranges: a receipt or an assignment stores the addressed tenant's path
at the time it was made; the rollup under a tenant groups the rows below that tenant's prefix by the
next path segment, in one query, whatever the number of tenants.
"""
import math
from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import joinedload

from union_saas.access import engine, resources
from union_saas.core import files, xlsx
from union_saas.core.audit import record
from union_saas.core.db import utcnow
from union_saas.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from union_saas.core.markup import render_markdown
from union_saas.office.models import (
    DONE,
    OPEN,
    Assignment,
    Attachment,
    Notice,
    NoticeAttachment,
    NoticeRead,
    NoticeReceipt,
    OfficeNotification,
    Task,
)
from union_saas.tenancy.models import SEGMENT, Tenant, subtree_clause

BATCH = 1000
LOCAL_ZONE = ZoneInfo("Asia/Shanghai")


# --- helpers ----------------------------------------------------------------------------------------

def insert_missing(session, model, rows, keys):
    """Insert ``rows``, skipping those whose unique ``keys`` already exist (re-running adds nothing)."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    stmt = module.insert(model).on_conflict_do_nothing(index_elements=keys)
    session.connection().execute(stmt, rows)


def child_segment(column, prefix):
    """The id segment that follows ``prefix`` in ``column``: which child of the prefix a row lies under."""
    return sa.func.substr(column, len(prefix) + 1, SEGMENT)


def tenants_by_id(session, ids):
    if not ids:
        return {}
    return {t.id: t for t in session.scalars(sa.select(Tenant).where(Tenant.id.in_(ids)))}


# --- addressing -------------------------------------------------------------------------------------

def resolve_targets(session, sender, to, field="to"):
    """``to`` (children, subtree or a list of slugs inside the sender's subtree) -> (target, ids); 422 if not."""
    if to in ("children", "subtree"):
        return to, []
    if not isinstance(to, list) or not to or not all(isinstance(s, str) for s in to):
        raise ValidationFailed(_("Choose whom to address."),
                               errors={field: [_("Use children, subtree, or a list of union addresses.")]})
    slugs = list(dict.fromkeys(s.strip() for s in to if s.strip()))
    if len(slugs) > 5000:
        raise ValidationFailed(errors={field: [_("At most 5,000 unions; address the subtree instead.")]})
    found = {t.slug: t for t in session.scalars(sa.select(Tenant).where(Tenant.slug.in_(slugs)))} if slugs else {}
    outside = [s for s in slugs if s not in found or found[s].id == sender.id
               or not found[s].path.startswith(sender.path) or found[s].status != "active"]
    if outside or not slugs:
        raise ValidationFailed(_("Some addressees are not active unions below yours."), errors={
            field: [_("Not an active union below yours: %(slugs)s.", slugs=", ".join(outside[:20]))]
            if outside else [_("Choose at least one union.")]})
    return "list", sorted(t.id for t in found.values())


PICKER_NODES = 400  # unions shown in the addressing tree; deeper levels of a larger subtree are found by search
PICKER_MATCHES = 50


def picker_tree(session, sender, limit=PICKER_NODES):
    """The active unions below ``sender`` for the addressing tree, level by level (whole upper levels first):
    ``(roots, children_of, truncated)`` where ``children_of`` maps a tenant id to its loaded children."""
    rows = list(session.scalars(
        sa.select(Tenant).where(subtree_clause(Tenant.path, sender.path), Tenant.id != sender.id,
                                Tenant.status == "active")
        .order_by(Tenant.depth, Tenant.name, Tenant.id).limit(limit + 1)))
    truncated = len(rows) > limit
    rows = rows[:limit]
    children_of = {}
    for tenant in rows:
        children_of.setdefault(tenant.parent_id, []).append(tenant)
    return children_of.get(sender.id, []), children_of, truncated


def picker_search(session, sender, text, limit=PICKER_MATCHES):
    """Active unions below ``sender`` whose name (or link name) contains ``text``, each with the names of the
    unions between ``sender`` and it: ``[(tenant, [names])]`` in two queries."""
    text = (text or "").strip()[:60]
    if not text:
        return []
    found = list(session.scalars(
        sa.select(Tenant).where(subtree_clause(Tenant.path, sender.path), Tenant.id != sender.id,
                                Tenant.status == "active",
                                sa.or_(Tenant.name.contains(text, autoescape=True),
                                       Tenant.slug.contains(text.lower(), autoescape=True)))
        .order_by(Tenant.depth, Tenant.name).limit(limit)))
    between = {i for t in found for i in t.ancestor_ids if i not in sender.ancestor_ids and i != sender.id}
    names = dict(session.execute(sa.select(Tenant.id, Tenant.name).where(Tenant.id.in_(between))).all()) \
        if between else {}
    return [(t, [names[i] for i in t.ancestor_ids if i in names]) for t in found]


def addressees_stmt(sender, target, target_ids):
    """The active tenants addressed, below the sender as it stands now (never the sender itself)."""
    stmt = sa.select(Tenant.id, Tenant.path, Tenant.root_id).where(Tenant.status == "active",
                                                                   Tenant.id != sender.id)
    if target == "children":
        return stmt.where(Tenant.parent_id == sender.id)
    stmt = stmt.where(subtree_clause(Tenant.path, sender.path))
    if target == "list":
        stmt = stmt.where(Tenant.id.in_(target_ids or [0]))
    return stmt


def count_addressees(session, sender, target, target_ids):
    stmt = addressees_stmt(sender, target, target_ids)
    return session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery()))


def fan_out(session, sender, target, target_ids, make_row, model, keys, count_stmt, progress=None):
    """Insert one row per addressee in batches, skipping existing ones; return how many were new."""
    stmt = addressees_stmt(sender, target, target_ids).order_by(Tenant.id)
    total = count_addressees(session, sender, target, target_ids)
    before = session.scalar(count_stmt)
    done = 0
    last = 0
    while True:
        rows = session.execute(stmt.where(Tenant.id > last).limit(BATCH)).all()
        if not rows:
            break
        insert_missing(session, model, [make_row(*row) for row in rows], keys)
        last = rows[-1][0]
        done += len(rows)
        if progress:
            progress(done, total)
    session.flush()
    return {"addressed": total, "created": session.scalar(count_stmt) - before}


# --- notices ----------------------------------------------------------------------------------------

def send_notice(session, actor, tenant, data) -> Notice:
    """Record a notice; its receipts are made by the fan-out job."""
    target, ids = resolve_targets(session, tenant, data["to"])
    count = count_addressees(session, tenant, target, ids)
    if not count:
        raise ValidationFailed(_("Nobody would receive this notice."),
                               errors={"to": [_("No active union is addressed.")]})
    notice = Notice(root_id=tenant.root_id, tenant_id=tenant.id, tenant_path=tenant.path, author_id=actor.id,
                    title=data["title"].strip(), body=data.get("body") or "",
                    body_html=render_markdown(data.get("body") or ""), priority=data.get("priority") or "normal",
                    audience=data.get("audience") or "offices", requires_ack=bool(data.get("requires_ack")),
                    target=target, target_ids=ids, addressed_count=count)
    session.add(notice)
    session.flush()
    record(session, action="office.notice.send", actor=actor, tenant=tenant, target=notice.title[:200],
           detail={"notice": notice.id, "to": target, "addressed": count})
    return notice


def fan_out_notice(session, notice, progress=None):
    sender = session.get(Tenant, notice.tenant_id)

    def row(tenant_id, path, root_id):
        return {"notice_id": notice.id, "tenant_id": tenant_id, "tenant_path": path, "root_id": root_id,
                "created_at": utcnow()}

    count_stmt = sa.select(sa.func.count()).where(NoticeReceipt.notice_id == notice.id)
    result = fan_out(session, sender, notice.target, notice.target_ids, row, NoticeReceipt,
                     ["notice_id", "tenant_id"], count_stmt, progress)
    # The count is what the receipts say: re-running, or a union archived meanwhile, keeps it true.
    notice.addressed_count = session.scalar(count_stmt)
    session.flush()
    return result


def get_notice(session, notice_id) -> Notice:
    notice = session.get(Notice, notice_id)
    if notice is None:
        raise NotFound(_("No such notice."))
    return notice


def inbox_stmt(tenant, *, unread=False):
    """Notices addressed to ``tenant``: unread first, urgent on top, newest first."""
    stmt = (sa.select(Notice, NoticeReceipt).join(NoticeReceipt, NoticeReceipt.notice_id == Notice.id)
            .where(NoticeReceipt.tenant_id == tenant.id)
            .order_by(NoticeReceipt.read_at.is_(None).desc(), (Notice.priority == "urgent").desc(),
                      Notice.sent_at.desc(), Notice.id.desc()))
    if unread:
        stmt = stmt.where(NoticeReceipt.read_at.is_(None))
    return stmt


def unread_count(session, tenant) -> int:
    return session.scalar(sa.select(sa.func.count()).where(NoticeReceipt.tenant_id == tenant.id,
                                                           NoticeReceipt.read_at.is_(None)))


def open_assignments_count(session, tenant) -> int:
    """Tasks waiting for ``tenant``'s report: open or returned (``ix_office_assignment_tenant_status``)."""
    return session.scalar(sa.select(sa.func.count()).where(Assignment.tenant_id == tenant.id,
                                                           Assignment.status.in_(OPEN)))


def receipt_of(session, notice_id, tenant) -> NoticeReceipt:
    receipt = session.scalar(sa.select(NoticeReceipt).where(NoticeReceipt.notice_id == notice_id,
                                                            NoticeReceipt.tenant_id == tenant.id))
    if receipt is None:
        raise NotFound(_("No such notice in this inbox."))
    return receipt


def mark_read(session, user, tenant, receipt, *, ack=False) -> bool:
    """Record that ``user`` read (or acknowledged) the notice for ``tenant``.

    It counts for the office only when the user's own grant is at ``tenant``: an ancestor's admin may look
    into a child's inbox without marking it read. Idempotent. Returns whether it counted.
    """
    if not engine.holds_at(user, "office.view", tenant):
        return False
    now = utcnow()
    values = {"read_at": sa.func.coalesce(NoticeReceipt.read_at, now),
              "read_by_id": sa.func.coalesce(NoticeReceipt.read_by_id, user.id)}
    if ack:
        values.update(acked_at=sa.func.coalesce(NoticeReceipt.acked_at, now),
                      acked_by_id=sa.func.coalesce(NoticeReceipt.acked_by_id, user.id))
    session.execute(sa.update(NoticeReceipt).where(NoticeReceipt.id == receipt.id).values(**values)
                    .execution_options(synchronize_session=False))
    insert_missing(session, NoticeRead, [{"notice_id": receipt.notice_id, "tenant_id": tenant.id,
                                          "user_id": user.id, "read_at": now}],
                   ["notice_id", "tenant_id", "user_id"])
    if ack:
        session.execute(sa.update(NoticeRead).where(NoticeRead.notice_id == receipt.notice_id,
                                                    NoticeRead.tenant_id == tenant.id,
                                                    NoticeRead.user_id == user.id, NoticeRead.acked_at.is_(None))
                        .values(acked_at=now).execution_options(synchronize_session=False))
    session.expire(receipt)
    return True


def readers(session, notice_id, tenant):
    """The people of ``tenant``'s office who opened the notice, with when."""
    from union_saas.accounts.models import User

    return session.execute(sa.select(User.display_name, NoticeRead.read_at, NoticeRead.acked_at)
                           .join(User, User.id == NoticeRead.user_id)
                           .where(NoticeRead.notice_id == notice_id, NoticeRead.tenant_id == tenant.id)
                           .order_by(NoticeRead.read_at)).all()


def notice_counts(session, notice_ids):
    """{notice id: (read, acked)} for many notices in one grouped query."""
    if not notice_ids:
        return {}
    rows = session.execute(sa.select(NoticeReceipt.notice_id, sa.func.count(NoticeReceipt.read_at),
                                     sa.func.count(NoticeReceipt.acked_at))
                           .where(NoticeReceipt.notice_id.in_(notice_ids)).group_by(NoticeReceipt.notice_id))
    return {nid: (read, acked) for nid, read, acked in rows}


def sent_notices_stmt(tenant):
    return sa.select(Notice).where(Notice.tenant_id == tenant.id).order_by(Notice.sent_at.desc(), Notice.id.desc())


def rollup_prefix(session, record_tenant_id, record_path, own_path, under):
    """The path prefix of ``under`` as the rows know it: the sender's or its own row's path when made."""
    if under.id == record_tenant_id:
        return record_path
    return own_path or under.path


def notice_rollup_scope(session, user, notice, under):
    """The prefix under which ``user`` may see the receipts of ``notice``, or 404.

    ``notice.send`` at the sender sees its whole subtree (as it was when sent); ``office.view`` at
    ``under`` sees the part below ``under`` when the notice was addressed there.
    """
    own = session.scalar(sa.select(NoticeReceipt.tenant_path).where(NoticeReceipt.notice_id == notice.id,
                                                                     NoticeReceipt.tenant_id == under.id))
    prefix = rollup_prefix(session, notice.tenant_id, notice.tenant_path, own, under)
    if not prefix.startswith(notice.tenant_path):
        raise NotFound(_("No such notice."))
    sender = session.get(Tenant, notice.tenant_id)
    if sender is not None and engine.can(user, "notice.send", sender):
        return prefix
    if engine.can(user, "office.view", under) and session.scalar(
            sa.select(NoticeReceipt.id).where(NoticeReceipt.notice_id == notice.id,
                                              subtree_clause(NoticeReceipt.tenant_path, prefix)).limit(1)):
        return prefix
    raise NotFound(_("No such notice."))


def receipts_rollup_stmt(notice, prefix):
    """Per child of ``prefix``: addressed, read, acknowledged, counting the child and all below it."""
    seg = child_segment(NoticeReceipt.tenant_path, prefix).label("segment")
    return (sa.select(seg, sa.func.count().label("addressed"), sa.func.count(NoticeReceipt.read_at).label("read"),
                      sa.func.count(NoticeReceipt.acked_at).label("acked"),
                      sa.func.max(sa.func.length(NoticeReceipt.tenant_path)).label("longest"))
            .where(NoticeReceipt.notice_id == notice.id, NoticeReceipt.tenant_path > prefix,
                   NoticeReceipt.tenant_path < prefix + "~")
            .group_by(seg).order_by(seg))


def rollup_rows(session, page_rows, prefix):
    """Name the children of a grouped page (one query); ``deeper``: rows lie below the child itself."""
    ids = [int(row.segment) for row in page_rows]
    by_id = tenants_by_id(session, ids)
    out = []
    for row in page_rows:
        tenant = by_id.get(int(row.segment))
        out.append({"row": row, "tenant": tenant, "slug": tenant.slug if tenant else None,
                    "deeper": row.longest > len(prefix) + SEGMENT + 1})
    return out


def remind_unread(session, actor, notice, prefix) -> int:
    """An in-app reminder to exactly the offices below ``prefix`` that have not read the notice."""
    now = utcnow()
    unread = sa.and_(NoticeReceipt.notice_id == notice.id, NoticeReceipt.read_at.is_(None),
                     subtree_clause(NoticeReceipt.tenant_path, prefix))
    title = notice.title[:200]
    session.execute(sa.insert(OfficeNotification).from_select(
        ["root_id", "tenant_id", "kind", "notice_id", "title", "created_at"],
        sa.select(NoticeReceipt.root_id, NoticeReceipt.tenant_id, sa.literal("notice.reminder"),
                  NoticeReceipt.notice_id, sa.literal(title), sa.literal(now, OfficeNotification.created_at.type))
        .where(unread)))
    count = session.execute(sa.update(NoticeReceipt).where(unread).values(reminded_at=now)
                            .execution_options(synchronize_session=False)).rowcount
    record(session, action="office.notice.remind", actor=actor, tenant=session.get(Tenant, notice.tenant_id),
           target=title, detail={"notice": notice.id, "reminded": count, "under": prefix})
    return count


def notifications_stmt(tenant):
    return (sa.select(OfficeNotification).where(OfficeNotification.tenant_id == tenant.id)
            .order_by(OfficeNotification.created_at.desc(), OfficeNotification.id.desc()))


def member_notices_stmt(home):
    """Notices meant for the members of ``home``."""
    return (sa.select(Notice).join(NoticeReceipt, NoticeReceipt.notice_id == Notice.id)
            .where(NoticeReceipt.tenant_id == home.id, Notice.audience.in_(("members", "both")))
            .order_by((Notice.priority == "urgent").desc(), Notice.sent_at.desc(), Notice.id.desc()))


def member_notice(session, home, notice_id) -> Notice:
    notice = session.scalar(member_notices_stmt(home).where(Notice.id == notice_id)) if home else None
    if notice is None:
        raise NotFound(_("No such notice."))
    return notice


# --- tasks ------------------------------------------------------------------------------------------



def create_task(session, actor, tenant, data) -> Task:
    """Record a task; its assignments are made by the fan-out job."""
    due = data["due_at"]
    if due.tzinfo is None:
        due = due.replace(tzinfo=LOCAL_ZONE)
    due = due.astimezone(UTC)
    if due <= utcnow():
        raise ValidationFailed(_("The due date has passed."), errors={"due_at": [_("Choose a time in the future.")]})
    target, ids = resolve_targets(session, tenant, data["to"])
    count = count_addressees(session, tenant, target, ids)
    if not count:
        raise ValidationFailed(_("Nobody would receive this task."), errors={"to": [_("No active union is addressed.")]})
    fields = [{"name": f["name"].strip(), "kind": f["kind"], "required": bool(f.get("required", True))}
              for f in data.get("fields") or []]
    task = Task(root_id=tenant.root_id, tenant_id=tenant.id, tenant_path=tenant.path, author_id=actor.id,
                title=data["title"].strip(), instructions=data.get("instructions") or "",
                instructions_html=render_markdown(data.get("instructions") or ""), due_at=due, fields=fields,
                target=target, target_ids=ids)
    session.add(task)
    session.flush()
    record(session, action="office.task.assign", actor=actor, tenant=tenant, target=task.title[:200],
           detail={"task": task.id, "to": target, "addressed": count})
    return task


def fan_out_task(session, task, sender, target, target_ids, parent=None, progress=None):
    """One assignment per addressee below ``sender`` (the assigner, or the assignee that cascades)."""

    def row(tenant_id, path, root_id):
        return {"task_id": task.id, "tenant_id": tenant_id, "tenant_path": path, "root_id": root_id,
                "parent_assignment_id": parent.id if parent else None, "due_at": task.due_at, "status": "open",
                "cascaded": False, "created_at": utcnow()}

    count_stmt = sa.select(sa.func.count()).where(Assignment.task_id == task.id)
    return fan_out(session, sender, target, target_ids, row, Assignment, ["task_id", "tenant_id"], count_stmt,
                   progress)


def get_task(session, task_id) -> Task:
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound(_("No such task."))
    return task


def task_visible(session, user, task) -> bool:
    """Its assigner's office, or an office it was assigned to (or below one the caller manages)."""
    if engine.can(user, "task.assign", task.tenant):
        return True
    assigned = (sa.select(Assignment.id).join(Tenant, Tenant.id == Assignment.tenant_id)
                .where(Assignment.task_id == task.id))
    return session.scalar(engine.filter(assigned, user, "office.view", Tenant.path).limit(1)) is not None


def tasks_stmt(tenant):
    return sa.select(Task).where(Task.tenant_id == tenant.id).order_by(Task.created_at.desc(), Task.id.desc())


def overdue_clause(now=None):
    return sa.and_(Assignment.status.in_(OPEN), Assignment.due_at < (now or utcnow()))


def task_counts(session, task_ids, now=None):
    """{task id: (assigned, submitted, accepted, overdue)} in one grouped query."""
    if not task_ids:
        return {}
    rows = session.execute(
        sa.select(Assignment.task_id, sa.func.count(),
                  sa.func.sum(sa.case((Assignment.status.in_(DONE), 1), else_=0)),
                  sa.func.sum(sa.case((Assignment.status == "accepted", 1), else_=0)),
                  sa.func.sum(sa.case((overdue_clause(now), 1), else_=0)))
        .where(Assignment.task_id.in_(task_ids)).group_by(Assignment.task_id))
    return {tid: (a, s or 0, c or 0, o or 0) for tid, a, s, c, o in rows}


def assignments_stmt(tenant, *, status=None, open_only=False):
    """(Assignment, Task) of ``tenant``: open and returned first, soonest due first."""
    stmt = (sa.select(Assignment, Task).join(Task, Task.id == Assignment.task_id)
            .where(Assignment.tenant_id == tenant.id)
            .order_by(Assignment.status.in_(OPEN).desc(), Assignment.due_at, Assignment.id))
    if status:
        stmt = stmt.where(Assignment.status == status)
    if open_only:
        stmt = stmt.where(Assignment.status.in_(OPEN))
    return stmt


def may_decide(session, user, assignment, task) -> bool:
    """``task.assign`` at the task's tenant, or at the tenant of the parent assignment (who cascaded it)."""
    tenant_ids = [task.tenant_id]
    if assignment.parent_assignment_id:
        parent_tenant = session.scalar(sa.select(Assignment.tenant_id)
                                       .where(Assignment.id == assignment.parent_assignment_id))
        tenant_ids.append(parent_tenant)
    for tenant in tenants_by_id(session, tenant_ids).values():
        if engine.can(user, "task.assign", tenant):
            return True
    return False


def require_report_rights(user, tenant):
    if not engine.can(user, "task.report", tenant):
        raise Forbidden(_("Your role here does not allow this."))
    if not engine.holds_at(user, "task.report", tenant):
        raise Forbidden(_("Only the union's own office can report for it."))


def children_of(session, assignment):
    """The assignments cascaded from ``assignment``, with their tenants."""
    return session.execute(sa.select(Assignment, Tenant).join(Tenant, Tenant.id == Assignment.tenant_id)
                           .where(Assignment.parent_assignment_id == assignment.id)
                           .order_by(Tenant.name, Tenant.id)).all()


def consolidated(task, children):
    """The sums of the number fields over the children's submitted reports."""
    sums = {}
    for name in task.number_fields:
        values = [(a.report or {}).get(name) for a, _t in children if a.status in DONE]
        numbers = [v for v in values if isinstance(v, (int, float))]
        sums[name] = sum(numbers) if numbers else None
    return sums


def validate_report(session, task, assignment, values):
    """Check the values against the task's fields; return them cleaned, or raise 422 ``errors.values.<field>``."""
    errors, clean = {}, {}
    known = {f["name"]: f for f in task.fields}
    for name in values:
        if name not in known:
            errors[name] = [_("No such field in this task.")]
    files = {}
    if any(f["kind"] == "file" for f in task.fields):
        for field, count in session.execute(sa.select(Attachment.field, sa.func.count())
                                            .where(Attachment.assignment_id == assignment.id)
                                            .group_by(Attachment.field)):
            files[field] = count
    for name, spec in known.items():
        value = values.get(name)
        if spec["kind"] == "file":
            if spec["required"] and not files.get(name):
                errors[name] = [_("Attach at least one file.")]
            continue
        if value is None or (isinstance(value, str) and not value.strip()):
            if spec["required"]:
                errors[name] = [_("Required.")]
            continue
        if spec["kind"] == "number":
            if isinstance(value, bool):
                errors[name] = [_("Enter a number.")]
                continue
            try:
                number = float(value)
            except (TypeError, ValueError):
                errors[name] = [_("Enter a number.")]
                continue
            if math.isnan(number) or abs(number) > 1e15:
                errors[name] = [_("Enter a number.")]
                continue
            clean[name] = int(number) if number.is_integer() else number
        else:
            if not isinstance(value, str) or len(value) > 10000:
                errors[name] = [_("Text of at most 10,000 characters.")]
                continue
            clean[name] = value.strip()
    if errors:
        raise ValidationFailed(_("The report is incomplete."), errors={"values": errors})
    return clean


def submit_report(session, user, assignment, task, tenant, values) -> Assignment:
    require_report_rights(user, tenant)
    if assignment.status == "accepted":
        raise Conflict(_("This report was accepted; it can no longer change."))
    waiting = session.scalar(sa.select(sa.func.count()).where(Assignment.parent_assignment_id == assignment.id,
                                                              Assignment.status.in_(OPEN)))
    if waiting:
        raise Conflict(_("%(n)d unions you passed this task to have not reported yet.", n=waiting))
    clean = validate_report(session, task, assignment, values)
    now = utcnow()
    done = session.execute(sa.update(Assignment).where(Assignment.id == assignment.id,
                                                       Assignment.status != "accepted")
                           .values(status="submitted", report=clean, submitted_at=now, submitted_by_id=user.id)
                           .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise Conflict(_("This report was accepted; it can no longer change."))
    session.expire(assignment)
    record(session, action="office.report.submit", actor=user, tenant=tenant, target=task.title[:200],
           detail={"assignment": assignment.id})
    return assignment


def decide(session, user, assignment, task, tenant, *, accept, reason=None) -> Assignment:
    """Accept a submitted report, or return it with a reason; 409 unless it is submitted."""
    if not may_decide(session, user, assignment, task):
        if engine.manages(user, tenant):
            raise Forbidden(_("Only whoever assigned this task may accept or return the report."))
        raise NotFound(_("No such assignment."))
    values = {"status": "accepted" if accept else "returned", "decided_at": utcnow(), "decided_by_id": user.id,
              "reason": None if accept else reason.strip()}
    done = session.execute(sa.update(Assignment).where(Assignment.id == assignment.id,
                                                       Assignment.status == "submitted")
                           .values(**values).execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise Conflict(_("Only a submitted report can be accepted or returned."))
    session.expire(assignment)
    record(session, action="office.report.accept" if accept else "office.report.return", actor=user,
           tenant=tenant, target=task.title[:200], detail={"assignment": assignment.id, "reason": reason})
    return assignment


def cascade(session, user, assignment, task, tenant, to):
    """Pass an assignment on to unions below the assignee: checks now, rows in the job."""
    if not engine.can(user, "task.assign", tenant):
        raise Forbidden(_("Your role here does not allow this."))
    if assignment.status not in OPEN:
        raise Conflict(_("The report was already submitted; the task can no longer be passed on."))
    target, ids = resolve_targets(session, tenant, to)
    if not count_addressees(session, tenant, target, ids):
        raise ValidationFailed(_("Nobody would receive this task."), errors={"to": [_("No active union is addressed.")]})
    assignment.cascaded = True
    session.flush()
    record(session, action="office.task.cascade", actor=user, tenant=tenant, target=task.title[:200],
           detail={"assignment": assignment.id, "to": target})
    return target, ids


def progress_scope(session, user, task, under):
    """The prefix under which ``user`` may follow ``task``'s progress, or 404."""
    own = session.scalar(sa.select(Assignment.tenant_path).where(Assignment.task_id == task.id,
                                                                 Assignment.tenant_id == under.id))
    prefix = rollup_prefix(session, task.tenant_id, task.tenant_path, own, under)
    if not prefix.startswith(task.tenant_path):
        raise NotFound(_("No such task."))
    sender = session.get(Tenant, task.tenant_id)
    if sender is not None and engine.can(user, "task.assign", sender):
        return prefix
    if engine.can(user, "office.view", under) and session.scalar(
            sa.select(Assignment.id).where(Assignment.task_id == task.id,
                                           subtree_clause(Assignment.tenant_path, prefix)).limit(1)):
        return prefix
    raise NotFound(_("No such task."))


def progress_stmt(task, prefix, now=None):
    """Per child of ``prefix``: assigned, submitted (with accepted), accepted, overdue below it; one query."""
    seg = child_segment(Assignment.tenant_path, prefix).label("segment")
    return (sa.select(seg, sa.func.count().label("assigned"),
                      sa.func.sum(sa.case((Assignment.status.in_(DONE), 1), else_=0)).label("submitted"),
                      sa.func.sum(sa.case((Assignment.status == "accepted", 1), else_=0)).label("accepted"),
                      sa.func.sum(sa.case((overdue_clause(now), 1), else_=0)).label("overdue"),
                      sa.func.max(sa.func.length(Assignment.tenant_path)).label("longest"))
            .where(Assignment.task_id == task.id, Assignment.tenant_path > prefix,
                   Assignment.tenant_path < prefix + "~")
            .group_by(seg).order_by(seg))


def progress_rows(session, task, page_rows, prefix):
    """Name the children and add each child's own assignment (status, numbers): two queries."""
    rows = rollup_rows(session, page_rows, prefix)
    ids = [r["tenant"].id for r in rows if r["tenant"] is not None]
    own = {}
    if ids:
        own = {a.tenant_id: a for a in session.scalars(sa.select(Assignment).where(Assignment.task_id == task.id,
                                                                                   Assignment.tenant_id.in_(ids)))}
    numbers = task.number_fields
    for r in rows:
        a = own.get(r["tenant"].id) if r["tenant"] else None
        r["assignment"] = a
        r["status"] = a.status if a else None
        report = (a.report or {}) if a and a.status in DONE else {}
        r["values"] = {name: report.get(name) for name in numbers}
    return rows


def totals(rows, task):
    """The number fields summed over the rows shown."""
    out = {}
    for name in task.number_fields:
        numbers = [r["values"].get(name) for r in rows if isinstance(r["values"].get(name), (int, float))]
        out[name] = sum(numbers) if numbers else None
    return out


# --- attachments ------------------------------------------------------------------------------------

# What offices may attach to notices and reports (the file store proves each from its content).
FILE_KINDS = (files.PDF, files.PNG, files.JPEG, files.DOCX, files.XLSX, files.PPTX, files.TXT, files.CSV)
DEFAULT_MAX_UPLOAD = 10 * 1024 * 1024


def check_upload(app, storage) -> files.Upload:
    """An uploaded file, read and checked, writing nothing; 422 on ``file`` if it is not allowed."""
    return files.check(storage, FILE_KINDS, max_bytes=app.config.get("OFFICE_UPLOAD_MAX_BYTES", DEFAULT_MAX_UPLOAD))


def attach_to_notice(session, app, user, notice, storage=None, checked=None) -> NoticeAttachment:
    """A file sent with a notice (its sender only: checked by the caller); ``checked``: from ``check_upload``."""
    stored = files.save_upload(session, checked or check_upload(app, storage))
    attachment = NoticeAttachment(notice_id=notice.id, file=stored, uploaded_by_id=user.id)
    session.add(attachment)
    session.flush()
    return attachment


def notice_files(session, notice_ids):
    """{notice id: [attachments]} in one query."""
    out = {}
    if notice_ids:
        for a in session.scalars(sa.select(NoticeAttachment).where(NoticeAttachment.notice_id.in_(notice_ids))
                                 .order_by(NoticeAttachment.id)):
            out.setdefault(a.notice_id, []).append(a)
    return out


def may_read_notice(session, user, notice) -> bool:
    """The sender's office, an office it was addressed to (as the caller manages it now), or a member it was meant for."""
    sender = session.get(Tenant, notice.tenant_id)
    if sender is not None and engine.can(user, "notice.send", sender):
        return True
    addressed = (sa.select(NoticeReceipt.id).join(Tenant, Tenant.id == NoticeReceipt.tenant_id)
                 .where(NoticeReceipt.notice_id == notice.id))
    if session.scalar(engine.filter(addressed, user, "office.view", Tenant.path).limit(1)):
        return True
    if notice.audience in ("members", "both"):
        from union_saas.members.services import home_of

        home = home_of(session, user)
        return home is not None and session.scalar(addressed.where(NoticeReceipt.tenant_id == home.id)) is not None
    return False


def save_attachment(session, app, user, assignment, task, tenant, field, storage) -> Attachment:
    """Store an uploaded report file; checks rights, state, field, type and size first (nothing kept if bad)."""
    require_report_rights(user, tenant)
    if assignment.status == "accepted":
        raise Conflict(_("This report was accepted; it can no longer change."))
    spec = next((f for f in task.fields if f["name"] == field), None)
    if spec is None or spec["kind"] != "file":
        raise ValidationFailed(errors={"field": [_("This task has no file field of this name.")]})
    stored = files.save_upload(session, check_upload(app, storage))
    attachment = Attachment(assignment_id=assignment.id, field=field, file=stored, uploaded_by_id=user.id)
    session.add(attachment)
    session.flush()
    return attachment


def attachments_of(session, assignment):
    return list(session.scalars(sa.select(Attachment).where(Attachment.assignment_id == assignment.id)
                                .order_by(Attachment.field, Attachment.id)))


# --- export -----------------------------------------------------------------------------------------

def write_export(session, task, out, progress=None, locale=None, zone=None) -> int:
    """All assignments of ``task`` with their reports, to ``out``, a path or a binary file (streamed), times
    in ``zone`` (the assigning union's)."""
    from flask import current_app
    from flask_babel import force_locale

    with force_locale(locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        return _write_export(session, task, out, progress, zone or LOCAL_ZONE)


def _write_export(session, task, out, progress, zone):
    total = session.scalar(sa.select(sa.func.count()).where(Assignment.task_id == task.id))
    names = {}
    if any(f["kind"] == "file" for f in task.fields):
        for assignment_id, field, filename in session.execute(
                sa.select(Attachment.assignment_id, Attachment.field, files.StoredFile.filename)
                .join(Assignment, Assignment.id == Attachment.assignment_id)
                .join(files.StoredFile, files.StoredFile.id == Attachment.file_id)
                .where(Assignment.task_id == task.id).order_by(Attachment.id)):
            names.setdefault((assignment_id, field), []).append(filename)
    parent = sa.orm.aliased(Tenant)
    stmt = (sa.select(Assignment, Tenant.slug, Tenant.name, parent.name)
            .join(Tenant, Tenant.id == Assignment.tenant_id).outerjoin(parent, parent.id == Tenant.parent_id)
            .where(Assignment.task_id == task.id).order_by(Assignment.tenant_path)
            .execution_options(yield_per=BATCH))
    book = xlsx.Book(zone=zone)
    sheet = book.sheet(task.title or _("Reports"), [_("Union"), _("Link name"), _("Parent union"), _("Status"),
                                                    _("Submitted at"), _("Reason")] + [f["name"] for f in task.fields])
    done = 0
    for assignment, slug, name, parent_name in session.execute(stmt):
        report = assignment.report or {}
        values = []
        for f in task.fields:
            if f["kind"] == "file":
                values.append(", ".join(names.get((assignment.id, f["name"]), [])))
            else:
                values.append(report.get(f["name"]) if assignment.status in DONE else None)
        sheet.append([name, slug, parent_name, STATUS_LABELS_PLAIN.get(assignment.status, assignment.status),
                      assignment.submitted_at, assignment.reason] + values)
        done += 1
        if progress and done % BATCH == 0:
            progress(done, total)
    book.save(out)
    return done


def _status_labels():
    from union_saas.office.models import STATUS_LABELS

    return STATUS_LABELS


STATUS_LABELS_PLAIN = _status_labels()


# --- due-date reminders -----------------------------------------------------------------------------

def send_due_reminders(session, now=None):
    """In-app reminders for open or returned assignments due tomorrow (local time) or today; idempotent."""
    now = now or utcnow()
    local = now.astimezone(LOCAL_ZONE)
    today = local.replace(hour=0, minute=0, second=0, microsecond=0)
    start_today = today.astimezone(UTC)
    start_tomorrow = (today + timedelta(days=1)).astimezone(UTC)
    start_after = (today + timedelta(days=2)).astimezone(UTC)
    sent = {}
    for kind, column, low, high in (("task.due_today", Assignment.reminded_due_at, start_today, start_tomorrow),
                                    ("task.due_soon", Assignment.reminded_before_at, start_tomorrow, start_after)):
        due = sa.and_(Assignment.status.in_(OPEN), Assignment.due_at >= low, Assignment.due_at < high,
                      column.is_(None))
        session.execute(sa.insert(OfficeNotification).from_select(
            ["root_id", "tenant_id", "kind", "assignment_id", "title", "created_at"],
            sa.select(Assignment.root_id, Assignment.tenant_id, sa.literal(kind), Assignment.id, Task.title,
                      sa.literal(now, OfficeNotification.created_at.type))
            .join(Task, Task.id == Assignment.task_id).where(due)))
        # The same rows, marked: a second run the same day finds none of them.
        sent[kind] = session.execute(sa.update(Assignment).where(due).values({column.key: now})
                                     .execution_options(synchronize_session=False)).rowcount
    session.flush()
    return sent


# --- resources: how routes find the office's records and who may see them ---------------------------

def _load_notice(session, notice_id):
    return session.scalar(sa.select(Notice).options(joinedload(Notice.tenant)).where(Notice.id == notice_id))


def _notice_inside(session, notice, tenant):
    """Sent by ``tenant``, or addressed to it or below it."""
    return notice.tenant_id == tenant.id or session.scalar(
        sa.select(NoticeReceipt.id).where(NoticeReceipt.notice_id == notice.id,
                                          subtree_clause(NoticeReceipt.tenant_path, tenant.path)).limit(1)) is not None


def _task_inside(session, task, tenant):
    """Assigned by ``tenant``, or to it or below it."""
    return task.tenant_id == tenant.id or session.scalar(
        sa.select(Assignment.id).where(Assignment.task_id == task.id,
                                       subtree_clause(Assignment.tenant_path, tenant.path)).limit(1)) is not None


def _load_assignment(session, assignment_id):
    return session.scalar(sa.select(Assignment).options(joinedload(Assignment.task), joinedload(Assignment.tenant))
                          .where(Assignment.id == assignment_id))


def _assignment_visible(session, user, assignment):
    return (engine.can(user, "office.view", assignment.tenant)
            or may_decide(session, user, assignment, assignment.task))


def _load_attachment(session, attachment_id):
    """An attachment for its download: with its bytes (the routes that name one send it)."""
    return session.scalar(sa.select(Attachment).options(
        joinedload(Attachment.assignment).joinedload(Assignment.task),
        joinedload(Attachment.assignment).joinedload(Assignment.tenant),
        joinedload(Attachment.file).undefer(files.StoredFile.content)).where(Attachment.id == attachment_id))


def _load_notice_file(session, file_id):
    return session.scalar(sa.select(NoticeAttachment).options(
        joinedload(NoticeAttachment.notice).joinedload(Notice.tenant),
        joinedload(NoticeAttachment.file).undefer(files.StoredFile.content)).where(NoticeAttachment.id == file_id))


NOTICE = resources.register("notice", Notice, load=_load_notice, manage="notice.send", inside=_notice_inside,
                            visible=lambda session, user, notice: may_read_notice(session, user, notice))
TASK = resources.register("task", Task, manage="task.assign", inside=_task_inside,
                          visible=lambda session, user, task: task_visible(session, user, task))
ASSIGNMENT = resources.register("assignment", Assignment, load=_load_assignment, manage="task.assign",
                                visible=_assignment_visible)
ATTACHMENT = resources.register("attachment", Attachment, load=_load_attachment,
                                owner=lambda a: a.assignment.tenant,
                                visible=lambda session, user, a: _assignment_visible(session, user, a.assignment),
                                inside=lambda session, a, tenant: a.assignment.tenant_id == tenant.id
                                or a.assignment.task.tenant_id == tenant.id)
NOTICE_FILE = resources.register("notice_file", NoticeAttachment, load=_load_notice_file, arg="file_id",
                                 owner=lambda f: f.notice.tenant,
                                 visible=lambda session, user, f: may_read_notice(session, user, f.notice))
