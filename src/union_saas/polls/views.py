"""Pages: a member's polls (vote in one tap, results, receipts, contest entries), and the organisers' in /manage."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from union_saas.access import engine
from union_saas.access.guards import record_view, signed_in, tenant_view
from union_saas.core import files, jobs
from union_saas.core.db import utcnow
from union_saas.core.errors import NotFound
from union_saas.core.forms import form_page, load, local_input
from union_saas.core.i18n import zone_of
from union_saas.core.pagination import paginate
from union_saas.extensions import db
from union_saas.polls import schemas, services, tasks
from union_saas.polls.models import KIND_LABELS, PHASE_LABELS, RESULTS_LABELS
from union_saas.tenancy import sections
from union_saas.tenancy.content import SCOPE_LABELS

bp = Blueprint("polls", __name__, template_folder="templates")

sections.manage_tab("polls.manage_list", _l("Polls"), "poll.manage", 45)
sections.manage_tab("polls.pending_entries", _l("Contest entries"), "poll.manage", 46,
                    count=lambda tenant: services.pending_entries_count(db.session, tenant))
sections.me_entry("my_votes", 40, _l("My votes"), lambda user: url_for("polls.my_votes"),
                  count=lambda user: services.waiting_count(db.session, user), icon="poll")
sections.service("polls", 40, _l("Polls and contests"), lambda user: url_for("polls.feed"), icon="poll")


def phase_of(poll, now):
    return "annulled" if poll.status == "annulled" else poll.phase(now)


def page_context(**extra):
    return {"phase_of": phase_of, "PHASE_LABELS": PHASE_LABELS, "now": utcnow(), **extra}


# --- the member's pages --------------------------------------------------------------------------

@sections.section("polls", 25, "polls/_home_section.html")
def home_section(tenant, user):
    """The open polls the visitor may see in this federation, each votable in one tap (four queries)."""
    if not getattr(user, "is_authenticated", False):
        return None
    v = services.viewer(db.session, user)
    polls = list(db.session.scalars(services.feed_stmt(v, open_only=True, root_id=tenant.root_id).limit(3)))
    if not polls:
        return None
    person, _m = services.person_of(db.session, user)
    return page_context(tenant=tenant, polls=polls, person=person,
                        voted=services.voted_polls(db.session, user, person, [p.id for p in polls]))


@bp.route("/polls")
@signed_in
def feed():
    open_only = request.args.get("open") == "1"
    v = services.viewer(db.session, current_user)
    page = paginate(db.session, services.feed_stmt(v, open_only=open_only), request.args.get("page", 1, type=int), 30)
    person, _m = services.person_of(db.session, current_user)
    return render_template("polls/feed.html", page=page, open_only=open_only, person=person,
                           voted=services.voted_polls(db.session, current_user, person, [p.id for p in page.items]),
                           **page_context())


def render_detail(poll, *, values=None, errors=None, detail=None, receipt=None):
    now = utcnow()
    services.load_options(db.session, poll)
    person, membership = services.person_of(db.session, current_user)
    voted = poll.id in services.voted_polls(db.session, current_user, person, [poll.id])
    may_manage = engine.can(current_user, services.MANAGE, poll.tenant)
    show_results = services.may_see_results(current_user, poll, now)
    res = services.results(db.session, poll) if show_results else None
    v = services.viewer(db.session, current_user)
    mine = services.my_entries(db.session, current_user, poll) if poll.kind == "contest" else []
    return render_template("polls/detail.html", poll=poll, tenant=poll.tenant, voted=voted, person=person,
                           my_entries=mine,
                           in_scope=v.audience.reaches(poll), may_manage=may_manage, results=res,
                           formula=services.formula(poll), values=values or {}, errors=errors or {}, detail=detail,
                           receipt=receipt, **page_context(now=now))


@bp.route("/polls/<int:poll_id>")
@record_view("poll")
def detail(poll):
    return render_detail(poll)


def chosen():
    out = []
    for value in request.form.getlist("choices"):
        try:
            out.append(int(value))
        except ValueError:
            out.append(value)  # the schema names what is wrong with it
    return out


@bp.route("/polls/<int:poll_id>/vote", methods=["POST"])
@record_view("poll")
@form_page(render_detail)
def vote(poll):
    """One tap: a single-choice option is its own submit button; a multiple choice ticks boxes first."""
    data = load(schemas.VoteSchema(), {"choices": chosen()})
    receipt = services.vote(db.session, services.viewer(db.session, current_user), poll, data["choices"])
    return render_template("polls/voted.html", poll=poll, tenant=poll.tenant, receipt=receipt)


@bp.route("/polls/<int:poll_id>/results")
@record_view("poll")
def results(poll):
    now = utcnow()
    services.check_results_visible(current_user, poll, now)
    services.load_options(db.session, poll)
    return render_template("polls/results.html", poll=poll, tenant=poll.tenant,
                           results=services.results(db.session, poll), formula=services.formula(poll),
                           **page_context(now=now))


@bp.route("/polls/<int:poll_id>/receipts")
@record_view("poll")
def receipts(poll):
    services.check_receipts_visible(poll)
    q = (request.args.get("q") or "").strip().upper()
    stmt = services.receipts_stmt(poll)
    found = None
    if q:
        found = db.session.scalar(stmt.where(services.PollBallot.receipt == q)) is not None
    page = paginate(db.session, stmt, request.args.get("page", 1, type=int), 200)
    return render_template("polls/receipts.html", poll=poll, tenant=poll.tenant, page=page, q=q, found=found)


def render_entry_form(poll, *, values=None, errors=None, detail=None):
    return render_template("polls/entry_form.html", poll=poll, tenant=poll.tenant, values=values or {},
                           errors=errors or {}, detail=detail)


@bp.route("/polls/<int:poll_id>/entries/new", methods=["GET", "POST"])
@record_view("poll")
@form_page(render_entry_form)
def submit_entry(poll):
    if request.method == "GET":
        return render_entry_form(poll)
    data = load(schemas.EntryInSchema(), {k: request.form.get(k, "").strip() or None for k in ("label", "detail", "link")
                                          if request.form.get(k, "").strip()})
    photo = request.files.get("photo")
    services.submit_entry(db.session, services.viewer(db.session, current_user), poll, data,
                          photo=photo if photo is not None and photo.filename else None)
    flash(_("Thank you: your entry waits for the organisers' approval."))
    return redirect(url_for("polls.detail", poll_id=poll.id))


@bp.route("/poll-entries/<int:poll_entry_id>/photo")
@record_view("poll_entry")
def entry_photo(poll_entry):
    row = files.get(db.session, poll_entry.photo_id)
    if row is None:
        raise NotFound(_("Not found."))
    return files.send(row, inline=True, max_age=3600)


def render_entry_photo(poll_entry, *, values=None, errors=None, detail=None):
    return render_detail(poll_entry.poll, errors=errors, detail=detail)


@bp.route("/poll-entries/<int:poll_entry_id>/photo", methods=["POST"])
@record_view("poll_entry")
@form_page(render_entry_photo)
def replace_entry_photo(poll_entry):
    """Its author gives a pending entry another photo."""
    services.set_entry_photo(db.session, current_user, poll_entry, request.files.get("file"))
    flash(_("The image is saved."))
    return redirect(url_for("polls.detail", poll_id=poll_entry.poll_id))


@bp.route("/poll-options/<int:poll_option_id>/image")
@record_view("poll_option")
def option_image(poll_option):
    row = files.get(db.session, poll_option.image_id)
    if row is None:
        raise NotFound(_("Not found."))
    return files.send(row, inline=True, max_age=3600)


@bp.route("/me/votes")
@signed_in
def my_votes():
    person, _m = services.person_of(db.session, current_user)
    page = paginate(db.session, services.my_votes_stmt(current_user, person), request.args.get("page", 1, type=int), 30)
    return render_template("polls/mine.html", page=page, person=person, **page_context())


# --- the organisers' pages ------------------------------------------------------------------------

@bp.route("/manage/<slug>/polls")
@tenant_view("poll.manage")
def manage_list(tenant):
    page = paginate(db.session, services.manage_stmt(tenant), request.args.get("page", 1, type=int), 50)
    return render_template("polls/manage_list.html", tenant=tenant, page=page, **page_context())


FORM_FIELDS = ("title", "description", "kind", "max_choices", "scope", "opens_at", "closes_at", "results",
               "jury_weight")


def form_input(form, tenant):
    """The form as the API's schema reads it: local times get the union's zone, options one per line."""
    data = local_input(form, FORM_FIELDS, zone=zone_of(tenant), datetimes=("opens_at", "closes_at"))
    data["options"] = [{"label": line.strip()} for line in (form.get("options") or "").splitlines() if line.strip()]
    return data


def form_options():
    return {"kinds": list(KIND_LABELS.items()), "scopes": list(SCOPE_LABELS.items()),
            "results_choices": list(RESULTS_LABELS.items())}


def render_form(tenant, *, values=None, errors=None, detail=None):
    return render_template("polls/form.html", tenant=tenant, values=values or {}, errors=errors or {},
                           detail=detail, **form_options())


@bp.route("/manage/<slug>/polls/new", methods=["GET", "POST"])
@tenant_view("poll.manage")
@form_page(render_form)
def create(tenant):
    if request.method == "GET":
        now = utcnow().astimezone(zone_of(tenant))
        return render_form(tenant, values={"kind": "single", "scope": "tenant", "results": "live", "max_choices": "1",
                                           "jury_weight": "0", "opens_at": now.strftime("%Y-%m-%dT%H:%M")})
    data = load(schemas.PollCreateSchema(), form_input(request.form, tenant))
    poll = services.create_poll(db.session, current_user, tenant, data)
    flash(_("%(title)s is published.", title=poll.title))
    return redirect(url_for("polls.manage_detail", poll_id=poll.id))


def render_manage(poll, *, values=None, errors=None, detail=None):
    services.load_options(db.session, poll)
    entries = list(db.session.scalars(services.entries_stmt(poll).limit(200))) if poll.kind == "contest" else []
    return render_template("polls/manage_detail.html", poll=poll, tenant=poll.tenant,
                           results=services.results(db.session, poll), formula=services.formula(poll),
                           bursts=services.bursts(db.session, poll), threshold=services.BURST_VOTES,
                           entries=entries, values=values or {}, errors=errors or {}, detail=detail,
                           **page_context())


@bp.route("/manage/polls/<int:poll_id>")
@record_view("poll", "poll.manage")
def manage_detail(poll):
    return render_manage(poll)


@bp.route("/manage/<slug>/poll-entries")
@tenant_view("poll.manage")
def pending_entries(tenant):
    page = paginate(db.session, services.pending_entries_stmt(tenant), request.args.get("page", 1, type=int), 50)
    return render_template("polls/pending_entries.html", tenant=tenant, page=page)


def back_to(entry):
    target = request.form.get("back")
    if target == "queue":
        return redirect(url_for("polls.pending_entries", slug=entry.poll.tenant.slug))
    return redirect(url_for("polls.manage_detail", poll_id=entry.poll_id))


@bp.route("/manage/poll-entries/<int:poll_entry_id>/approve", methods=["POST"])
@record_view("poll_entry", "poll.manage")
def approve_entry(poll_entry):
    services.approve_entry(db.session, current_user, poll_entry)
    flash(_("%(label)s is in the contest.", label=poll_entry.label))
    return back_to(poll_entry)


@bp.route("/manage/poll-entries/<int:poll_entry_id>/reject", methods=["POST"])
@record_view("poll_entry", "poll.manage")
def reject_entry(poll_entry):
    data = load(schemas.EntryDecisionSchema(), {"reason": request.form.get("reason", "").strip() or None})
    services.reject_entry(db.session, current_user, poll_entry, data.get("reason"))
    flash(_("%(label)s was not accepted; its author is told.", label=poll_entry.label))
    return back_to(poll_entry)


@bp.route("/manage/polls/<int:poll_id>/jury", methods=["POST"])
@record_view("poll", "poll.manage")
@form_page(render_manage)
def jury(poll):
    scores = []
    for key, value in request.form.items():
        if key.startswith("score-"):
            value = value.strip()
            scores.append({"option": int(key[6:]) if key[6:].isdigit() else key[6:],
                           "score": None if value == "" else (int(value) if value.isdigit() else value)})
    data = load(schemas.JurySchema(), {"scores": scores})
    services.set_jury(db.session, current_user, poll, {s["option"]: s["score"] for s in data["scores"]})
    flash(_("The jury's scores are saved."))
    return redirect(url_for("polls.manage_detail", poll_id=poll.id))


@bp.route("/manage/polls/<int:poll_id>/annul", methods=["POST"])
@record_view("poll", "poll.manage")
@form_page(render_manage)
def annul(poll):
    data = load(schemas.AnnulSchema(), {"reason": request.form.get("reason", "").strip()})
    told = services.annul(db.session, current_user, poll, data["reason"])
    flash(_("The poll is annulled; %(n)d voters were told.", n=told))
    return redirect(url_for("polls.manage_detail", poll_id=poll.id))


@bp.route("/manage/polls/<int:poll_id>/export", methods=["POST"])
@record_view("poll", "poll.manage")
def export(poll):
    record = jobs.submit(db.session, tasks.export_results, poll.id, owner=current_user, tenant=poll.tenant)
    return redirect(url_for("core.job_page", job_id=record.id, back=url_for("polls.manage_detail", poll_id=poll.id)))


@bp.route("/manage/poll-options/<int:poll_option_id>/image", methods=["POST"])
@record_view("poll_option", "poll.manage")
@form_page(lambda poll_option, **kw: render_manage(poll_option.poll, **kw))
def upload_option_image(poll_option):
    upload = request.files.get("file")
    services.set_option_image(db.session, poll_option, upload)
    flash(_("The image is saved."))
    return redirect(url_for("polls.manage_detail", poll_id=poll_option.poll_id))
