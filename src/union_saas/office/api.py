"""Office API (API.md, Office): notices, inboxes, receipts, tasks, assignments, reports."""
from flask import current_app
from flask_login import current_user

from union_saas.access.guards import record_view, signed_in, tenant_view
from union_saas.core import files, jobs
from union_saas.core.api import Blueprint
from union_saas.core.pagination import EmptyPage, PageArgs, page_schema, paginate
from union_saas.extensions import db
from union_saas.members.services import home_of
from union_saas.office import lookups, schemas, services, tasks

blp = Blueprint("office_api", __name__, url_prefix="/api/v1", description="Notices and tasks across levels")


# --- notices ----------------------------------------------------------------------------------------

@blp.route("/tenants/<slug>/notices", methods=["POST"])
@blp.arguments(schemas.NoticeCreateSchema)
@blp.response(202, schemas.NoticeAcceptedSchema)
@tenant_view("notice.send")
def send_notice(data, tenant):
    notice = services.send_notice(db.session, current_user, tenant, data)
    job = jobs.submit(db.session, tasks.send_notice, notice.id, owner=current_user, tenant=tenant)
    notice.job_id = job.id
    return {"notice": schemas.notice_doc(notice, tenant.slug), "job": job.id}


@blp.route("/tenants/<slug>/notices", methods=["GET"])
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(schemas.NoticeSchema))
@tenant_view("notice.send")
def sent_notices(args, tenant):
    page = paginate(db.session, services.sent_notices_stmt(tenant), args["page"], args["per_page"])
    counts = services.notice_counts(db.session, [n.id for n in page.items])
    return page.doc([schemas.notice_doc(n, tenant.slug, counts.get(n.id, (0, 0))) for n in page.items])


@blp.route("/tenants/<slug>/inbox", methods=["GET"])
@blp.arguments(schemas.InboxArgs, location="query")
@blp.response(200, page_schema(schemas.InboxItemSchema))
@tenant_view("office.view")
def inbox(args, tenant):
    page = paginate(db.session, services.inbox_stmt(tenant, unread=args["unread"]), args["page"], args["per_page"],
                    scalars=False)
    return page.doc(lookups.inbox_docs(page.items))


@blp.route("/tenants/<slug>/inbox/<int:notice_id>/read", methods=["POST"])
@blp.response(204)
@blp.alt_response(404, description="Not addressed to this union")
@tenant_view("office.view")
def read(tenant, notice_id):
    services.mark_read(db.session, current_user, tenant, services.receipt_of(db.session, notice_id, tenant))


@blp.route("/tenants/<slug>/inbox/<int:notice_id>/ack", methods=["POST"])
@blp.response(204)
@blp.alt_response(404, description="Not addressed to this union")
@tenant_view("office.view")
def ack(tenant, notice_id):
    services.mark_read(db.session, current_user, tenant, services.receipt_of(db.session, notice_id, tenant),
                       ack=True)


@blp.route("/notices/<int:notice_id>/receipts", methods=["GET"])
@blp.arguments(schemas.UnderArgs, location="query")
@blp.response(200, page_schema(schemas.ReceiptRowSchema))
@blp.alt_response(404, description="No such notice, or not visible to the caller")
@record_view("notice")
def receipts(args, notice):
    notice, _under, prefix = lookups.notice_scope(notice, args["under"])
    page = paginate(db.session, services.receipts_rollup_stmt(notice, prefix), args["page"], args["per_page"],
                    scalars=False)
    rows = services.rollup_rows(db.session, page.items, prefix)
    return page.doc([{"tenant": r["slug"], "name": r["tenant"].name if r["tenant"] else None,
                            "addressed": r["row"].addressed, "read": r["row"].read, "acked": r["row"].acked}
                           for r in rows])


@blp.route("/notices/<int:notice_id>/remind", methods=["POST"])
@blp.arguments(schemas.RemindSchema)
@blp.response(200, schemas.RemindedSchema)
@blp.alt_response(404, description="No such notice, or not visible to the caller")
@record_view("notice")
def remind(data, notice):
    notice, _under, prefix = lookups.notice_scope(notice, data.get("under"), permission="notice.send")
    return {"reminded": services.remind_unread(db.session, current_user, notice, prefix)}


@blp.route("/tenants/<slug>/notifications", methods=["GET"])
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(schemas.OfficeNotificationSchema))
@tenant_view("office.view")
def notifications(args, tenant):
    page = paginate(db.session, services.notifications_stmt(tenant), args["page"], args["per_page"])
    return page.doc([schemas.notification_doc(n) for n in page.items])


@blp.route("/me/notices", methods=["GET"])
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(schemas.MemberNoticeSchema))
@signed_in
def my_notices(args):
    home = home_of(db.session, current_user)
    if home is None:
        return EmptyPage(args["page"], args["per_page"]).doc()
    page = paginate(db.session, services.member_notices_stmt(home), args["page"], args["per_page"])
    return page.doc(lookups.member_docs(page.items))


# --- tasks ------------------------------------------------------------------------------------------

@blp.route("/tenants/<slug>/tasks", methods=["POST"])
@blp.arguments(schemas.TaskCreateSchema)
@blp.response(202, schemas.TaskAcceptedSchema)
@tenant_view("task.assign")
def assign_task(data, tenant):
    task = services.create_task(db.session, current_user, tenant, data)
    job = jobs.submit(db.session, tasks.assign_task, task.id, owner=current_user, tenant=tenant)
    task.job_id = job.id
    return {"task": schemas.task_doc(task, tenant.slug), "job": job.id}


@blp.route("/tenants/<slug>/tasks", methods=["GET"])
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(schemas.TaskSchema))
@tenant_view("task.assign")
def task_list(args, tenant):
    page = paginate(db.session, services.tasks_stmt(tenant), args["page"], args["per_page"])
    counts = services.task_counts(db.session, [t.id for t in page.items])
    return page.doc([schemas.task_doc(t, tenant.slug, counts.get(t.id, (0, 0, 0, 0))) for t in page.items])


@blp.route("/tenants/<slug>/assignments", methods=["GET"])
@blp.arguments(schemas.AssignmentArgs, location="query")
@blp.response(200, page_schema(schemas.AssignmentSchema))
@tenant_view("office.view")
def assignments(args, tenant):
    page = paginate(db.session, services.assignments_stmt(tenant, status=args.get("status")), args["page"],
                    args["per_page"], scalars=False)
    now = services.utcnow()
    return page.doc([schemas.assignment_doc(a, t, tenant.slug, now) for a, t in page.items])


@blp.route("/assignments/<int:assignment_id>", methods=["GET"])
@blp.response(200, schemas.AssignmentSchema)
@blp.alt_response(404, description="No such assignment, or not visible to the caller")
@record_view("assignment")
def get_assignment(assignment):
    return schemas.assignment_doc(assignment, assignment.task, assignment.tenant.slug)


@blp.route("/assignments/<int:assignment_id>/cascade", methods=["POST"])
@blp.arguments(schemas.CascadeSchema)
@blp.response(202, schemas.JobOnlySchema)
@blp.alt_response(409, description="Already submitted")
@record_view("assignment", "task.assign")
def cascade(data, assignment):
    task, tenant = assignment.task, assignment.tenant
    target, ids = services.cascade(db.session, current_user, assignment, task, tenant, data["to"])
    job = jobs.submit(db.session, tasks.cascade_assignment, assignment.id, target, ids, owner=current_user,
                      tenant=tenant)
    return {"job": job.id}


@blp.route("/assignments/<int:assignment_id>/report", methods=["POST"])
@blp.arguments(schemas.ReportSchema)
@blp.response(200, schemas.AssignmentSchema)
@blp.alt_response(409, description="A cascaded child has not reported, or the report was accepted")
@record_view("assignment", "task.report")
def report(data, assignment):
    task, tenant = assignment.task, assignment.tenant
    services.submit_report(db.session, current_user, assignment, task, tenant, data["values"])
    return schemas.assignment_doc(assignment, task, tenant.slug)


@blp.route("/assignments/<int:assignment_id>/accept", methods=["POST"])
@blp.response(200, schemas.AssignmentSchema)
@blp.alt_response(409, description="Not submitted")
@record_view("assignment")
def accept(assignment):
    task, tenant = assignment.task, assignment.tenant
    services.decide(db.session, current_user, assignment, task, tenant, accept=True)
    return schemas.assignment_doc(assignment, task, tenant.slug)


@blp.route("/assignments/<int:assignment_id>/return", methods=["POST"])
@blp.arguments(schemas.ReturnSchema)
@blp.response(200, schemas.AssignmentSchema)
@blp.alt_response(409, description="Not submitted")
@record_view("assignment")
def return_report(data, assignment):
    task, tenant = assignment.task, assignment.tenant
    services.decide(db.session, current_user, assignment, task, tenant, accept=False, reason=data["reason"])
    return schemas.assignment_doc(assignment, task, tenant.slug)


@blp.route("/tasks/<int:task_id>/progress", methods=["GET"])
@blp.arguments(schemas.UnderArgs, location="query")
@blp.response(200, page_schema(schemas.ProgressRowSchema))
@blp.alt_response(404, description="No such task, or not visible to the caller")
@record_view("task")
def progress(args, task):
    task, _under, prefix = lookups.task_scope(task, args["under"])
    page = paginate(db.session, services.progress_stmt(task, prefix), args["page"], args["per_page"], scalars=False)
    rows = services.progress_rows(db.session, task, page.items, prefix)
    return page.doc([{"tenant": r["slug"], "name": r["tenant"].name if r["tenant"] else None,
                            "status": r["status"], "assigned": r["row"].assigned,
                            "submitted": r["row"].submitted or 0, "accepted": r["row"].accepted or 0,
                            "overdue": r["row"].overdue or 0, "values": r["values"]} for r in rows])


@blp.route("/assignments/<int:assignment_id>/attachments", methods=["POST"])
@blp.arguments(schemas.AttachmentUploadSchema, location="form")
@blp.arguments(schemas.AttachmentFileSchema, location="files")
@blp.response(201, schemas.AttachmentSchema)
@blp.alt_response(409, description="The report was accepted")
@record_view("assignment", "task.report")
def upload(form, files, assignment):
    task, tenant = assignment.task, assignment.tenant
    a = services.save_attachment(db.session, current_app, current_user, assignment, task, tenant, form["field"],
                                 files["file"])
    return {"id": a.id, "field": a.field, "filename": a.file.filename, "content_type": a.file.content_type,
            "size": a.file.size}


@blp.route("/attachments/<int:attachment_id>", methods=["GET"])
@blp.response(200, description="The file")
@blp.alt_response(404, description="No such file, or not visible to the caller")
@record_view("attachment")
def download(attachment):
    return files.send(attachment.file)


@blp.route("/tasks/<int:task_id>/export", methods=["POST"])
@blp.response(202, schemas.JobOnlySchema)
@blp.alt_response(404, description="No such task, or not visible to the caller")
@record_view("task", "task.assign")
def export(task):
    tenant = task.tenant
    job = jobs.submit(db.session, tasks.export_reports, task.id, owner=current_user, tenant=tenant)
    return {"job": job.id}


@blp.route("/notices/<int:notice_id>/attachments", methods=["POST"])
@blp.arguments(schemas.AttachmentFileSchema, location="files")
@blp.response(201, schemas.NoticeFileSchema)
@blp.alt_response(404, description="No such notice, or not visible to the caller")
@record_view("notice", "notice.send")
def attach_to_notice(files, notice):
    a = services.attach_to_notice(db.session, current_app, current_user, notice, files["file"])
    return schemas.notice_file_doc(a)


@blp.route("/notice-files/<int:file_id>", methods=["GET"])
@blp.response(200, description="The file")
@blp.alt_response(404, description="No such file, or not visible to the caller")
@record_view("notice_file")
def notice_file(notice_file):
    return lookups.send_notice_file(notice_file)
