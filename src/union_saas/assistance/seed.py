"""Help requests for ``flask demo seed`` (see ``demo_seed``): two years of workers asking their unions.

Each case is lived through as the services and the scheduler would have lived it, then written as they leave
it: filed by a member at their home union with the default clocks (the federation set none); answered at a
level with a handler office (an officer or admin whose own grant is there), in time or late; climbed one level
by the clock (``automatic``) when nobody answered before the first-response deadline (unions without an office
never answer), or passed on by hand with a reason; each climb with a fresh first-response clock, to the root
at most; then in progress, resolved (closed some weeks later), rated by about half of the requesters within
14 days; some still open, some overdue. ``climb_at`` and ``due_at`` are what ``services.recompute`` gives,
so the scheduler finds nothing left to climb; the timeline, the messages, the inbox and the audit log hold
what the calls wrote (free text never in the audit log).
"""
from datetime import timedelta

from union_saas.assistance.models import (
    DEFAULT_CLOCKS,
    HelpCase,
    HelpEvent,
    HelpMessage,
)
from union_saas.core.audit import AuditEntry
from union_saas.core.inbox import Notification
from union_saas.tenancy.models import path_ids

HANDLER_ROLES = ("federation_admin", "union_admin", "union_officer")
CATEGORY_WEIGHTS = (("legal", 35), ("hardship", 25), ("workplace", 30), ("other", 10))
TITLES = {
    "legal": ("单位拖欠三个月工资怎么办", "解除劳动合同没有给经济补偿", "加班费计算有争议", "工伤认定需要哪些材料",
              "试用期被辞退是否合法", "公司不给缴纳社保"),
    "hardship": ("家人重病，申请困难帮扶", "子女上学费用困难", "因病致贫申请救助", "单亲家庭生活困难",
                 "失业后生活困难，申请帮扶"),
    "workplace": ("车间夏季高温没有降温措施", "长期排班超时", "工作场所存在安全隐患", "被主管言语辱骂",
                  "食堂卫生问题反映"),
    "other": ("咨询入会和转会手续", "想参加职工技能培训", "咨询工会会员普惠服务", "职工书屋开放时间"),
}
DESCRIPTIONS = {
    "legal": "我在单位工作两年，最近遇到劳动争议，希望工会帮忙提供法律咨询，看看该怎么维权。",
    "hardship": "家庭月收入约两千元，家中有老人和孩子需要照顾，近期因病支出较大，申请困难帮扶。",
    "workplace": "工作中遇到问题，已向单位反映但一直没有解决，希望工会出面协调。",
    "other": "想向工会咨询一些事情，麻烦帮忙解答。",
}
ANSWERS = ("您好，已收到您的求助，我们会尽快联系您了解详细情况。", "您好，建议您先整理劳动合同、工资条等材料，我们约时间面谈。",
           "您好，已和单位沟通，正在协调处理，有进展会第一时间告知。")
NOTES = ("已电话联系，情况属实。", "需要法律援助律师介入。", "已向单位工会主席了解情况。")
REPLIES = ("好的，谢谢！", "材料已经准备好了，什么时候方便？", "请问还需要提供什么？")
REASONS = ("需要上级工会协调法律援助", "涉及跨单位问题，本级无法处理", "帮扶金额超出本级权限")
COMMENTS = ("处理及时，非常感谢", "问题解决了", "希望以后更快一些", None)
ACTIVE = ("open", "in_progress", "waiting_member")


def _office(ctx):
    """tenant id -> handler user ids whose own grant is there (the office told of each case)."""
    office = {}
    for role in HANDLER_ROLES:
        for user_id, tenant_id in ctx.admins.get(role, ()):
            office.setdefault(tenant_id, []).append(user_id)
    return office


def step_help_requests(ctx):
    rng, now = ctx.rng, ctx.now
    total = ctx.scale.options.get("help_requests") or max(60, ctx.scale.members // 10)
    office = _office(ctx)
    members = sorted(ctx.home)
    if not members:
        return
    cases, events, messages, notes, audits = [], [], [], [], []
    case_ids = iter(ctx.reserve_ids(HelpCase.__table__, total))
    categories = [c for c, _w in CATEGORY_WEIGHTS]
    weights = [w for _c, w in CATEGORY_WEIGHTS]

    def notify(user_ids, kind, at, case_id, title, link, body="", **params):
        for uid in dict.fromkeys(user_ids):
            read = at + timedelta(hours=rng.uniform(0.5, 48)) if rng.random() < 0.7 else None
            notes.append((uid, f"assistance.{kind}", ctx.json({"title": title, **params}), body, link, "help_case",
                          case_id, ctx.root.id, at, read if read and read < now else None))

    def audit(action, actor, tenant, at, case_id, detail):
        audits.append((at, tenant.root_id, tenant.id, tenant.path, actor, action, f"help_case:{case_id}",
                       ctx.json(detail)))

    for n in range(total):
        case_id = next(case_ids)
        requester = rng.choice(members)
        home = ctx.tenant(ctx.home[requester])
        joined = ctx.joined_at.get(requester, ctx.start)
        # a third of the cases in the last month: the queues have fresh work
        start = max(joined, now - timedelta(days=30)) if n % 3 == 0 else joined
        created = ctx.date_between(start, now - timedelta(minutes=5))
        category = rng.choices(categories, weights)[0]
        hours, days = DEFAULT_CLOCKS[category]
        title = rng.choice(TITLES[category])
        urgency = "urgent" if rng.random() < 0.2 else "normal"
        frd, resd = created + timedelta(hours=hours), created + timedelta(days=days)
        tenant, t = home, created
        status, first_at, resolved_at, assignee = "open", None, None, None
        escalations = 0
        rating = comment = rated_at = None
        events.append((case_id, "filed", created, requester, None, home.id, False, None, None))
        notify(office.get(home.id, ()), "filed", created, case_id, title,
               f"/manage/{home.slug}/help-requests/{case_id}")

        def climb(at, automatic, actor=None, reason=None):
            nonlocal tenant, frd, first_at, assignee, escalations
            parent = ctx.tenant(tenant.parent_id)
            events.append((case_id, "escalated", at, actor, tenant.id, parent.id, automatic, reason, None))
            notify(office.get(parent.id, ()), "escalated", at, case_id, title,
                   f"/manage/{parent.slug}/help-requests/{case_id}")
            notify([requester], "moved", at, case_id, title, f"/me/help-requests/{case_id}", union=parent.name)
            audit("assistance.escalate", actor, tenant, at, case_id, {"to": parent.slug, "automatic": automatic})
            tenant, frd, first_at, assignee = parent, at + timedelta(hours=hours), None, None
            escalations += 1

        while True:
            handlers = office.get(tenant.id, ())
            # answered at this level? (a union without an office never answers; some offices are late)
            answer = t + timedelta(hours=hours * rng.uniform(0.05, 1.6)) if handlers and rng.random() < 0.85 else None
            at_root = tenant.parent_id is None
            if answer is not None and answer < now and (answer < frd or at_root):
                first_at, t = answer, answer
                handler = rng.choice(handlers)
                if rng.random() < 0.3:
                    messages.append((case_id, handler, rng.choice(NOTES), True, True, t - timedelta(minutes=10)))
                messages.append((case_id, handler, rng.choice(ANSWERS), False, True, t))
                events.append((case_id, "responded", t, handler, None, tenant.id, False, None, None))
                notify([requester], "answered", t, case_id, title, f"/me/help-requests/{case_id}")
                if tenant.parent_id is not None and rng.random() < 0.15:  # passed on by hand, with a reason
                    at = t + timedelta(hours=rng.uniform(1, 6))
                    if at < now:
                        climb(at, False, handler, rng.choice(REASONS))
                        t = at
                        continue
                break
            if frd >= now or at_root:  # still waiting, or at the root: no further
                break
            t = frd
            climb(t, True)  # nobody answered in time: the scheduler climbs it

        if first_at is not None:
            handler = next(e[3] for e in reversed(events) if e[0] == case_id and e[1] == "responded")
            # the answer puts it in progress (services.add_message); the handler then takes it on
            status = "in_progress"
            events.append((case_id, "status", first_at, handler, None, None, False, None, "in_progress"))
            audit("assistance.status", handler, tenant, first_at, case_id, {"from": "open", "to": "in_progress"})
            assignee = handler
            assigned_at = min(first_at + timedelta(minutes=5), now)
            events.append((case_id, "assigned", assigned_at, handler, None, None, False, None,
                           ctx.usernames.get(handler, "")[:40]))
            audit("assistance.assign", handler, tenant, assigned_at, case_id, {"assignee": ctx.usernames.get(handler)})
            if rng.random() < 0.5:
                at = first_at + timedelta(hours=rng.uniform(1, 30))
                if at < now:
                    messages.append((case_id, requester, rng.choice(REPLIES), False, False, at))
                    notify([handler], "replied", at, case_id, title, f"/manage/{tenant.slug}/help-requests/{case_id}")
            done = first_at + timedelta(days=days * rng.uniform(0.1, 1.4))
            if done < now and rng.random() < 0.9:
                status, resolved_at = "resolved", done
                events.append((case_id, "status", done, handler, None, None, False, None, "resolved"))
                notify([requester], "status", done, case_id, title, f"/me/help-requests/{case_id}", status="已解决")
                audit("assistance.status", handler, tenant, done, case_id, {"from": "in_progress", "to": "resolved"})
                rate_at = done + timedelta(days=rng.uniform(0.1, 13))
                if rng.random() < 0.55 and rate_at < now:
                    rating = rng.choices((5, 4, 3, 2, 1), (50, 30, 12, 5, 3))[0]
                    comment, rated_at = rng.choice(COMMENTS), rate_at
                    events.append((case_id, "rated", rate_at, requester, None, None, False, None, str(rating)))
                closed = done + timedelta(days=rng.uniform(15, 40))
                if closed < now:
                    status = "closed"
                    events.append((case_id, "status", closed, handler, None, None, False, None, "closed"))
                    notify([requester], "status", closed, case_id, title, f"/me/help-requests/{case_id}",
                           status="已关闭")
                    audit("assistance.status", handler, tenant, closed, case_id, {"from": "resolved", "to": "closed"})
            elif rng.random() < 0.3:
                status = "waiting_member"
                at = first_at + timedelta(hours=2)
                events.append((case_id, "status", at, handler, None, None, False, None, "waiting_member"))
                notify([requester], "status", at, case_id, title, f"/me/help-requests/{case_id}", status="等待会员回复")

        # the clocks, as services.recompute leaves them
        if status in ACTIVE:
            waiting = frd if first_at is None else None
            climb_at = waiting if waiting is not None and len(path_ids(tenant.path)) > 1 else None
            due_at = min(d for d in (waiting, resd) if d is not None)
        else:
            climb_at = due_at = None
        updated = max([e[2] for e in events[-12:] if e[0] == case_id] + [created])
        cases.append((case_id, tenant.id, ctx.root.id, tenant.path, home.id, home.path, requester, assignee,
                      category, title, DESCRIPTIONS[category], urgency, status, created, updated, frd, first_at,
                      resd, climb_at, due_at, escalations, resolved_at, 0, rating, comment, rated_at))

    ctx.insert(HelpCase.__table__, (
        "id", "tenant_id", "root_id", "tenant_path", "home_id", "home_path", "requester_id", "assignee_id",
        "category", "title", "description", "urgency", "status", "created_at", "updated_at", "first_response_due",
        "first_response_at", "resolution_due", "climb_at", "due_at", "escalation_count", "resolved_at",
        "reopened_count", "rating", "rating_comment", "rated_at"), cases, len(cases), "help requests")
    ids = ctx.reserve_ids(HelpEvent.__table__, len(events))
    ctx.insert(HelpEvent.__table__, ("id", "case_id", "kind", "at", "actor_id", "from_tenant_id", "to_tenant_id",
                                     "automatic", "reason", "value"),
               ((i, *e) for i, e in zip(ids, events)), len(events), "help request events")
    ids = ctx.reserve_ids(HelpMessage.__table__, len(messages))
    ctx.insert(HelpMessage.__table__, ("id", "case_id", "author_id", "body", "internal", "by_handler", "created_at"),
               ((i, *m) for i, m in zip(ids, messages)), len(messages), "help request messages")
    ids = ctx.reserve_ids(Notification.__table__, len(notes))
    ctx.insert(Notification.__table__, ("id", "user_id", "kind", "params", "body", "link", "subject_type",
                                        "subject_id", "root_id", "created_at", "read_at"),
               ((i, *m) for i, m in zip(ids, notes)), len(notes), "help request notifications")
    ids = ctx.reserve_ids(AuditEntry.__table__, len(audits))
    ctx.insert(AuditEntry.__table__, ("id", "at", "root_id", "tenant_id", "tenant_path", "actor_id", "action",
                                      "target", "detail"),
               ((i, *a) for i, a in zip(ids, audits)), len(audits), "help request audit")


SEED_STEPS = [(80, step_help_requests)]
