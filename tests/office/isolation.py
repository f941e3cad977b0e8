from tests.isolation.world import Case, everyone, managed, members
from tests.office import helpers
from union_saas.office.models import Attachment


def parents_notice(world, session):
    notice = helpers.send(session, world.tenants["a"], "subtree")
    return {"notice": notice.id}


def siblings_notice(world, session):
    from union_saas.tenancy import services as tenancy

    tenancy.create_child(session, None, world.tenants["a-s2"], slug="a-s2-c1", name="A-S2-C1", kind="community")
    notice = helpers.send(session, world.tenants["a-s2"], "subtree")
    return {"notice": notice.id}


def a_notice_file(world, session):
    from union_saas.office.models import NoticeAttachment

    notice = helpers.send(session, world.tenants["a-s1"], "children")
    row = NoticeAttachment(notice_id=notice.id, file=helpers.png_file(session, "plan.png"))
    session.add(row)
    session.flush()
    return {"file": row.id}


def members_notice(world, session):
    """A notice of the federation for the members of every union below it."""
    return {"notice": helpers.send(session, world.tenants["a"], "subtree", audience="members").id}


def own_notice(world, session):
    return {"notice": helpers.send(session, world.tenants["a-s1"], "children").id}


def parents_task(world, session, fields=None):
    task = helpers.assign(session, world.tenants["a"], "subtree", fields=fields)
    return task, helpers.assignment_of(session, task, world.tenants["a-s1"])


def open_assignment(world, session):
    task, a = parents_task(world, session)
    return {"task": task.id, "assignment": a.id}


def submitted_assignment(world, session):
    task, a = parents_task(world, session)
    a.status = "submitted"
    a.report = {}
    session.flush()
    return {"task": task.id, "assignment": a.id}


def file_assignment(world, session):
    task, a = parents_task(world, session, fields=[{"name": "Photos", "kind": "file", "required": True}])
    return {"task": task.id, "assignment": a.id}


def an_attachment(world, session):
    _task, a = parents_task(world, session, fields=[{"name": "Photos", "kind": "file", "required": True}])
    row = Attachment(assignment_id=a.id, field="Photos", file=helpers.png_file(session))
    session.add(row)
    session.flush()
    return {"attachment": row.id}


def own_task(world, session):
    task = helpers.assign(session, world.tenants["a-s1"], "children")
    return {"task": task.id}


NOTICE = {"title": "Safety check", "body": "Please check the fire exits.", "to": "children"}
TASK = {"title": "May Day report", "due_at": "2099-05-01T18:00:00+08:00", "to": "children",
        "fields": [{"name": "Participants", "kind": "number", "required": True}]}
TASK_FORM = {"title": "May Day report", "due_at": "2099-05-01T18:00", "to": "children", "field_name_0": "Participants",
             "field_kind_0": "number", "field_required_0": "1"}
# Reading a notice addressed into a-s1's subtree: its own office, and the sender above.
RECEIPTS = managed(200)
REMIND = {**managed(200, officer=403)}
# Reports count only when made by the union's own office: an ancestor's admin may look, not report.
REPORT = {**managed(200), "parent_admin": 403}
DECIDE = {**managed(200), "own_admin": 403, "own_officer": 403}

CASES = [
    # A union's page of a notice meant for its members: its members only (not its offices, not others).
    Case("office.member_notice", "GET", "/t/{own}/notices/{notice}", everyone(404), page=True,
         setup=members_notice, members=members(404, member_own=200)),
    # notices
    Case("office_api.send_notice", "POST", "/api/v1/tenants/{own}/notices", managed(202, officer=403), body=NOTICE),
    Case("office_api.sent_notices", "GET", "/api/v1/tenants/{own}/notices", managed(200, officer=403)),
    Case("office_api.inbox", "GET", "/api/v1/tenants/{own}/inbox?unread=1", managed(200)),
    Case("office_api.read", "POST", "/api/v1/tenants/{own}/inbox/{notice}/read", managed(204), setup=parents_notice),
    Case("office_api.read", "POST", "/api/v1/tenants/{own}/inbox/{notice}/read", managed(404),
         setup=siblings_notice, id="not addressed"),
    Case("office_api.ack", "POST", "/api/v1/tenants/{own}/inbox/{notice}/ack", managed(204), setup=parents_notice),
    Case("office_api.receipts", "GET", "/api/v1/notices/{notice}/receipts?under={own}", RECEIPTS,
         setup=parents_notice),
    Case("office_api.receipts", "GET", "/api/v1/notices/{notice}/receipts?under={own}", managed(404),
         setup=siblings_notice, id="sibling's notice"),
    Case("office_api.remind", "POST", "/api/v1/notices/{notice}/remind", REMIND, setup=parents_notice,
         body={"under": "a-s1"}),
    Case("office_api.notifications", "GET", "/api/v1/tenants/{own}/notifications", managed(200)),
    Case("office_api.my_notices", "GET", "/api/v1/me/notices", everyone(200)),
    Case("office_api.attach_to_notice", "POST", "/api/v1/notices/{notice}/attachments", managed(201, officer=403),
         setup=own_notice, files=helpers.png),
    # A notice of a-s1 to its child: its office and the office it was addressed to read its files.
    Case("office_api.notice_file", "GET", "/api/v1/notice-files/{file}", {**managed(200), "child_admin": 200},
         setup=a_notice_file),
    # tasks
    Case("office_api.assign_task", "POST", "/api/v1/tenants/{own}/tasks", managed(202, officer=403), body=TASK),
    Case("office_api.task_list", "GET", "/api/v1/tenants/{own}/tasks", managed(200, officer=403)),
    Case("office_api.assignments", "GET", "/api/v1/tenants/{own}/assignments?status=open", managed(200)),
    Case("office_api.get_assignment", "GET", "/api/v1/assignments/{assignment}", managed(200),
         setup=open_assignment),
    Case("office_api.cascade", "POST", "/api/v1/assignments/{assignment}/cascade", managed(202, officer=403),
         setup=open_assignment, body={"to": "children"}),
    Case("office_api.report", "POST", "/api/v1/assignments/{assignment}/report", REPORT, setup=open_assignment,
         body={"values": {}}),
    Case("office_api.accept", "POST", "/api/v1/assignments/{assignment}/accept", DECIDE,
         setup=submitted_assignment),
    Case("office_api.return_report", "POST", "/api/v1/assignments/{assignment}/return", DECIDE,
         setup=submitted_assignment, body={"reason": "Add the photos"}),
    Case("office_api.progress", "GET", "/api/v1/tasks/{task}/progress?under={own}", managed(200),
         setup=open_assignment),
    Case("office_api.upload", "POST", "/api/v1/assignments/{assignment}/attachments", {**REPORT, "own_admin": 201,
         "own_officer": 201}, setup=file_assignment, body={"field": "Photos"}, files=helpers.png),
    Case("office_api.download", "GET", "/api/v1/attachments/{attachment}", managed(200), setup=an_attachment),
    Case("office_api.export", "POST", "/api/v1/tasks/{task}/export", managed(202, officer=403), setup=own_task),
    # pages
    Case("office.inbox", "GET", "/manage/{own}/office", managed(200), page=True),
    Case("office.notice_file", "GET", "/office/notice-files/{file}", {**managed(200), "child_admin": 200}, page=True,
         setup=a_notice_file),
    Case("office.notice", "GET", "/manage/{own}/office/notices/{notice}", managed(200), page=True,
         setup=parents_notice),
    Case("office.ack", "POST", "/manage/{own}/office/notices/{notice}/ack", managed(302), page=True,
         setup=parents_notice),
    Case("office.sent", "GET", "/manage/{own}/office/sent", managed(200, officer=403), page=True),
    Case("office.new_notice", "GET", "/manage/{own}/office/notices/new", managed(200, officer=403), page=True),
    Case("office.send_notice", "POST", "/manage/{own}/office/notices/new", managed(302, officer=403), page=True,
         body=NOTICE),
    Case("office.receipts", "GET", "/manage/{own}/office/notices/{notice}/receipts", managed(200), page=True,
         setup=parents_notice),
    Case("office.remind", "POST", "/manage/{own}/office/notices/{notice}/remind", managed(302, officer=403),
         page=True, setup=parents_notice),
    Case("office.task_list", "GET", "/manage/{own}/office/tasks", managed(200, officer=403), page=True),
    Case("office.new_task", "GET", "/manage/{own}/office/tasks/new", managed(200, officer=403), page=True),
    Case("office.assign_task", "POST", "/manage/{own}/office/tasks/new", managed(302, officer=403), page=True,
         body=TASK_FORM),
    Case("office.progress", "GET", "/manage/{own}/office/tasks/{task}/progress", managed(200), page=True,
         setup=open_assignment),
    Case("office.export", "POST", "/manage/{own}/office/tasks/{task}/export", managed(302, officer=403), page=True,
         setup=own_task),
    Case("office.assignments", "GET", "/manage/{own}/office/assignments", managed(200), page=True),
    Case("office.assignment", "GET", "/manage/{own}/office/assignments/{assignment}", managed(200), page=True,
         setup=open_assignment),
    Case("office.report", "POST", "/manage/{own}/office/assignments/{assignment}/report",
         {**managed(302), "parent_admin": 403}, page=True, setup=open_assignment, body={}),
    Case("office.cascade", "POST", "/manage/{own}/office/assignments/{assignment}/cascade",
         managed(302, officer=403), page=True, setup=open_assignment, body={"to": "children"}),
    Case("office.accept", "POST", "/manage/{own}/office/assignments/{assignment}/accept",
         {**managed(302), "own_admin": 403, "own_officer": 403}, page=True, setup=submitted_assignment),
    Case("office.return_report", "POST", "/manage/{own}/office/assignments/{assignment}/return",
         {**managed(302), "own_admin": 403, "own_officer": 403}, page=True, setup=submitted_assignment,
         body={"reason": "Add the photos"}),
    Case("office.upload", "POST", "/manage/{own}/office/assignments/{assignment}/attachments",
         {**managed(302), "parent_admin": 403}, page=True, setup=file_assignment, body={"field": "Photos"},
         files=helpers.png),
    Case("office.download", "GET", "/manage/{own}/office/attachments/{attachment}", managed(200), page=True,
         setup=an_attachment),
]
