"""Pages: a worker's groups (find, start, join, organise, group activities), a union's oversight, the awards."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from union_saas.access import engine, resources
from union_saas.access.guards import record_view, signed_in, tenant_public, tenant_view
from union_saas.activities.models import CATEGORIES as ACTIVITY_CATEGORIES
from union_saas.activities.models import CATEGORY_LABELS as ACTIVITY_CATEGORY_LABELS
from union_saas.core import files, jobs
from union_saas.core.errors import NotFound
from union_saas.core.forms import form_page, load, local_input, local_time
from union_saas.core.i18n import zone_of
from union_saas.core.pagination import paginate
from union_saas.core.qr import qr_svg
from union_saas.extensions import db
from union_saas.groups import lookups, schemas, services, tasks
from union_saas.groups.models import (
    CATEGORIES,
    CATEGORY_LABELS,
    JOIN_POLICIES,
    KIND_LABELS,
    KINDS,
    POLICY_LABELS,
)
from union_saas.tenancy import sections
from union_saas.tenancy import services as tenancy
from union_saas.tenancy.content import REACH_STATES, SCOPE_LABELS, SCOPES

bp = Blueprint("groups", __name__, template_folder="templates", static_folder="static",
               static_url_path="/groups/static")

sections.manage_tab("groups.oversight", _l("Groups"), "group.manage", 40,
                    count=lambda tenant: services.pending_count(db.session, tenant))
sections.manage_tab("groups.group_reach", _l("Federation-wide groups"), "group.manage", 41,
                    shown=lambda tenant: tenant.is_root,
                    count=lambda tenant: services.reach_count(db.session, tenant))
sections.manage_tab("groups.manage_rounds", _l("Awards"), "group.manage", 42)


def _signed(user):
    return getattr(user, "is_authenticated", False)


sections.me_entry("my_groups", 30, _l("My groups"), lambda user: url_for("groups.mine") if _signed(user) else None,
                  count=lambda user: services.my_groups_count(db.session, user), icon="groups")
sections.service("groups", 30, _l("Interest groups"), lambda user: url_for("groups.browse"), icon="groups")


def options():
    return {"categories": [(c, CATEGORY_LABELS[c]) for c in CATEGORIES],
            "policies": [(p, POLICY_LABELS[p]) for p in JOIN_POLICIES],
            "scopes": [(s, SCOPE_LABELS[s]) for s in SCOPES]}


def page_arg():
    return request.args.get("page", 1, type=int)


# --- the worker's pages ------------------------------------------------------------------------

@sections.section("groups", 30, "groups/_home_section.html")
def home_section(tenant, user):
    """A few groups hosted at this union that the visitor may see (three queries at most, and the viewer)."""
    if not _signed(user):
        return {"tenant": tenant, "groups": [], "anonymous": True}
    v = services.viewer(db.session, user)
    groups = list(db.session.scalars(services.list_stmt(v, tenant=tenant).limit(4)))
    return {"tenant": tenant, "groups": groups, "anonymous": False,
            "may_start": services.may_start(db.session, user, tenant) is not None}


@bp.route("/groups")
@signed_in
def browse():
    category = request.args.get("category") if request.args.get("category") in CATEGORIES else None
    where = request.args.get("where") if request.args.get("where") in ("near", "mine") else "everywhere"
    tenant = None
    if request.args.get("tenant"):
        tenant = tenancy.get_by_slug(db.session, request.args["tenant"])
    v = services.viewer(db.session, current_user)
    page = paginate(db.session, services.list_stmt(v, tenant=tenant, category=category, where=where), page_arg(), 30)
    return render_template("groups/browse.html", page=page, docs=lookups.docs(page.items, current_user),
                           category=category, where=where, tenant=tenant, viewer=v, **options())


@bp.route("/me/groups")
@signed_in
def mine():
    page = paginate(db.session, services.my_groups_stmt(current_user), page_arg(), 50)
    return render_template("groups/mine.html", page=page, docs=lookups.docs(page.items, current_user))


def render_new(tenant, *, values=None, errors=None, detail=None):
    kind = services.may_start(db.session, current_user, tenant)
    return render_template("groups/form.html", tenant=tenant, group=None, kind=kind, values=values or {},
                           errors=errors or {}, detail=detail, **options())


def save_cover(group):
    upload = request.files.get("cover")
    if upload is not None and upload.filename:
        services.save_cover(db.session, current_user, group, upload)


@bp.route("/t/<slug>/groups/new", methods=["GET", "POST"])
@tenant_public(signed_in=True)
@form_page(render_new)
def create(tenant):
    if request.method == "GET":
        return render_new(tenant, values={"join_policy": "open", "scope": "tenant", "category": "culture"})
    data = load(schemas.GroupCreateSchema(), {k: request.form.get(k, "") for k in
                                             ("name", "description", "category", "join_policy", "scope")})
    group = services.create_group(db.session, current_user, tenant, data)
    save_cover(group)
    flash(_("%(name)s is started.", name=group.name) if group.status == "active"
          else _("%(name)s is proposed: the union reviews it, and you are told in your messages.", name=group.name))
    return redirect(url_for("groups.detail", group_id=group.id))


def detail_context(group):
    doc = lookups.docs([group], current_user)[0]
    v = services.viewer(db.session, current_user)
    visible = services.activities.visible_clause(v, statuses=("published", "cancelled"))
    upcoming = list(db.session.scalars(services.activities_stmt(group, upcoming=True).where(visible).limit(10)))
    past = list(db.session.scalars(services.activities_stmt(group, upcoming=False).where(visible).limit(10)))
    return {"group": group, "tenant": group.tenant, "doc": doc, "upcoming": upcoming, "past": past,
            "numbers": services.numbers(db.session, [group.id])[group.id],
            "organiser": services.is_organiser(db.session, current_user, group),
            "reviewer": engine.can(current_user, services.MANAGE, group.tenant)}


@bp.route("/groups/<int:group_id>")
@record_view("group")
def detail(group):
    return render_template("groups/detail.html", code=None, **detail_context(group))


@bp.route("/groups/<int:group_id>/invitation/<code>")
@record_view("group")
def invitation(group, code):
    """Where a share link leads: the group, and a button to accept."""
    return render_template("groups/detail.html", code=code, **detail_context(group))


@bp.route("/groups/<int:group_id>/join", methods=["POST"])
@record_view("group")
def join(group):
    group_id = group.id
    row = services.join(db.session, current_user, group, code=request.form.get("code") or None)
    flash(_("Welcome: you are a member.") if row.status == "active"
          else _("You asked to join: the organisers decide, and you are told in your messages."))
    return redirect(url_for("groups.detail", group_id=group_id))


@bp.route("/groups/<int:group_id>/leave", methods=["POST"])
@record_view("group")
def leave(group):
    group_id = group.id
    services.leave(db.session, current_user, group)
    flash(_("You left the group."))
    return redirect(url_for("groups.detail", group_id=group_id))


@bp.route("/groups/<int:group_id>/cover")
@record_view("group")
def cover(group):
    row = files.get(db.session, group.cover_id)
    if row is None:
        raise NotFound(_("No cover image."))
    return files.send(row, inline=True, max_age=3600)


def render_edit(group, *, values=None, errors=None, detail=None):
    return render_template("groups/form.html", tenant=group.tenant, group=group, kind=group.kind,
                           values=values or {}, errors=errors or {}, detail=detail, **options())


@bp.route("/groups/<int:group_id>/edit", methods=["GET", "POST"])
@record_view("group")
@form_page(render_edit)
def edit(group):
    services.ensure_organiser(db.session, current_user, group)
    if request.method == "GET":
        return render_edit(group, values={k: getattr(group, k) for k in
                                          ("name", "description", "category", "join_policy", "scope")})
    data = load(schemas.GroupPatchSchema(), {k: request.form[k] for k in
                                            ("name", "description", "category", "join_policy", "scope")
                                            if k in request.form})
    services.update_group(db.session, current_user, group, data)
    save_cover(group)
    flash(_("Saved."))
    return redirect(url_for("groups.detail", group_id=group.id))


# --- organisers: members, invitations, activities ----------------------------------------------------

def render_members(group, *, values=None, errors=None, detail=None, share=None):
    services.ensure_organiser(db.session, current_user, group)
    status = request.args.get("status") if request.args.get("status") in ("active", "pending", "invited") else None
    page = paginate(db.session, services.members_stmt(group, status=status), page_arg(), 100)
    return render_template("groups/members.html", group=group, tenant=group.tenant, page=page, status=status,
                           values=values or {}, errors=errors or {}, detail=detail, share=share)


@bp.route("/groups/<int:group_id>/members")
@record_view("group")
def members(group):
    return render_members(group)


def back_to_members(group_id):
    return redirect(url_for("groups.members", group_id=group_id))


@bp.route("/groups/<int:group_id>/members/<username>/approve", methods=["POST"])
@record_view("group")
def approve_member(group, username):
    row = services.approve_member(db.session, current_user, group, username)
    flash(_("%(name)s is a member now.", name=row.user.display_name))
    return back_to_members(group.id)


@bp.route("/groups/<int:group_id>/members/<username>/remove", methods=["POST"])
@record_view("group")
def remove_member(group, username):
    group_id = group.id
    services.remove_member(db.session, current_user, group, username)
    flash(_("Removed; they are told."))
    return back_to_members(group_id)


@bp.route("/groups/<int:group_id>/members/<username>/role", methods=["POST"])
@record_view("group")
def set_role(group, username):
    data = load(schemas.GroupRoleSchema(), {"role": request.form.get("role", "")})
    row = services.set_role(db.session, current_user, group, username, data["role"])
    flash(_("%(name)s organises the group now.", name=row.user.display_name) if row.role == "organiser"
          else _("%(name)s is a member again.", name=row.user.display_name))
    return back_to_members(group.id)


@bp.route("/groups/<int:group_id>/invite", methods=["POST"])
@record_view("group")
@form_page(render_members)
def invite(group):
    data = load(schemas.GroupInviteSchema(), {"username": request.form.get("username", "").strip() or None})
    if not data.get("username"):
        raise services.ValidationFailed(_("Please correct the marked fields."),
                                        errors={"username": [_("Whom do you invite?")]})
    row = services.invite(db.session, current_user, group, data["username"])
    flash(_("%(name)s is invited and told in their messages.", name=row.user.display_name))
    return back_to_members(group.id)


@bp.route("/groups/<int:group_id>/share", methods=["POST"])
@record_view("group")
def share(group):
    """A new share link (used once), with its QR to show or send."""
    code = services.share_link(db.session, current_user, group)
    url = lookups.invite_url(group, code)
    return render_members(group, share={"url": url, "qr": qr_svg(url)})


ACTIVITY_FIELDS = ("title", "description", "category", "starts_at", "ends_at", "location", "online_url", "capacity",
                   "signup_opens_at", "signup_closes_at")
DATETIMES = ("starts_at", "ends_at", "signup_opens_at", "signup_closes_at")


def activity_input(form, tenant):
    data = local_input(form, ACTIVITY_FIELDS, zone=zone_of(tenant), datetimes=DATETIMES)
    data["members_only"] = form.get("members_only") in ("on", "1", "true")
    if form.get("scope") in SCOPES:  # published wider than the group
        data["scope"] = form["scope"]
    return data


def render_activity(group, *, values=None, errors=None, detail=None):
    services.ensure_organiser(db.session, current_user, group)
    return render_template("groups/activity_form.html", group=group, tenant=group.tenant, values=values or {},
                           errors=errors or {}, detail=detail, scopes=options()["scopes"],
                           categories=[(c, ACTIVITY_CATEGORY_LABELS[c]) for c in ACTIVITY_CATEGORIES])


@bp.route("/groups/<int:group_id>/activities/new", methods=["GET", "POST"])
@record_view("group")
@form_page(render_activity)
def new_activity(group):
    if request.method == "GET":
        return render_activity(group, values={"category": "culture", "scope": ""})
    data = load(schemas.ActivityCreateSchema(), activity_input(request.form, group.tenant))
    activity = services.create_activity(db.session, current_user, group, data)
    flash(_("%(title)s is published for the group.", title=activity.title))
    return redirect(url_for("groups.detail", group_id=group.id))


# --- the union's oversight and review ------------------------------------------------------------

@bp.route("/manage/<slug>/groups")
@tenant_view("group.manage")
def oversight(tenant):
    status = request.args.get("status") if request.args.get("status") in ("pending", "active", "rejected",
                                                                         "archived") else None
    inactive = request.args.get("inactive") == "1"
    page = paginate(db.session, services.oversight_stmt(tenant, status=status, flagged=inactive), page_arg(), 50,
                    scalars=False)
    rows = [(g, last, services.is_flagged(g, last)) for g, last in page.items]
    return render_template("groups/oversight.html", tenant=tenant, page=page, rows=rows, status=status,
                           inactive=inactive)


def back_to_oversight(group):
    return redirect(request.form.get("next") or url_for("groups.oversight", slug=group.tenant.slug))


@bp.route("/manage/groups/<int:group_id>/approve", methods=["POST"])
@record_view("group", "group.manage")
def approve(group):
    services.decide(db.session, current_user, group, approve=True)
    flash(_("%(name)s is approved; its founder is told.", name=group.name))
    return back_to_oversight(group)


@bp.route("/manage/groups/<int:group_id>/reject", methods=["POST"])
@record_view("group", "group.manage")
def reject(group):
    data = load(schemas.GroupReasonSchema(), {"reason": request.form.get("reason") or None})
    services.decide(db.session, current_user, group, approve=False, reason=data.get("reason"))
    flash(_("%(name)s is not approved; its founder is told why.", name=group.name))
    return back_to_oversight(group)


def render_archive(group, *, values=None, errors=None, detail=None):
    return render_template("groups/archive.html", group=group, tenant=group.tenant, values=values or {},
                           errors=errors or {}, detail=detail)


@bp.route("/manage/groups/<int:group_id>/archive", methods=["GET", "POST"])
@record_view("group", "group.manage")
@form_page(render_archive)
def archive(group):
    if request.method == "GET":
        return render_archive(group)
    data = load(schemas.ArchiveSchema(), {"reason": request.form.get("reason", "").strip()})
    services.archive(db.session, current_user, group, data["reason"])
    flash(_("%(name)s is archived; its organisers are told why.", name=group.name))
    return redirect(url_for("groups.oversight", slug=group.tenant.slug))


@bp.route("/manage/<slug>/group-reach")
@tenant_view("group.manage")
def group_reach(tenant):
    if not tenant.is_root:
        raise resources.miss()
    status = request.args.get("status") if request.args.get("status") in REACH_STATES else "pending"
    page = paginate(db.session, services.reach_requests_stmt(tenant, status=status), page_arg(), 50)
    return render_template("groups/reach_requests.html", tenant=tenant, page=page, status=status)


def decide_reach(group, approve):
    data = load(schemas.GroupReasonSchema(), {"reason": request.form.get("reason") or None})
    services.decide_reach(db.session, current_user, group, approve=approve, reason=data.get("reason"))
    flash(_("%(name)s now reaches the whole federation.", name=group.name) if approve
          else _("%(name)s stays with its union's subtree; its organisers are told why.", name=group.name))
    root = db.session.get(services.Tenant, group.root_id)
    return redirect(url_for("groups.group_reach", slug=root.slug))


@bp.route("/manage/groups/<int:group_id>/reach/approve", methods=["POST"])
@record_view("group")
def approve_reach(group):
    return decide_reach(group, True)


@bp.route("/manage/groups/<int:group_id>/reach/reject", methods=["POST"])
@record_view("group")
def reject_reach(group):
    return decide_reach(group, False)


# --- awards --------------------------------------------------------------------------------------

@bp.route("/manage/<slug>/award-rounds")
@tenant_view("group.manage")
def manage_rounds(tenant):
    v = services.viewer(db.session, current_user)
    page = paginate(db.session, services.rounds_stmt(v, tenant).where(services.AwardRound.tenant_id == tenant.id),
                    page_arg(), 50)
    return render_template("groups/manage_rounds.html", tenant=tenant, page=page)


CATEGORY_ROWS = 4


def round_input(form, tenant):
    zone = zone_of(tenant)
    data = {"title": form.get("title", "").strip(), "year": form.get("year", "").strip(), "categories": []}
    for name in ("nominations_close", "judging_close"):
        data[name] = local_time(form.get(name, "").strip(), zone)
    for i in range(CATEGORY_ROWS):
        name = form.get(f"category_{i}_name", "").strip()
        if name:
            data["categories"].append({"name": name, "kind": form.get(f"category_{i}_kind", ""),
                                       "places": form.get(f"category_{i}_places", "")})
    return data


def render_new_round(tenant, *, values=None, errors=None, detail=None):
    return render_template("groups/round_form.html", tenant=tenant, values=values or {}, errors=errors or {},
                           detail=detail, rows=range(CATEGORY_ROWS), kinds=[(k, KIND_LABELS[k]) for k in KINDS])


@bp.route("/manage/<slug>/award-rounds/new", methods=["GET", "POST"])
@tenant_view("group.manage")
@form_page(render_new_round)
def new_round(tenant):
    if request.method == "GET":
        year = services.utcnow().year
        return render_new_round(tenant, values={
            "year": year, "category_0_name": _("Members' groups"), "category_0_kind": "individual",
            "category_0_places": 20, "category_1_name": _("Institutional groups"),
            "category_1_kind": "institutional", "category_1_places": 20})
    data = load(schemas.RoundCreateSchema(), round_input(request.form, tenant))
    rnd = services.create_round(db.session, current_user, tenant, data)
    flash(_("%(title)s is open for nominations.", title=rnd.title))
    return redirect(url_for("groups.round_detail", round_id=rnd.id))


@bp.route("/t/<slug>/award-rounds")
@tenant_public(signed_in=True)
def rounds(tenant):
    page = paginate(db.session, services.rounds_stmt(services.viewer(db.session, current_user), tenant),
                    page_arg(), 30)
    return render_template("groups/rounds.html", tenant=tenant, page=page)


def round_context(rnd):
    rnd = services.load_round(db.session, rnd.id)
    noms = list(db.session.scalars(services.nominations_stmt(rnd)))
    dossier = services.dossiers(db.session, rnd, [n.group_id for n in noms])
    manager = engine.can(current_user, services.MANAGE, rnd.tenant)
    juror = services.is_juror(db.session, current_user, rnd)
    mine = services.my_scores(db.session, current_user, rnd) if juror else {}
    member_of = set(db.session.scalars(services.member_groups_select(current_user)
                                       .where(services.GroupMember.group_id.in_([n.group_id for n in noms] or [-1]))))
    nominable = []
    if rnd.phase() == "nominating":
        nominable = services.nominable_groups(db.session, current_user, rnd, manager)
    return {"round": rnd, "tenant": rnd.tenant, "nominations": noms, "dossier": dossier, "manager": manager,
            "juror": juror, "mine": mine, "member_of": member_of, "nominable": nominable,
            "jurors": services.jurors(db.session, rnd) if manager else [], "phase": rnd.phase()}


def render_round(award_round=None, nomination=None, *, values=None, errors=None, detail=None):
    rnd = award_round or nomination.round
    return render_template("groups/round.html", values=values or {}, errors=errors or {}, detail=detail,
                           failed=nomination.id if nomination is not None else None, **round_context(rnd))


@bp.route("/award-rounds/<int:round_id>")
@record_view("award_round")
def round_detail(award_round):
    return render_round(award_round)


@bp.route("/award-rounds/<int:round_id>/jurors", methods=["POST"])
@record_view("award_round", "group.manage")
@form_page(render_round)
def add_juror(award_round):
    data = load(schemas.JurorInSchema(), {"username": request.form.get("username", "").strip()})
    juror = services.add_juror(db.session, current_user, award_round, data["username"])
    flash(_("%(name)s is a juror of the round.", name=juror.user.display_name))
    return redirect(url_for("groups.round_detail", round_id=award_round.id))


@bp.route("/award-rounds/<int:round_id>/nominate", methods=["POST"])
@record_view("award_round")
@form_page(render_round)
def nominate(award_round):
    rnd = services.load_round(db.session, award_round.id)
    data = load(schemas.NominationInSchema(), {"group": _int(request.form.get("group")),
                                              "category": _int(request.form.get("category")),
                                              "statement": request.form.get("statement", "").strip()})
    nomination = services.nominate(db.session, current_user, rnd, data)
    flash(_("%(name)s is nominated.", name=nomination.group.name))
    return redirect(url_for("groups.round_detail", round_id=rnd.id))


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


@bp.route("/nominations/<int:nomination_id>/score", methods=["POST"])
@record_view("nomination")
@form_page(render_round)
def score(nomination):
    data = load(schemas.ScoreInSchema(), {"score": _int(request.form.get("score", "").strip()),
                                         "comment": request.form.get("comment", "").strip()})
    services.score(db.session, current_user, nomination, data)
    flash(_("Your score for %(name)s is saved.", name=nomination.group.name))
    return redirect(url_for("groups.round_detail", round_id=nomination.round_id))


@bp.route("/award-rounds/<int:round_id>/publish", methods=["POST"])
@record_view("award_round", "group.manage")
def publish(award_round):
    rnd = services.load_round(db.session, award_round.id)
    services.publish(db.session, current_user, rnd)
    flash(_("The results are published; the winners are told."))
    return redirect(url_for("groups.results", round_id=rnd.id))


@bp.route("/award-rounds/<int:round_id>/results")
@record_view("award_round")
def results(award_round):
    rnd = services.load_round(db.session, award_round.id)
    manager = engine.can(current_user, services.MANAGE, rnd.tenant)
    if rnd.published_at is None and not manager:
        raise resources.miss()
    return render_template("groups/results.html", round=rnd, tenant=rnd.tenant, manager=manager,
                           ranked=services.published_results(db.session, rnd))


@bp.route("/award-rounds/<int:round_id>/export", methods=["POST"])
@record_view("award_round", "group.manage")
def export(award_round):
    record = jobs.submit(db.session, tasks.export_results, award_round.id, owner=current_user,
                         tenant=award_round.tenant)
    return redirect(url_for("core.job_page", job_id=record.id,
                            back=url_for("groups.results", round_id=award_round.id)))
