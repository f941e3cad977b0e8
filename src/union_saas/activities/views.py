"""Pages: a member's activities (find, sign up, ticket, check in), and the organiser's in /manage."""

import click
from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from union_saas.access import engine, resources
from union_saas.access.guards import (
    public,
    record_view,
    tenant_public,
    tenant_view,
)
from union_saas.activities import schemas, services, tasks
from union_saas.activities.models import CATEGORIES, CATEGORY_LABELS
from union_saas.activities.schemas import activity_doc
from union_saas.core import calendars, files, jobs
from union_saas.core.errors import NotFound
from union_saas.core.forms import form_page, load, local_input
from union_saas.core.i18n import zone_of
from union_saas.core.pagination import paginate
from union_saas.core.qr import qr_svg
from union_saas.core.web import signing_key
from union_saas.extensions import db
from union_saas.tenancy import sections
from union_saas.tenancy.content import REACH_STATES, SCOPE_LABELS

bp = Blueprint("activities", __name__, template_folder="templates")

sections.manage_tab("activities.manage_list", _l("Activities"), "activity.manage", 30)
sections.manage_tab("activities.reach_requests", _l("Federation-wide requests"), "activity.manage", 35,
                    shown=lambda tenant: tenant.is_root,
                    count=lambda tenant: services.pending_reach_count(db.session, tenant),
                    todo=_l("Federation-wide requests to review"))

DATETIME_FIELDS = ("starts_at", "ends_at", "signup_opens_at", "signup_closes_at")
FORM_FIELDS = ("title", "description", "category", "series", "starts_at", "ends_at", "location", "online_url",
               "capacity", "signup_opens_at", "signup_closes_at", "scope")





def form_input(form, tenant, *, partial=False):
    """The form as the API's schema reads it: local times (datetime-local) get the union's zone."""
    clearable = ("series", "location", "online_url", "capacity", "signup_opens_at", "signup_closes_at")
    data = local_input(form, FORM_FIELDS, zone=zone_of(tenant), datetimes=DATETIME_FIELDS,
                       blank_as_none=clearable if partial else ())
    data["members_only"] = form.get("members_only") in ("on", "1", "true", "y")
    if not partial and form.get("status") in ("draft", "published"):
        data["status"] = form["status"]
    return data


def form_values(activity, tenant):
    """An activity as the form shows it (local times for datetime-local inputs)."""
    zone = zone_of(tenant)
    values = {name: getattr(activity, name) for name in FORM_FIELDS}
    for name in DATETIME_FIELDS:
        if values[name] is not None:
            values[name] = values[name].astimezone(zone).strftime("%Y-%m-%dT%H:%M")
    values["capacity"] = "" if activity.capacity is None else str(activity.capacity)
    values["members_only"] = activity.members_only
    return {k: ("" if v is None else v) for k, v in values.items()}


def options():
    return {"categories": [(c, CATEGORY_LABELS[c]) for c in CATEGORIES]}


def scope_options(tenant):
    """Every scope; federation-wide says that it waits for the federation's review unless the publisher
    organises the federation."""
    reviewed = not services.organises_federation(db.session, current_user, tenant)
    return [(s, _("%(scope)s (after the federation's review)", scope=SCOPE_LABELS[s])
             if s == "platform" and reviewed else SCOPE_LABELS[s])
            for s in services.allowed_scopes(db.session, current_user, tenant)]


# --- the member's pages --------------------------------------------------------------------------

@sections.section("activities", 20, "activities/_home_section.html")
def home_section(tenant, user):
    """The next activities the visitor may see in this federation (two or three queries)."""
    if not getattr(user, "is_authenticated", False):
        return {"tenant": tenant, "activities": [], "anonymous": True, "mine": {}}
    viewer = services.viewer(db.session, user)
    items = list(db.session.scalars(services.feed_stmt(viewer, root_id=tenant.root_id).limit(5)))
    return {"tenant": tenant, "activities": items, "anonymous": False,
            "mine": services.my_signups(db.session, user, [a.id for a in items])}


@bp.route("/t/<slug>/activities")
@tenant_public
def feed_page(tenant):
    category = request.args.get("category") if request.args.get("category") in CATEGORIES else None
    where = request.args.get("where") if request.args.get("where") in ("mine", "above") else "everywhere"
    page, mine, viewer = None, {}, None
    if current_user.is_authenticated:
        viewer = services.viewer(db.session, current_user)
        stmt = services.feed_stmt(viewer, category=category, where=where, root_id=tenant.root_id)
        page = paginate(db.session, stmt, request.args.get("page", 1, type=int), 30)
        mine = services.my_signups(db.session, current_user, [a.id for a in page.items])
    return render_template("activities/feed.html", tenant=tenant, page=page, mine=mine, category=category,
                           where=where, viewer=viewer, **options())


@bp.route("/activities/<int:activity_id>")
@record_view("activity")
def detail(activity):
    viewer = services.viewer(db.session, current_user)
    signup = services.my_signups(db.session, current_user, [activity.id]).get(activity.id)
    rank = services.waitlist_rank(db.session, signup) if signup else None
    return render_template("activities/detail.html", activity=activity, tenant=activity.tenant, signup=signup,
                           rank=rank, viewer=viewer, now=services.utcnow(),
                           may_manage=engine.can(current_user, services.MANAGE, activity.tenant))


@bp.route("/activities/<int:activity_id>/signup", methods=["POST"])
@record_view("activity")
def sign_up(activity):
    activity_id = activity.id
    signup = services.sign_up_retrying(db.session, services.viewer(db.session, current_user), activity)
    if signup.status == "confirmed":
        flash(_("You are in: your place is confirmed."))
    else:
        flash(_("The activity is full: you are number %(n)d on the waitlist.",
                n=services.waitlist_rank(db.session, signup)), "warning")
    return redirect(url_for("activities.detail", activity_id=activity_id))


@bp.route("/activities/<int:activity_id>/signup/cancel", methods=["POST"])
@record_view("activity")
def cancel_signup(activity):
    activity_id = activity.id
    services.cancel_signup_retrying(db.session, current_user, activity_id)
    flash(_("Your sign-up is cancelled."))
    return redirect(url_for("activities.detail", activity_id=activity_id))


@bp.route("/activities/<int:activity_id>/cover")
@record_view("activity")
def cover(activity):
    row = files.get(db.session, activity.cover_id)
    if row is None:
        raise NotFound(_("No cover image."))
    return files.send(row, inline=True, max_age=3600)


def activity_url(activity):
    return url_for("activities.detail", activity_id=activity.id, _external=True)


@bp.route("/activities/<int:activity_id>/calendar.ics")
@record_view("activity")
def activity_ics(activity):
    text = services.ics([activity], host=request.host.split(":")[0], name=activity.title,
                        url_for_activity=activity_url)
    return calendars.response(text, f"activity-{activity.id}.ics")


@bp.route("/calendar/<token>.ics")
@public
def feed(token):
    """A person's calendar feed: their confirmed activities. The secret token is the only key."""
    user = services.feed_user(db.session, signing_key(), token)
    text = services.ics(services.feed_activities(db.session, user), host=request.host.split(":")[0],
                        name=_("My union activities"), url_for_activity=activity_url)
    return calendars.response(text, "activities.ics")


def render_scan(activity, *, values=None, errors=None, detail=None):
    return render_template("activities/scan.html", activity=activity, code=request.values.get("code", ""),
                           detail=detail, errors=errors or {})


@bp.route("/activities/<int:activity_id>/scan", methods=["GET", "POST"])
@record_view("activity")
@form_page(render_scan)
def scan(activity):
    """Where the screen's QR leads: GET asks to confirm, POST checks the caller in."""
    if request.method == "GET":
        return render_scan(activity)
    services.check_in_with_code(db.session, signing_key(), current_user, activity, request.values.get("code", ""))
    flash(_("Checked in. Enjoy %(title)s!", title=activity.title))
    return redirect(url_for("activities.detail", activity_id=activity.id))


@bp.route("/t/<slug>/me/activities")
@tenant_public(signed_in=True)
def my_activities(tenant):
    page = paginate(db.session, services.my_activities_stmt(current_user, upcoming_only=True),
                    request.args.get("page", 1, type=int), 30)
    ranks = services.waitlist_ranks(db.session, page.items)
    tickets = {s.id: qr_svg(services.ticket_code(signing_key(), s)) for s in page.items if s.status == "confirmed"}
    codes = {s.id: services.ticket_code(signing_key(), s) for s in page.items if s.status == "confirmed"}
    return render_template("activities/mine.html", tenant=tenant, page=page, ranks=ranks, tickets=tickets,
                           codes=codes, feed_url=url_for("activities.feed", token=services.feed_token(
                               signing_key(), current_user), _external=True))


# --- the organiser's pages -----------------------------------------------------------------------

@bp.route("/manage/<slug>/activities")
@tenant_view("activity.manage")
def manage_list(tenant):
    status = request.args.get("status") if request.args.get("status") in ("draft", "published", "cancelled") else None
    page = paginate(db.session, services.manage_stmt(tenant, status=status), request.args.get("page", 1, type=int), 50)
    return render_template("activities/manage_list.html", tenant=tenant, page=page, status=status)


def sent_form():
    """The activity form as typed (the checkbox as a boolean)."""
    values = dict(request.form)
    values["members_only"] = request.form.get("members_only") == "on"
    return values


def render_form(tenant=None, activity=None, *, values=None, errors=None, detail=None):
    tenant = tenant or activity.tenant
    return render_template("activities/form.html", tenant=tenant, activity=activity, values=values or {},
                           errors=errors or {}, detail=detail, scopes=scope_options(tenant), **options())


def save_cover(activity):
    upload = request.files.get("cover")
    if upload is not None and upload.filename:
        services.save_cover(db.session, current_user, activity, upload)


@bp.route("/manage/<slug>/reach")
@tenant_view("activity.manage")
def reach_requests(tenant):
    """The federation's review queue: activities of unions below it that ask to reach every worker."""
    if not tenant.is_root:
        raise resources.miss()
    status = request.args.get("status") if request.args.get("status") in REACH_STATES else "pending"
    page = paginate(db.session, services.reach_requests_stmt(tenant, status=status),
                    request.args.get("page", 1, type=int), 50)
    return render_template("activities/reach_requests.html", tenant=tenant, page=page, status=status)


def decide_reach(activity, approve):
    services.decide_reach(db.session, current_user, activity, approve=approve,
                          reason=load(schemas.ReachDecisionSchema(), {"reason": request.form.get("reason") or None})
                          .get("reason"))
    flash(_("%(title)s now reaches the whole federation.", title=activity.title) if approve
          else _("%(title)s stays with its union's subtree; its publisher is told why.", title=activity.title))
    root = db.session.get(services.Tenant, activity.root_id)
    return redirect(url_for("activities.reach_requests", slug=root.slug))


@bp.route("/manage/activities/<int:activity_id>/reach/approve", methods=["POST"])
@record_view("activity")
def approve_reach(activity):
    return decide_reach(activity, True)


@bp.route("/manage/activities/<int:activity_id>/reach/reject", methods=["POST"])
@record_view("activity")
def reject_reach(activity):
    return decide_reach(activity, False)


@bp.route("/manage/<slug>/activities/new", methods=["GET", "POST"])
@tenant_view("activity.manage")
@form_page(render_form, values=sent_form)
def create(tenant):
    if request.method == "GET":
        return render_form(tenant, values={"members_only": True, "scope": "tenant", "category": "culture"})
    data = load(schemas.ActivityCreateSchema(), form_input(request.form, tenant))
    activity = services.create_activity(db.session, current_user, tenant, data)
    save_cover(activity)
    flash(_("%(title)s is saved.", title=activity.title))
    return redirect(url_for("activities.manage_detail", activity_id=activity.id))


@bp.route("/manage/activities/<int:activity_id>/edit", methods=["GET", "POST"])
@record_view("activity", "activity.manage")
@form_page(render_form, values=sent_form)
def edit(activity):
    tenant = activity.tenant
    if request.method == "GET":
        return render_form(tenant, activity, values=form_values(activity, tenant))
    data = load(schemas.ActivityPatchSchema(), form_input(request.form, tenant, partial=True))
    services.update_activity(db.session, current_user, activity, data)
    activity.tenant = tenant
    save_cover(activity)
    flash(_("Saved."))
    return redirect(url_for("activities.manage_detail", activity_id=activity.id))


@bp.route("/manage/activities/<int:activity_id>")
@record_view("activity", "activity.manage")
def manage_detail(activity):
    status = request.args.get("status") if request.args.get("status") in ("confirmed", "waitlisted", "cancelled",
                                                                         "removed") else None
    page = paginate(db.session, services.signups_stmt(activity, status=status),
                    request.args.get("page", 1, type=int), 100)
    return render_template("activities/manage_detail.html", activity=activity, tenant=activity.tenant,
                           page=page, status=status, measures=services.measures(db.session, activity),
                           doc=activity_doc(activity))


@bp.route("/manage/activities/<int:activity_id>/publish", methods=["POST"])
@record_view("activity", "activity.manage")
def publish(activity):
    services.publish(db.session, current_user, activity)
    flash(_("Published."))
    return redirect(url_for("activities.manage_detail", activity_id=activity.id))


@bp.route("/manage/activities/<int:activity_id>/cancel", methods=["POST"])
@record_view("activity", "activity.manage")
def cancel(activity):
    told = services.cancel(db.session, current_user, activity)
    flash(_("Cancelled; %(n)d people were told.", n=told))
    return redirect(url_for("activities.manage_detail", activity_id=activity.id))


@bp.route("/manage/activities/<int:activity_id>/signups/<int:signup_id>/remove", methods=["POST"])
@record_view("activity", "activity.manage")
def remove_signup(activity, signup_id):
    services.remove_signup(db.session, current_user, activity, signup_id)
    flash(_("Removed; the first on the waitlist, if any, has the place."))
    return redirect(url_for("activities.manage_detail", activity_id=activity.id))


@bp.route("/manage/activities/<int:activity_id>/message", methods=["POST"])
@record_view("activity", "activity.manage")
def message(activity):
    data = load(schemas.MessageSchema(), {"body": request.form.get("body", "").strip()})
    sent = services.message_confirmed(db.session, current_user, activity, data["body"])
    flash(_("Sent to %(n)d confirmed participants.", n=sent))
    return redirect(url_for("activities.manage_detail", activity_id=activity.id))


@bp.route("/manage/activities/<int:activity_id>/export", methods=["POST"])
@record_view("activity", "activity.manage")
def export(activity):
    record = jobs.submit(db.session, tasks.export_signups, activity.id, owner=current_user, tenant=activity.tenant)
    return redirect(url_for("core.job_page", job_id=record.id,
                            back=url_for("activities.manage_detail", activity_id=activity.id)))


@bp.route("/manage/activities/<int:activity_id>/checkin")
@record_view("activity", "activity.manage")
def checkin_screen(activity):
    return render_checkin(activity)


def checkin_context(activity):
    code, expires_in = services.checkin_code(signing_key(), activity)
    url = url_for("activities.scan", activity_id=activity.id, code=code, _external=True)
    checked_in = services.measures(db.session, activity)["checked_in"]
    return {"qr": qr_svg(url), "url": url, "expires_in": expires_in, "checked_in": checked_in}


@bp.route("/manage/activities/<int:activity_id>/checkin/qr")
@record_view("activity", "activity.manage")
def checkin_qr(activity):
    """The screen's QR, fresh (the page fetches it every 30 seconds)."""
    return render_template("activities/_checkin_qr.html", activity=activity, **checkin_context(activity))


def render_checkin(activity, *, values=None, errors=None, detail=None):
    return render_template("activities/checkin.html", activity=activity, tenant=activity.tenant, detail=detail,
                           **checkin_context(activity))


@bp.route("/manage/activities/<int:activity_id>/checkin/ticket", methods=["POST"])
@record_view("activity", "activity.manage")
@form_page(render_checkin)
def checkin_ticket(activity):
    signup = services.check_in_ticket(db.session, signing_key(), current_user, activity,
                                      request.form.get("ticket", "").strip())
    flash(_("%(name)s is checked in.", name=signup.user.display_name))
    return redirect(url_for("activities.checkin_screen", activity_id=activity.id))


# --- scheduled reminders ---------------------------------------------------------------------------

@bp.cli.command("send-reminders")
@click.option("--now", default=None, help="ISO time to act as now (for a catch-up run).")
def send_reminders_command(now):
    """Queue the day-before reminders now (the workers also do, hourly: ``flask jobs schedule``)."""
    job_id = jobs.submit(db.session, tasks.send_reminders, now).id
    db.session.commit()
    jobs.dispatch_pending()  # to RQ, or run here when jobs run inline
    record = db.session.get(jobs.JobRecord, job_id)
    click.echo(f"reminders job {job_id}: {record.status} {record.result or ''}")
