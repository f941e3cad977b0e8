"""Notices with receipts, tasks with assignments and reports, for ``flask demo seed`` (see ``demo_seed``).

Two years of the district's office: the federation and the streets send notices (to their children, to a
list of unions, now and then to their whole subtree) and assign tasks with report forms. Rows are what
``office.services`` and its jobs leave: one receipt or assignment per addressed active union, storing that
union's path; ``addressed_count`` equal to the receipts; reads and reports only by someone whose own grant
is at the addressed union (``engine.holds_at``), so unions with no office account never read nor report;
reports submitted on time or late, accepted or returned by whoever assigned them; a task passed on
(``cascaded``) reported only once all the unions it was passed to have; reminders of unread notices and of
due tasks with their in-app notifications to the offices.
"""
import bisect
import itertools
from datetime import UTC, datetime, timedelta

from union_saas.core.markup import render_markdown
from union_saas.office.models import (
    Assignment,
    Notice,
    NoticeRead,
    NoticeReceipt,
    OfficeNotification,
    Task,
)

HOUR, DAY = timedelta(hours=1), timedelta(days=1)
LOCAL = timedelta(hours=8)  # Asia/Shanghai

NOTICE_TITLES = (
    "关于开展{year}年“金秋助学”活动的通知", "关于做好{year}年春节期间困难职工帮扶工作的通知",
    "关于召开{year}年第{q}季度工会工作例会的通知", "关于开展{year}年“工会会员实名制”数据核查的通知",
    "关于组织参加{year}年职工技能大赛的通知", "关于做好夏季高温期间户外劳动者关爱工作的通知",
    "关于开展“尊法守法·携手筑梦”服务农民工公益法律服务行动的通知", "关于推荐{year}年度先进职工之家的通知",
    "关于加强工会经费使用管理的通知", "关于开展安全生产月活动的通知", "关于做好{year}年度工会统计年报工作的通知",
    "关于举办{year}年职工心理健康讲座的通知", "关于转发上级工会文件的通知", "关于国庆节放假安排的通知",
)
NOTICE_BODY = ("各基层工会：\n\n根据工作安排，现将有关事项通知如下，请认真组织落实。\n\n"
               "1. 请各单位高度重视，指定专人负责；\n2. 按时完成相关工作；\n3. 有关情况请及时报送。\n\n特此通知。")
TASK_FORMS = (
    ("关于报送{year}年第{q}季度工会工作情况的通知",
     [("参加人数", "number", True), ("开展活动场次", "number", True), ("工作小结", "text", True)]),
    ("{year}年送温暖活动情况统计",
     [("慰问困难职工人数", "number", True), ("发放慰问金（元）", "number", True), ("情况说明", "text", False)]),
    ("{year}年会员实名制核查进度",
     [("会员人数", "number", True), ("已核实人数", "number", True)]),
    ("职工书屋建设情况调查（{year}年）",
     [("藏书数量", "number", True), ("月均借阅人次", "number", False), ("存在的困难", "text", False)]),
    ("{year}年职工技能竞赛报名汇总",
     [("报名人数", "number", True), ("参赛工种", "text", True)]),
    ("关于征集{year}年度工会工作意见建议的通知", [("意见建议", "text", True)]),
)
RETURN_REASONS = ("数据有误，请核实后重新报送", "缺少情况说明，请补充", "人数与台账不符，请核对")


def _between(rng, start, end):
    return start + (end - start) * rng.random() if end > start else start


def _local_day(at, days=0, hour=9):
    """``hour`` o'clock (Asia/Shanghai) on the local day of ``at``, ``days`` later, in UTC."""
    local = at + LOCAL
    return datetime(local.year, local.month, local.day, tzinfo=UTC) + timedelta(days=days, hours=hour) - LOCAL


class Tree:
    """Children and subtrees (contiguous runs of the tenants sorted by path), and who holds an office where."""

    def __init__(self, ctx):
        self.ordered = sorted(ctx.tenants, key=lambda t: t.path)
        self.paths = [t.path for t in self.ordered]
        self.position = {t.id: n for n, t in enumerate(self.ordered)}
        self.children = {}
        for t in ctx.tenants:
            if t.parent_id is not None:
                self.children.setdefault(t.parent_id, []).append(t)
        # A grant whose role has office.view, task.report and notice.send/task.assign (all but member roles).
        self.office = {}
        for role in ("federation_admin", "union_admin", "union_officer"):
            for user_id, tenant_id in ctx.admins.get(role, ()):
                self.office.setdefault(tenant_id, (user_id, role))

    def below(self, tenant):
        n = self.position[tenant.id]
        end = bisect.bisect_left(self.paths, tenant.path + "~", n + 1)
        return self.ordered[n + 1:end]

    def holder(self, tenant_id):
        found = self.office.get(tenant_id)
        return found[0] if found else None

    def assigner(self, tenant_id):
        """Who may send and assign from here (union or federation administrator)."""
        found = self.office.get(tenant_id)
        return found[0] if found and found[1] != "union_officer" else None

    def addressees(self, rng, sender, target_weights):
        """(target, target ids, tenants) as ``resolve_targets`` and ``addressees_stmt`` would make them."""
        target = rng.choices(("children", "list", "subtree"), target_weights)[0]
        below = self.below(sender)
        if target == "children":
            chosen = self.children.get(sender.id, [])
        elif target == "subtree":
            chosen = below
        else:
            offices = [t for t in below if t.id in self.office]
            pool = offices or self.children.get(sender.id, [])
            chosen = rng.sample(pool, max(1, int(len(pool) * rng.uniform(0.4, 1.0)))) if pool else []
        if not chosen:
            chosen, target = self.children.get(sender.id, []), "children"
        chosen = sorted(chosen, key=lambda t: t.id)
        return target, [t.id for t in chosen] if target == "list" else [], chosen


def _senders(ctx, tree, count):
    """(sender, date) of ``count`` items: a fifth from the federation, the rest from the streets."""
    rng = ctx.rng
    streets = [t for t in ctx.tenants if t.kind == "street" and tree.assigner(t.id)]
    first = ctx.start + timedelta(days=45)
    out = []
    for n in range(count):
        sender = ctx.root if n % 5 == 0 or not streets else streets[n % len(streets)]
        out.append((sender, _between(rng, first, ctx.now - timedelta(minutes=30))))
    out.sort(key=lambda pair: pair[1])
    return out


def step_notices(ctx):
    count = ctx.scale.options.get("notices", 0)
    if not count:
        return
    rng, now = ctx.rng, ctx.now
    tree = Tree(ctx)
    body_html = render_markdown(NOTICE_BODY)
    notices, receipts, reads, reminders = [], [], [], []
    notice_ids = iter(ctx.reserve_ids(Notice.__table__, count))
    for sender, sent in _senders(ctx, tree, count):
        weights = (55, 37, 8) if sender.id == ctx.root.id else (60, 30, 10)
        target, target_ids, tenants = tree.addressees(rng, sender, weights)
        if not tenants:
            continue
        notice_id = next(notice_ids)
        urgent = rng.random() < 0.12
        requires_ack = rng.random() < (0.7 if urgent else 0.25)
        local = sent + LOCAL
        title = rng.choice(NOTICE_TITLES).format(year=local.year, q=(local.month - 1) // 3 + 1)
        notices.append((notice_id, sender.root_id, sender.id, sender.path, tree.assigner(sender.id), title, NOTICE_BODY,
                        body_html, "urgent" if urgent else "normal",
                        rng.choices(("offices", "both", "members"), (70, 20, 10))[0], requires_ack, target,
                        ctx.json(target_ids),
                        len(tenants), None, sent))
        made = sent + timedelta(seconds=rng.randint(2, 90))  # the fan-out job ran
        remind_at = sent + timedelta(days=3) if rng.random() < 0.3 and sent + timedelta(days=3) < now else None
        for t in tenants:
            read_at = read_by = acked_at = acked_by = reminded = None
            reader = tree.holder(t.id)
            if reader is not None:
                age = (now - sent) / timedelta(days=3)
                if rng.random() < (0.97 if urgent else 0.88) * min(1.0, age):
                    read_at = made + timedelta(hours=rng.expovariate(1 / (3 if urgent else 14)))
                    if read_at >= now:
                        read_at = None
                    else:
                        read_by = reader
                        if requires_ack and rng.random() < 0.9:
                            acked_at = min(read_at + timedelta(minutes=rng.randint(1, 180)), now)
                            acked_by = reader
                        reads.append((notice_id, t.id, reader, read_at, acked_at))
            if remind_at is not None and (read_at is None or read_at > remind_at):
                reminded = remind_at
                reminders.append((t.root_id, t.id, "notice.reminder", notice_id, None, title[:200], remind_at))
            receipts.append((notice_id, t.root_id, t.id, t.path, read_at, read_by, acked_at, acked_by, reminded, made))
    ctx.insert(Notice.__table__, ("id", "root_id", "tenant_id", "tenant_path", "author_id", "title", "body",
                                  "body_html", "priority", "audience", "requires_ack", "target", "target_ids",
                                  "addressed_count", "job_id", "sent_at"), notices, len(notices), "notices")
    ids = ctx.reserve_ids(NoticeReceipt.__table__, len(receipts))
    ctx.insert(NoticeReceipt.__table__, ("id", "notice_id", "root_id", "tenant_id", "tenant_path", "read_at",
                                         "read_by_id", "acked_at", "acked_by_id", "reminded_at", "created_at"),
               ((i, *row) for i, row in zip(ids, receipts)), len(receipts), "receipts")
    ids = ctx.reserve_ids(NoticeRead.__table__, len(reads))
    ctx.insert(NoticeRead.__table__, ("id", "notice_id", "tenant_id", "user_id", "read_at", "acked_at"),
               ((i, *row) for i, row in zip(ids, reads)), len(reads), "notice reads")
    _notify(ctx, reminders)


def _notify(ctx, rows):
    ids = ctx.reserve_ids(OfficeNotification.__table__, len(rows))
    ctx.insert(OfficeNotification.__table__, ("id", "root_id", "tenant_id", "kind", "notice_id", "assignment_id",
                                              "title", "created_at"),
               ((i, *row) for i, row in zip(ids, sorted(rows, key=lambda r: r[-1]))), len(rows), "office inbox")


def _report(rng, fields, tenant_size):
    out = {}
    for name, kind, required in fields:
        if not required and rng.random() < 0.4:
            continue
        if kind == "number":
            out[name] = int(rng.uniform(1, 20) * max(1, tenant_size) ** 0.5) * (100 if "元" in name else 1)
        else:
            out[name] = rng.choice(("已按要求完成。", "按计划推进，详见台账。", "本季度工作正常开展，无特殊情况。"))
    return out


def _assignment(ctx, tree, task, tenant, reporter, decider, created, due, parent_id=None, after=None):
    """One assignment's columns (without its id) and its due-date reminders [(kind, when)], as the office
    would have left it by now. ``after``: reported no earlier than this (the last report of the unions it
    was passed on to); False: it cannot report yet (some of them have not)."""
    rng, now = ctx.rng, ctx.now
    status, report, submitted, submitted_by, decided, decided_by, reason = "open", None, None, None, None, None, None
    if reporter is not None and after is not False:
        roll = rng.random()
        if due < now:
            state = "accepted" if roll < 0.6 else "submitted" if roll < 0.77 else "returned" if roll < 0.83 else "open"
        else:
            state = "submitted" if roll < 0.35 else "open"
        low = max(created + HOUR, after or created)
        if state != "open":
            if due < now and rng.random() < 0.22:  # late
                submitted = due + timedelta(days=rng.uniform(0.2, 10))
            else:
                submitted = _between(rng, low, min(due, now) - timedelta(minutes=5))
            submitted = max(submitted, low)
        if state != "open" and submitted < now - HOUR:
            status, report, submitted_by = "submitted", _report(rng, task["fields"], len(tree.below(tenant)) + 3), \
                reporter
            if state in ("accepted", "returned") and decider is not None:
                decided = _between(rng, submitted + HOUR, min(submitted + timedelta(hours=72), now - HOUR))
                status, decided_by = state, decider
                reason = rng.choice(RETURN_REASONS) if state == "returned" else None
        else:
            submitted = None
    # The daily reminder job finds it while it is open (before the report) or returned (after the decision).
    waiting = [(created, submitted or now)] + ([(decided, now)] if status == "returned" else [])
    reminders = []
    for kind, when in (("task.due_soon", _local_day(due, -1)), ("task.due_today", _local_day(due))):
        if when < now and any(low <= when < high for low, high in waiting):
            reminders.append((kind, when))
    sent = dict(reminders)
    row = (task["id"], tenant.root_id, tenant.id, tenant.path, parent_id, due, status, False,
           ctx.json(report) if report is not None else None, submitted, submitted_by, decided, decided_by, reason,
           sent.get("task.due_soon"), sent.get("task.due_today"), created)
    return row, reminders


def step_tasks(ctx):
    count = ctx.scale.options.get("tasks", 0)
    if not count:
        return
    rng, now = ctx.rng, ctx.now
    tree = Tree(ctx)
    tasks, assignments, reminders = [], [], []
    task_ids = iter(ctx.reserve_ids(Task.__table__, count))
    next_assignment = itertools.count(ctx.next_id(Assignment.__table__))

    def add(row, notes, assignment_id, title):
        assignments.append((assignment_id, *row))
        reminders.extend((row[1], row[2], kind, None, assignment_id, title, when) for kind, when in notes)

    for sender, created in _senders(ctx, tree, count):
        created = min(created, now - DAY)
        federation = sender.id == ctx.root.id
        target, target_ids, tenants = tree.addressees(rng, sender, (40, 60, 0))
        if not tenants:
            continue
        local = created + LOCAL
        pattern, form = rng.choice(TASK_FORMS)
        title = pattern.format(year=local.year, q=(local.month - 1) // 3 + 1)
        due = _local_day(created, rng.randint(7, 30), hour=18)
        instructions = "请各单位按表单要求如实填报，逾期未报的将予以通报。"
        task = {"id": next(task_ids), "fields": form}
        fields = [{"name": n, "kind": k, "required": r} for n, k, r in form]
        tasks.append((task["id"], sender.root_id, sender.id, sender.path, tree.assigner(sender.id), title,
                      instructions, render_markdown(instructions), due, ctx.json(fields), target,
                      ctx.json(target_ids), None, created))
        made = created + timedelta(seconds=rng.randint(2, 120))  # the fan-out job ran
        decider = tree.assigner(sender.id)
        taken = {t.id for t in tenants}  # one assignment per union and task: cascades skip those that have one
        for t in tenants:
            reporter = tree.holder(t.id)
            below = [c for c in tree.below(t) if c.id in tree.office and c.id not in taken]
            if federation and reporter and tree.assigner(t.id) and below and rng.random() < 0.3:
                # Passed on to the offices below it: reported once they all have.
                cascaded_at = made + timedelta(hours=rng.uniform(1, 48))
                if cascaded_at >= now:
                    cascaded_at = made
                parent_id = next(next_assignment)
                taken.update(c.id for c in below)
                children, last, all_done = [], cascaded_at, True
                for c in below:
                    row, notes = _assignment(ctx, tree, task, c, tree.holder(c.id), tree.assigner(t.id), cascaded_at,
                                             due, parent_id)
                    children.append((row, notes, next(next_assignment)))
                    if row[6] in ("open", "returned"):
                        all_done = False
                    else:
                        last = max(last, row[9])
                row, notes = _assignment(ctx, tree, task, t, reporter, decider, made, due,
                                         after=last if all_done else False)
                add(row[:7] + (True,) + row[8:], notes, parent_id, title)
                for row, notes, assignment_id in children:
                    add(row, notes, assignment_id, title)
            else:
                row, notes = _assignment(ctx, tree, task, t, reporter, decider, made, due)
                add(row, notes, next(next_assignment), title)
    ctx.insert(Task.__table__, ("id", "root_id", "tenant_id", "tenant_path", "author_id", "title", "instructions",
                                "instructions_html", "due_at", "fields", "target", "target_ids", "job_id",
                                "created_at"), tasks, len(tasks), "tasks")
    ctx.reserve_ids(Assignment.__table__, len(assignments))
    ctx.insert(Assignment.__table__, ("id", "task_id", "root_id", "tenant_id", "tenant_path", "parent_assignment_id",
                                      "due_at", "status", "cascaded", "report", "submitted_at", "submitted_by_id",
                                      "decided_at", "decided_by_id", "reason", "reminded_before_at",
                                      "reminded_due_at", "created_at"),
               assignments, len(assignments), "assignments")
    _notify(ctx, reminders)


SEED_STEPS = [(70, step_notices), (75, step_tasks)]
