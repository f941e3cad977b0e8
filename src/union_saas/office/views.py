"""Office pages: the inbox of a union, notices and their receipts, tasks and their reports."""
from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from union_saas.access import engine
from union_saas.access.guards import record_view, tenant_public, tenant_view
from union_saas.core import files, jobs
from union_saas.core.errors import ValidationFailed
from union_saas.core.forms import form_page, load
from union_saas.core.pagination import paginate
from union_saas.extensions import db
from union_saas.members.services import home_of
from union_saas.office import lookups, schemas, services, tasks
from union_saas.office.models import AUDIENCE_LABELS, PRIORITY_LABELS
from union_saas.tenancy import sections
from union_saas.tenancy.services import ancestors

bp = Blueprint("office", __name__, template_folder="templates", static_folder="static",
               static_url_path="/office/static")


sections.manage_tab("office.inbox", _l("Office"), "office.view", 50,
                    count=lambda tenant: services.unread_count(db.session, tenant), todo=_l("Unread notices"))
sections.todo("office.assignments", _l("Open tasks to report on"), "office.view",
              lambda tenant: services.open_assignments_count(db.session, tenant), "office.assignments", 51,
              tab="office.inbox")


def form_to(form):
    """The addressees chosen on a form: children, subtree, or the unions ticked in the tree (their slugs)."""
    mode = form.get("to", "children")
    if mode == "list":
        chosen = [s.strip() for s in form.getlist("to_union") if s.strip()]
        if not chosen:
            raise ValidationFailed(_("Choose whom to address."), errors={"to": [_("Tick at least one union.")]})
        return chosen
    return mode if mode in ("children", "subtree") else "children"


def form_values(args):
    """A form page opened again by its own "find a union" button (a GET with the form's fields): the fields
    as they were, the ticked unions kept."""
    if not args:
        return None
    values = args.to_dict(flat=True)
    values["to_union"] = args.getlist("to_union")
    return values


@bp.app_template_global()
def union_picker(tenant, values):
    """What the addressing tree of ``tenant``'s forms shows: the unions below it (bounded), the ones ticked,
    and the search results for ``?union_q=`` (the no-script search; a script filters in place)."""
    roots, children_of, truncated = services.picker_tree(db.session, tenant)
    chosen = values.getlist("to_union") if hasattr(values, "getlist") else list(values.get("to_union") or [])
    query = (request.args.get("union_q") or values.get("union_q") or "").strip()[:60]
    matches = services.picker_search(db.session, tenant, query) if query else []
    return {"roots": roots, "children_of": children_of, "truncated": truncated, "chosen": set(chosen),
            "query": query, "matches": matches, "matched": {t.slug for t, _between in matches},
            "loaded": {t.slug for kids in children_of.values() for t in kids}}


def choice_labels():
    return {"priorities": PRIORITY_LABELS, "audiences": AUDIENCE_LABELS}


# --- inbox ------------------------------------------------------------------------------------------

@bp.route("/manage/<slug>/office")
@tenant_view("office.view")
def inbox(tenant):
    unread = request.args.get("unread") == "1"
    page = paginate(db.session, services.inbox_stmt(tenant, unread=unread), request.args.get("page", 1, type=int),
                    30, scalars=False)
    reminders = db.session.scalars(services.notifications_stmt(tenant).limit(10)).all()
    assignments = db.session.execute(services.assignments_stmt(tenant, open_only=True).limit(20)).all()
    return render_template("office/inbox.html", tenant=tenant, page=page, items=lookups.inbox_docs(page.items),
                           unread=unread, reminders=reminders, assignments=assignments,
                           held=engine.permissions_at(current_user, tenant), now=services.utcnow())


@bp.route("/manage/<slug>/office/notices/<int:notice_id>")
@tenant_view("office.view", record="notice")
def notice(tenant, notice):
    receipt = services.receipt_of(db.session, notice.id, tenant)
    counted = services.mark_read(db.session, current_user, tenant, receipt)
    db.session.refresh(receipt)
    return render_template("office/notice.html", tenant=tenant, notice=notice, receipt=receipt, sender=notice.tenant,
                           files=services.notice_files(db.session, [notice.id]).get(notice.id, []),
                           counted=counted, readers=services.readers(db.session, notice.id, tenant),
                           labels=choice_labels())


@bp.route("/manage/<slug>/office/notices/<int:notice_id>/ack", methods=["POST"])
@tenant_view("office.view", record="notice")
def ack(tenant, notice):
    receipt = services.receipt_of(db.session, notice.id, tenant)
    if services.mark_read(db.session, current_user, tenant, receipt, ack=True):
        flash(_("Acknowledged."))
    else:
        flash(_("Only the union's own office can acknowledge for it."), "warning")
    return redirect(url_for("office.notice", slug=tenant.slug, notice_id=notice.id))


# --- sending notices --------------------------------------------------------------------------------

@bp.route("/manage/<slug>/office/sent")
@tenant_view("notice.send")
def sent(tenant):
    page = paginate(db.session, services.sent_notices_stmt(tenant), request.args.get("page", 1, type=int), 30)
    counts = services.notice_counts(db.session, [n.id for n in page.items])
    return render_template("office/sent.html", tenant=tenant, page=page, counts=counts, labels=choice_labels())


def render_notice_form(tenant, *, values=None, errors=None, detail=None):
    max_mb = current_app.config.get("OFFICE_UPLOAD_MAX_BYTES", services.DEFAULT_MAX_UPLOAD) // (1024 * 1024)
    return render_template("office/notice_form.html", tenant=tenant, values=values or {"to": "children"},
                           errors=errors or {}, detail=detail, labels=choice_labels(), max_mb=max_mb)


@bp.route("/manage/<slug>/office/notices/new", methods=["GET"])
@tenant_view("notice.send")
def new_notice(tenant):
    return render_notice_form(tenant, values=form_values(request.args))


@bp.route("/manage/<slug>/office/notices/new", methods=["POST"])
@tenant_view("notice.send")
@form_page(render_notice_form, values=lambda: request.form)
def send_notice(tenant):
    form = request.form
    data = load(schemas.NoticeCreateSchema(), {
        "title": form.get("title", ""), "body": form.get("body", ""), "priority": form.get("priority", "normal"),
        "audience": form.get("audience", "offices"), "requires_ack": bool(form.get("requires_ack")),
        "to": form_to(form)})
    # Every file is checked before anything is written: a bad one leaves nothing behind.
    checked = [services.check_upload(current_app, f) for f in request.files.getlist("files") if f and f.filename]
    item = services.send_notice(db.session, current_user, tenant, data)
    for upload in checked:
        services.attach_to_notice(db.session, current_app, current_user, item, checked=upload)
    job = jobs.submit(db.session, tasks.send_notice, item.id, owner=current_user, tenant=tenant)
    item.job_id = job.id
    return redirect(url_for("core.job_page", job_id=job.id,
                            back=url_for("office.receipts", slug=tenant.slug, notice_id=item.id)))


@bp.route("/manage/<slug>/office/notices/<int:notice_id>/receipts")
@tenant_view("office.view", record="notice")
def receipts(tenant, notice):
    item, _under, prefix = lookups.notice_scope(notice, tenant.slug)
    page = paginate(db.session, services.receipts_rollup_stmt(item, prefix), request.args.get("page", 1, type=int),
                    100, scalars=False)
    rows = services.rollup_rows(db.session, page.items, prefix)
    totals = services.notice_counts(db.session, [item.id]).get(item.id, (0, 0))
    return render_template("office/receipts.html", tenant=tenant, notice=item, page=page, rows=rows,
                           files=services.notice_files(db.session, [item.id]).get(item.id, []),
                           totals=totals, may_remind=engine.can(current_user, "notice.send", tenant),
                           trail=ancestors(db.session, tenant), labels=choice_labels())


@bp.route("/manage/<slug>/office/notices/<int:notice_id>/remind", methods=["POST"])
@tenant_view("notice.send", record="notice")
def remind(tenant, notice):
    item, _under, prefix = lookups.notice_scope(notice, tenant.slug, permission="notice.send")
    count = services.remind_unread(db.session, current_user, item, prefix)
    flash(_("Reminded %(n)d unions that have not read it.", n=count))
    return redirect(url_for("office.receipts", slug=tenant.slug, notice_id=notice.id))


# --- members ----------------------------------------------------------------------------------------

@sections.section("office_notices", 30, "office/_member_notices.html")
def member_notices_section(tenant, user):
    """Notices meant for the members of the union the signed-in member belongs to (two queries)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    home = home_of(db.session, user)
    if home is None or home.id != tenant.id:
        return None
    notices = db.session.scalars(services.member_notices_stmt(home).limit(5)).all()
    return {"notices": notices} if notices else None


@bp.route("/t/<slug>/notices/<int:notice_id>")
@tenant_public(signed_in=True)
def member_notice(tenant, notice_id):
    home = home_of(db.session, current_user)
    if home is None or home.id != tenant.id:
        raise services.NotFound(_("No such notice."))
    item = services.member_notice(db.session, home, notice_id)
    return render_template("office/member_notice.html", tenant=tenant, notice=item,
                           files=services.notice_files(db.session, [item.id]).get(item.id, []),
                           sender=db.session.get(services.Tenant, item.tenant_id))


@bp.app_template_filter("office_time")
def office_time(value):
    from flask_babel import format_datetime

    return format_datetime(value, "short") if value else ""


NOTIFICATION_LABELS = {"notice.reminder": _l("Reminder: unread notice"), "task.due_soon": _l("Due tomorrow"),
                       "task.due_today": _l("Due today")}


@bp.app_template_global()
def notification_label(kind):
    return NOTIFICATION_LABELS.get(kind, kind)


@bp.app_template_global()
def assignment_status_label(status):
    from union_saas.office.models import STATUS_LABELS

    return STATUS_LABELS.get(status, status)


# --- tasks ------------------------------------------------------------------------------------------

FIELD_ROWS = 6


@bp.route("/manage/<slug>/office/tasks")
@tenant_view("task.assign")
def task_list(tenant):
    page = paginate(db.session, services.tasks_stmt(tenant), request.args.get("page", 1, type=int), 30)
    counts = services.task_counts(db.session, [t.id for t in page.items])
    return render_template("office/tasks.html", tenant=tenant, page=page, counts=counts)


def render_task_form(tenant, *, values=None, errors=None, detail=None):
    return render_template("office/task_form.html", tenant=tenant, values=values or {"to": "children"},
                           errors=errors or {}, detail=detail, rows=FIELD_ROWS,
                           kinds=list(services_kind_labels().items()))


def services_kind_labels():
    from union_saas.office.models import KIND_LABELS

    return KIND_LABELS


@bp.route("/manage/<slug>/office/tasks/new", methods=["GET"])
@tenant_view("task.assign")
def new_task(tenant):
    return render_task_form(tenant, values=form_values(request.args))


def task_form_data(form):
    fields = []
    for i in range(FIELD_ROWS):
        name = form.get(f"field_name_{i}", "").strip()
        if name:
            fields.append({"name": name, "kind": form.get(f"field_kind_{i}", "text"),
                           "required": bool(form.get(f"field_required_{i}"))})
    due = form.get("due_at", "").strip()
    return {"title": form.get("title", ""), "instructions": form.get("instructions", ""),
            "due_at": (due + ":00+08:00") if len(due) == 16 else due, "fields": fields,
            "to": form_to(form)}


@bp.route("/manage/<slug>/office/tasks/new", methods=["POST"])
@tenant_view("task.assign")
@form_page(render_task_form, values=lambda: request.form)
def assign_task(tenant):
    data = load(schemas.TaskCreateSchema(), task_form_data(request.form))
    task = services.create_task(db.session, current_user, tenant, data)
    job = jobs.submit(db.session, tasks.assign_task, task.id, owner=current_user, tenant=tenant)
    task.job_id = job.id
    return redirect(url_for("core.job_page", job_id=job.id,
                            back=url_for("office.progress", slug=tenant.slug, task_id=task.id)))


@bp.route("/manage/<slug>/office/tasks/<int:task_id>/progress")
@tenant_view("office.view", record="task")
def progress(tenant, task):
    task, _under, prefix = lookups.task_scope(task, tenant.slug)
    page = paginate(db.session, services.progress_stmt(task, prefix), request.args.get("page", 1, type=int), 100,
                    scalars=False)
    rows = services.progress_rows(db.session, task, page.items, prefix)
    may_export = engine.can(current_user, "task.assign", tenant) and tenant.id == task.tenant_id
    return render_template("office/progress.html", tenant=tenant, task=task, page=page, rows=rows,
                           exports=lookups.recent_exports(task, tenant) if may_export else [],
                           totals=services.totals(rows, task),
                           counts=services.task_counts(db.session, [task.id]).get(task.id, (0, 0, 0, 0)),
                           may_export=may_export)


@bp.route("/manage/<slug>/office/assignments")
@tenant_view("office.view")
def assignments(tenant):
    status = request.args.get("status")
    status = status if status in ("open", "submitted", "accepted", "returned") else None
    page = paginate(db.session, services.assignments_stmt(tenant, status=status),
                    request.args.get("page", 1, type=int), 50, scalars=False)
    return render_template("office/assignments.html", tenant=tenant, page=page, status=status,
                           now=services.utcnow(), held=engine.permissions_at(current_user, tenant))


def render_assignment(tenant, assignment, *, values=None, errors=None, detail=None):
    task = assignment.task
    children = services.children_of(db.session, assignment)
    files = services.attachments_of(db.session, assignment)
    return render_template(
        "office/assignment.html", tenant=tenant, assignment=assignment, task=task, children=children,
        consolidated=services.consolidated(task, children), files=files,
        values=values if values is not None else (assignment.report or {}), errors=errors or {}, detail=detail,
        may_report=engine.holds_at(current_user, "task.report", tenant),
        may_cascade=engine.can(current_user, "task.assign", tenant),
        may_decide=services.may_decide(db.session, current_user, assignment, task),
        now=services.utcnow(), kinds=services_kind_labels())


def report_values():
    return {key[2:]: value for key, value in request.form.items() if key.startswith("v_")}


def report_errors(render):
    """The report form shows the messages of ``errors.values`` beside its fields."""

    def show(tenant, assignment, *, values=None, errors=None, detail=None):
        return render(tenant, assignment, values=values, errors=(errors or {}).get("values", errors or {}),
                      detail=detail)

    return show


@bp.route("/manage/<slug>/office/assignments/<int:assignment_id>")
@tenant_view("office.view", record="assignment")
def assignment(tenant, assignment):
    return render_assignment(tenant, assignment)


@bp.route("/manage/<slug>/office/assignments/<int:assignment_id>/report", methods=["POST"])
@tenant_view("task.report", record="assignment")
@form_page(report_errors(render_assignment), values=report_values)
def report(tenant, assignment):
    task = assignment.task
    values = {f["name"]: request.form.get(f"v_{f['name']}") for f in task.fields if f["kind"] != "file"}
    services.submit_report(db.session, current_user, assignment, task, tenant, values)
    flash(_("Report submitted."))
    return redirect(url_for("office.assignment", slug=tenant.slug, assignment_id=assignment.id))


@bp.route("/manage/<slug>/office/assignments/<int:assignment_id>/cascade", methods=["POST"])
@tenant_view("task.assign", record="assignment")
@form_page(render_assignment, values=lambda: None)
def cascade(tenant, assignment):
    target, ids = services.cascade(db.session, current_user, assignment, assignment.task, tenant,
                                   form_to(request.form))
    job = jobs.submit(db.session, tasks.cascade_assignment, assignment.id, target, ids, owner=current_user,
                      tenant=tenant)
    return redirect(url_for("core.job_page", job_id=job.id,
                            back=url_for("office.assignment", slug=tenant.slug, assignment_id=assignment.id)))


@bp.route("/manage/<slug>/office/assignments/<int:assignment_id>/accept", methods=["POST"])
@tenant_view("office.view", record="assignment")
def accept(tenant, assignment):
    services.decide(db.session, current_user, assignment, assignment.task, tenant, accept=True)
    flash(_("Report accepted."))
    return redirect(url_for("office.assignment", slug=tenant.slug, assignment_id=assignment.id))


@bp.route("/manage/<slug>/office/assignments/<int:assignment_id>/return", methods=["POST"])
@tenant_view("office.view", record="assignment")
@form_page(render_assignment, values=lambda: None)
def return_report(tenant, assignment):
    data = load(schemas.ReturnSchema(), {"reason": request.form.get("reason", "")})
    services.decide(db.session, current_user, assignment, assignment.task, tenant, accept=False,
                    reason=data["reason"])
    flash(_("Report returned."))
    return redirect(url_for("office.assignment", slug=tenant.slug, assignment_id=assignment.id))


@bp.route("/manage/<slug>/office/assignments/<int:assignment_id>/attachments", methods=["POST"])
@tenant_view("task.report", record="assignment")
@form_page(render_assignment, values=lambda: None)
def upload(tenant, assignment):
    storage = request.files.get("file")
    if storage is None or not storage.filename:
        raise ValidationFailed(errors={"file": [_("Choose a file.")]})
    services.save_attachment(db.session, current_app, current_user, assignment, assignment.task, tenant,
                             request.form.get("field", ""), storage)
    flash(_("File attached."))
    return redirect(url_for("office.assignment", slug=tenant.slug, assignment_id=assignment.id))


@bp.route("/manage/<slug>/office/attachments/<int:attachment_id>")
@tenant_view("office.view", record="attachment")
def download(tenant, attachment):
    item = attachment.assignment
    if item.tenant_id != tenant.id and not services.may_decide(db.session, current_user, item, item.task):
        raise services.NotFound(_("No such file."))
    return files.send(attachment.file)


@bp.route("/manage/<slug>/office/tasks/<int:task_id>/export", methods=["POST"])
@tenant_view("task.assign", record="task")
def export(tenant, task):
    job = jobs.submit(db.session, tasks.export_reports, task.id, owner=current_user, tenant=tenant)
    return redirect(url_for("core.job_page", job_id=job.id,
                            back=url_for("office.progress", slug=tenant.slug, task_id=task.id)))


@bp.cli.command("send-reminders")
def send_reminders_command():
    """Remind offices of tasks due tomorrow or today now (the workers also do, daily: ``flask jobs schedule``)."""
    import click

    sent = tasks.send_due_reminders()
    click.echo(f"due tomorrow: {sent['task.due_soon']}, due today: {sent['task.due_today']}")


@bp.route("/office/notice-files/<int:file_id>")
@record_view("notice_file")
def notice_file(notice_file):
    """A notice's file, for its sender, the offices it was addressed to and the members it was meant for."""
    return lookups.send_notice_file(notice_file)
