"""Rules of calls for community projects (API.md, Calls for community projects).

Plain functions taking a session: they flush, raise domain errors, never commit.

Who sees what:
- a call (``scope = subtree``, published content): the members of its union and of every union below it,
  whoever holds ``project.propose`` at a union of its subtree (or above it), its reviewers, and its
  organisers (``project.manage`` at its union, drafts included);
- a proposal: its proposer (``project.propose`` at the proposing union), the call's organisers, and the
  call's reviewers until the decision; once decided, the funded projects are public to whoever sees the call
  (``funded_stmt``).

The budget's invariant is the database's: the decision is one conditional UPDATE of the call's row
(``status = 'published' AND budget_total >= :total``, and the check ``granted_total <= budget_total``);
a milestone promises part of the grant with ``planned + :amount <= granted``; an approval releases it with
``disbursed + :amount <= planned``. The loser of a race finds nothing to update: 409 (or 422).
"""
from datetime import datetime

import sqlalchemy as sa
from flask import g, has_request_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload, selectinload

from union_saas.access import engine, resources
from union_saas.access.policy import perm
from union_saas.accounts.models import User
from union_saas.activities.models import Activity, SignUp
from union_saas.core import files, inbox
from union_saas.core.audit import AUDIT_LABELS, record
from union_saas.core.db import utcnow
from union_saas.core.errors import Conflict, Forbidden, ValidationFailed
from union_saas.members.audience import may_see, viewer
from union_saas.members import audience
from union_saas.projects.models import (
    Attachment,
    CallCriterion,
    CallReviewer,
    CallTier,
    Milestone,
    ProjectCall,
    Proposal,
    Review,
    ReviewScore,
    yuan_text,
)
from union_saas.tenancy.models import Tenant, ancestor_paths, path_ids, subtree_clause

MANAGE = perm("project.manage")
PROPOSE = perm("project.propose")
CORRECT = _l("Please correct the marked fields.")
ATTACHMENT_KINDS = (files.PDF, files.PNG, files.JPEG, files.WEBP, files.DOCX, files.XLSX, files.PPTX)
ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENTS = 20

AUDIT_LABELS.update({
    "project.call.create": _l("%(actor)s published a call for projects at %(union)s."),
    "project.call.publish": _l("%(actor)s published a drafted call for projects at %(union)s."),
    "project.reviewer.add": _l("%(actor)s named a reviewer of a call for projects at %(union)s."),
    "project.decide": _l("%(actor)s decided the funding of a call for projects at %(union)s."),
    "project.milestone.add": _l("%(actor)s added a project milestone at %(union)s."),
    "project.milestone.approve": _l("%(actor)s approved and paid a project milestone at %(union)s."),
    "project.milestone.return": _l("%(actor)s returned a project milestone at %(union)s."),
})

TOLD = {
    "reviewer": inbox.kind("project.reviewer_named", _l("You review the proposals of %(title)s.")),
    "funded": inbox.kind("project.funded", _l("%(title)s is funded: %(amount)s yuan (%(tier)s).")),
    "declined": inbox.kind("project.declined", _l("%(title)s was not funded in this call.")),
    "milestone": inbox.kind("project.milestone_added", _l("A milestone of %(title)s: %(milestone)s.")),
    "reported": inbox.kind("project.milestone_reported", _l("%(milestone)s of %(title)s is reported.")),
    "approved": inbox.kind("project.milestone_approved",
                           _l("%(milestone)s of %(title)s is approved: %(amount)s yuan released.")),
    "returned": inbox.kind("project.milestone_returned", _l("%(milestone)s of %(title)s was returned.")),
}


def invalid(**errors):
    return ValidationFailed(str(CORRECT), errors={k: [str(v)] for k, v in errors.items()})


# --- who sees what -----------------------------------------------------------------------------------

def proposes_under(user, tenant) -> bool:
    """``user`` holds project.propose at a union of ``tenant``'s subtree, or above it (no query)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return any(p.startswith(tenant.path) or tenant.path.startswith(p)
               for p in engine.subject(user).scopes(PROPOSE))


def reviewer_calls(session, user) -> frozenset:
    """The ids of the calls ``user`` reviews (one query per request)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return frozenset()
    cache = g.setdefault("project_reviews", {}) if has_request_context() else {}
    if user.id not in cache:
        cache[user.id] = frozenset(session.scalars(sa.select(CallReviewer.call_id)
                                                   .where(CallReviewer.user_id == user.id)))
    return cache[user.id]


def forget_reviewers():
    if has_request_context():
        g.pop("project_reviews", None)


def call_visible(session, user, call) -> bool:
    if may_see(viewer(session, user), call, MANAGE):
        return True
    if call.status == "draft":
        return False
    return proposes_under(user, call.tenant) or call.id in reviewer_calls(session, user)


def _load_call(session, call_id):
    return session.scalar(sa.select(ProjectCall).options(
        joinedload(ProjectCall.tenant), selectinload(ProjectCall.tiers), selectinload(ProjectCall.criteria))
        .where(ProjectCall.id == call_id))


CALL = resources.register("project_call", ProjectCall, visible=call_visible, load=_load_call, manage=MANAGE,
                          scoped=True, arg="call_id")


def organises(user, call) -> bool:
    return engine.can(user, MANAGE, call.tenant)


def proposal_visible(session, user, proposal) -> bool:
    if engine.can(user, PROPOSE, proposal.tenant) or organises(user, proposal.call):
        return True
    return proposal.call.status != "decided" and proposal.call_id in reviewer_calls(session, user)


def _proposal_allows(session, user, proposal, permission):
    return engine.can(user, permission, proposal.call.tenant if permission == MANAGE else proposal.tenant)


def _proposal_options():
    return (joinedload(Proposal.tenant), joinedload(Proposal.tier), joinedload(Proposal.awarded_tier),
            joinedload(Proposal.call).options(joinedload(ProjectCall.tenant), selectinload(ProjectCall.tiers),
                                              selectinload(ProjectCall.criteria)))


def _load_proposal(session, proposal_id):
    return session.scalar(sa.select(Proposal).options(*_proposal_options()).where(Proposal.id == proposal_id))


PROPOSAL = resources.register("proposal", Proposal, visible=proposal_visible, load=_load_proposal,
                              allows=_proposal_allows, manage=MANAGE)


def _load_milestone(session, milestone_id):
    return session.scalar(sa.select(Milestone).options(
        joinedload(Milestone.proposal).options(*_proposal_options())).where(Milestone.id == milestone_id))


MILESTONE = resources.register(
    "milestone", Milestone, load=_load_milestone, owner=lambda m: m.proposal.tenant,
    visible=lambda session, user, m: proposal_visible(session, user, m.proposal),
    allows=lambda session, user, m, permission: _proposal_allows(session, user, m.proposal, permission),
    manage=MANAGE)


def _load_attachment(session, attachment_id):
    return session.scalar(sa.select(Attachment).options(joinedload(Attachment.proposal).options(
        *_proposal_options())).where(Attachment.id == attachment_id))

ATTACHMENT = resources.register(
    "project_attachment", Attachment, load=_load_attachment, owner=lambda a: a.proposal.tenant,
    visible=lambda session, user, a: proposal_visible(session, user, a.proposal), arg="attachment_id")


def calls_clause(session, user):
    """The calls ``user`` may see: one SQL condition (join ``Tenant`` on the call's union)."""
    v = viewer(session, user)
    parts = [audience.visible_clause(ProjectCall, v, MANAGE)]
    scopes = engine.subject(user).scopes(PROPOSE)
    arms = []
    for p in scopes:
        arms.append(Tenant.path.in_(ancestor_paths(p)))
        arms.append(subtree_clause(Tenant.path, p))
    if arms:
        parts.append(sa.and_(ProjectCall.status != "draft", sa.or_(*arms)))
    parts.append(sa.and_(ProjectCall.status != "draft", ProjectCall.id.in_(
        sa.select(CallReviewer.call_id).where(CallReviewer.user_id == user.id))))
    return sa.or_(*parts)


def calls_stmt(session, user, *, open_only=False, now=None):
    """The calls ``user`` sees, the latest deadline first (``open_only``: accepting proposals now)."""
    now = now or utcnow()
    stmt = (sa.select(ProjectCall).join(Tenant, Tenant.id == ProjectCall.tenant_id)
            .options(joinedload(ProjectCall.tenant)).where(calls_clause(session, user)))
    if open_only:
        stmt = stmt.where(ProjectCall.status == "published", ProjectCall.opens_at <= now, ProjectCall.closes_at > now)
    return stmt.order_by(ProjectCall.closes_at.desc(), ProjectCall.id.desc())


def managed_calls_stmt(tenant):
    """Calls of ``tenant`` and of the unions below it, newest first."""
    return (sa.select(ProjectCall).join(Tenant, Tenant.id == ProjectCall.tenant_id)
            .options(joinedload(ProjectCall.tenant)).where(subtree_clause(Tenant.path, tenant.path))
            .order_by(ProjectCall.created_at.desc(), ProjectCall.id.desc()))


def calls_reaching_stmt(tenant):
    """Published calls whose subtree holds ``tenant`` (its own union's and its ancestors'), latest first."""
    return (sa.select(ProjectCall).options(joinedload(ProjectCall.tenant))
            .where(ProjectCall.tenant_id.in_(path_ids(tenant.path)), ProjectCall.status != "draft")
            .order_by(ProjectCall.closes_at.desc(), ProjectCall.id.desc()))


def load_lists(session, calls):
    """Tiers and criteria of a page of calls (two queries, whatever the page holds)."""
    ids = [c.id for c in calls]
    if not ids:
        return
    from sqlalchemy.orm.attributes import set_committed_value

    tiers, criteria = {i: [] for i in ids}, {i: [] for i in ids}
    for t in session.scalars(sa.select(CallTier).where(CallTier.call_id.in_(ids)).order_by(CallTier.position)):
        tiers[t.call_id].append(t)
    for c in session.scalars(sa.select(CallCriterion).where(CallCriterion.call_id.in_(ids))
                             .order_by(CallCriterion.position)):
        criteria[c.call_id].append(c)
    for call in calls:
        set_committed_value(call, "tiers", tiers[call.id])
        set_committed_value(call, "criteria", criteria[call.id])


# --- calls -------------------------------------------------------------------------------------------

def check_call(data):
    errors = {}
    tiers, criteria = data.get("tiers") or [], data.get("criteria") or []
    if not tiers:
        errors["tiers"] = [_("Give at least one funding tier.")]
    elif any(t["amount"] > data["budget_total"] for t in tiers):
        errors["tiers"] = [_("A tier cannot grant more than the whole budget.")]
    if not criteria:
        errors["criteria"] = [_("Give at least one criterion.")]
    elif sum(c["weight"] for c in criteria) != 100:
        errors["criteria"] = [_("The weights must add up to 100 (now %(n)d).", n=sum(c["weight"] for c in criteria))]
    if data["closes_at"] <= data["opens_at"]:
        errors["closes_at"] = [_("Proposals must close after they open.")]
    if data["review_closes_at"] <= data["closes_at"]:
        errors["review_closes_at"] = [_("The review must end after proposals close.")]
    if errors:
        raise ValidationFailed(_("Please correct the marked fields."), errors=errors)


def create_call(session, actor, tenant, data) -> ProjectCall:
    if tenant.status != "active":
        raise Conflict(_("An archived union cannot call for projects."))
    check_call(data)
    call = ProjectCall(tenant_id=tenant.id, root_id=tenant.root_id, scope="subtree",
                       status=data.get("status") or "published", title=data["title"],
                       description=data.get("description") or "", budget_total=data["budget_total"],
                       granted_total=0, disbursed_total=0, opens_at=data["opens_at"], closes_at=data["closes_at"],
                       review_closes_at=data["review_closes_at"], proposal_count=0, created_by_id=actor.id)
    call.tiers = [CallTier(name=t["name"], amount=t["amount"], position=i) for i, t in enumerate(data["tiers"])]
    call.criteria = [CallCriterion(name=c["name"], weight=c["weight"], position=i)
                     for i, c in enumerate(data["criteria"])]
    session.add(call)
    session.flush()
    call.tenant = tenant
    record(session, action="project.call.create", actor=actor, tenant=tenant, target=str(call.id),
           detail={"title": call.title, "budget_total": yuan_text(call.budget_total), "status": call.status})
    return call


def publish_call(session, actor, call) -> ProjectCall:
    done = session.execute(sa.update(ProjectCall).where(ProjectCall.id == call.id, ProjectCall.status == "draft")
                           .values(status="published").execution_options(synchronize_session=False)).rowcount
    if done != 1:
        raise Conflict(_("Only a draft can be published."))
    session.expire(call, ["status"])
    record(session, action="project.call.publish", actor=actor, tenant=call.tenant, target=str(call.id),
           detail={"title": call.title})
    return call


# --- proposals ---------------------------------------------------------------------------------------

def proposer_tenants(session, user, call) -> list:
    """The unions of the call's subtree where ``user`` may propose (for the form's choice)."""
    scopes = engine.subject(user).scopes(PROPOSE)
    arms = [subtree_clause(Tenant.path, p if p.startswith(call.tenant.path) else call.tenant.path)
            for p in scopes if p.startswith(call.tenant.path) or call.tenant.path.startswith(p)]
    if not arms:
        return []
    return list(session.scalars(sa.select(Tenant).where(sa.or_(*arms), Tenant.status == "active")
                                .order_by(Tenant.path).limit(200)))


def _tenant_for(session, actor, call, slug):
    tenant = session.scalar(sa.select(Tenant).where(Tenant.slug == slug)) if slug else None
    if tenant is None or not (engine.manages(actor, tenant) or tenant.path.startswith(call.tenant.path)):
        raise invalid(tenant=_l("No such union."))
    if not tenant.path.startswith(call.tenant.path):
        raise invalid(tenant=_l("This union is outside the call's reach."))
    if not engine.can(actor, PROPOSE, tenant):
        raise Forbidden(_("You may not propose projects for this union."))
    return tenant


def _tier_for(call, data, errors):
    tier = next((t for t in call.tiers if t.id == data.get("tier")), None)
    if tier is None:
        errors["tier"] = [_("Choose one of the call's tiers.")]
    elif data["budget_requested"] > tier.amount:
        errors["budget_requested"] = [_("The request is above the tier's amount (%(amount)s yuan).",
                                        amount=yuan_text(tier.amount))]
    return tier


def _must_be_open(call, now=None):
    now = now or utcnow()
    if call.status != "published" or now < call.opens_at:
        raise Conflict(_("This call does not take proposals yet."))
    if now >= call.closes_at:
        raise Conflict(_("This call closed for proposals on %(day)s.", day=call.closes_at.date().isoformat()))


def submit_proposal(session, actor, call, data) -> Proposal:
    _must_be_open(call)
    tenant = _tenant_for(session, actor, call, data.get("tenant"))
    errors = {}
    tier = _tier_for(call, data, errors)
    if errors:
        raise ValidationFailed(_("Please correct the marked fields."), errors=errors)
    proposal = Proposal(call_id=call.id, tenant_id=tenant.id, root_id=tenant.root_id, title=data["title"],
                        summary=data.get("summary") or "", plan=data.get("plan") or "",
                        budget_requested=data["budget_requested"], tier_id=tier.id, status="submitted",
                        granted=0, planned=0, disbursed=0, created_by_id=actor.id)
    session.add(proposal)
    session.execute(sa.update(ProjectCall).where(ProjectCall.id == call.id)
                    .values(proposal_count=ProjectCall.proposal_count + 1).execution_options(synchronize_session=False))
    session.flush()
    session.expire(call, ["proposal_count"])
    proposal.tenant, proposal.tier, proposal.call, proposal.awarded_tier = tenant, tier, call, None
    return proposal


def _proposer(actor, proposal):
    if not engine.can(actor, PROPOSE, proposal.tenant):
        raise Forbidden(_("Only the proposing union changes its proposal."))


def update_proposal(session, actor, proposal, data) -> Proposal:
    _proposer(actor, proposal)
    _must_be_open(proposal.call)
    if proposal.status != "submitted":
        raise Conflict(_("A withdrawn proposal cannot be changed."))
    merged = {"tier": data.get("tier", proposal.tier_id),
              "budget_requested": data.get("budget_requested", proposal.budget_requested)}
    errors = {}
    tier = _tier_for(proposal.call, merged, errors)
    if errors:
        raise ValidationFailed(_("Please correct the marked fields."), errors=errors)
    for field in ("title", "summary", "plan", "budget_requested"):
        if field in data:
            setattr(proposal, field, data[field])
    proposal.tier_id, proposal.tier = tier.id, tier
    session.flush()
    return proposal


def withdraw(session, actor, proposal) -> Proposal:
    _proposer(actor, proposal)
    _must_be_open(proposal.call)
    done = session.execute(sa.update(Proposal).where(Proposal.id == proposal.id, Proposal.status == "submitted")
                           .values(status="withdrawn", withdrawn_at=utcnow())
                           .execution_options(synchronize_session=False)).rowcount
    if done != 1:
        raise Conflict(_("This proposal is withdrawn already."))
    session.execute(sa.update(ProjectCall).where(ProjectCall.id == proposal.call_id)
                    .values(proposal_count=ProjectCall.proposal_count - 1).execution_options(synchronize_session=False))
    session.expire(proposal, ["status", "withdrawn_at"])
    return proposal


def my_proposals_clause(user):
    """Proposals of the unions where ``user`` may propose (join ``Tenant`` on the proposing union)."""
    scopes = engine.subject(user).scopes(PROPOSE)
    if not scopes:
        return sa.false()
    return sa.or_(*(subtree_clause(Tenant.path, p) for p in scopes))


def proposals_stmt(session, user, call, *, status=None):
    """The proposals of ``call`` the caller may see: all for organisers and (until decided) reviewers,
    else their own unions'."""
    stmt = (sa.select(Proposal).join(Tenant, Tenant.id == Proposal.tenant_id)
            .options(joinedload(Proposal.tenant), joinedload(Proposal.tier), joinedload(Proposal.awarded_tier))
            .where(Proposal.call_id == call.id))
    if not organises(user, call):
        if call.status != "decided" and call.id in reviewer_calls(session, user):
            stmt = stmt.where(sa.or_(Proposal.status != "withdrawn", my_proposals_clause(user)))
        else:
            stmt = stmt.where(my_proposals_clause(user))
    if status:
        stmt = stmt.where(Proposal.status == status)
    return stmt.order_by(Proposal.created_at, Proposal.id)


def tenant_proposals_stmt(tenant):
    """Proposals of ``tenant`` and the unions below it, newest first (with their calls)."""
    return (sa.select(Proposal).join(Tenant, Tenant.id == Proposal.tenant_id)
            .options(joinedload(Proposal.tenant), joinedload(Proposal.tier),
                     joinedload(Proposal.call).options(joinedload(ProjectCall.tenant), selectinload(ProjectCall.tiers),
                                              selectinload(ProjectCall.criteria)))
            .where(subtree_clause(Tenant.path, tenant.path)).order_by(Proposal.created_at.desc(), Proposal.id.desc()))


def attachments(session, proposal, *, milestone_ids=None):
    """The proposal's files (``milestone_ids``: of those milestones' reports; else its own)."""
    stmt = sa.select(Attachment).where(Attachment.proposal_id == proposal.id)
    stmt = stmt.where(Attachment.milestone_id.in_(milestone_ids)) if milestone_ids is not None \
        else stmt.where(Attachment.milestone_id.is_(None))
    return list(session.scalars(stmt.order_by(Attachment.id)))


def add_attachment(session, actor, proposal, upload, *, field="file") -> Attachment:
    """A file of the proposal (while the call is open), or evidence for a report (once funded)."""
    _proposer(actor, proposal)
    if proposal.status == "withdrawn" or proposal.status == "declined":
        raise Conflict(_("This proposal takes no more files."))
    if proposal.status == "submitted":
        _must_be_open(proposal.call)
    count = session.scalar(sa.select(sa.func.count()).where(Attachment.proposal_id == proposal.id))
    if count >= MAX_ATTACHMENTS:
        raise invalid(**{field: _l("At most 20 files per proposal.")})
    checked = files.check(upload, ATTACHMENT_KINDS, max_bytes=ATTACHMENT_BYTES, field=field)
    row = files.save_upload(session, checked)
    attachment = Attachment(proposal_id=proposal.id, file_id=row.id, uploaded_by_id=actor.id)
    session.add(attachment)
    session.flush()
    attachment.file = row
    return attachment


# --- the panel -----------------------------------------------------------------------------------------

def reviewers(session, call):
    return list(session.scalars(sa.select(CallReviewer).options(joinedload(CallReviewer.user))
                                .where(CallReviewer.call_id == call.id).order_by(CallReviewer.id)))


def add_reviewer(session, actor, call, username) -> CallReviewer:
    if call.status == "decided":
        raise Conflict(_("This call is decided: its panel is closed."))
    user = session.scalar(sa.select(User).where(User.username == (username or "").strip()))
    if user is None:
        raise invalid(username=_l("No such user."))
    if session.scalar(sa.select(CallReviewer.id).where(CallReviewer.call_id == call.id,
                                                       CallReviewer.user_id == user.id)):
        raise Conflict(_("%(name)s is on the panel already.", name=user.display_name))
    row = CallReviewer(call_id=call.id, user_id=user.id, added_by_id=actor.id)
    with session.begin_nested():
        session.add(row)
    row.user = user
    forget_reviewers()
    record(session, action="project.reviewer.add", actor=actor, tenant=call.tenant, target=str(call.id),
           detail={"reviewer": user.username})
    inbox.notify(session, [user.id], TOLD["reviewer"], params={"title": call.title},
                 link=f"/projects/calls/{call.id}", subject=("project_call", call.id), root_id=call.root_id)
    return row


def conflicted(user, proposal) -> bool:
    """``user`` holds a grant at the proposing union, or at a union between it and the call's union."""
    call_path, own_path = proposal.call.tenant.path, proposal.tenant.path
    return any(grant.tenant_path != call_path and grant.tenant_path.startswith(call_path)
               and own_path.startswith(grant.tenant_path) for grant in engine.subject(user).grants)


def my_review(session, user, proposal):
    return session.scalar(sa.select(Review).options(selectinload(Review.scores))
                          .where(Review.proposal_id == proposal.id, Review.reviewer_id == user.id))


def review(session, actor, proposal, data) -> Review:
    call = proposal.call
    if call.id not in reviewer_calls(session, actor):
        raise Forbidden(_("Only the call's reviewers score its proposals."))
    if not call.reviewing():
        raise Conflict(_("Scores are taken between the close of proposals and the end of the review."))
    if proposal.status != "submitted":
        raise Conflict(_("This proposal is not under review."))
    if conflicted(actor, proposal):
        raise Conflict(_("You hold a role at the proposing union or between it and the call's union: you cannot "
                         "review this proposal."))
    criteria = list(session.scalars(sa.select(CallCriterion).where(CallCriterion.call_id == call.id)))
    scores = {int(k): v for k, v in (data.get("scores") or {}).items()}
    known = {c.id for c in criteria}
    errors = {}
    missing = [c for c in criteria if c.id not in scores]
    if missing:
        errors["scores"] = [_("Score every criterion: %(names)s.", names=", ".join(c.name for c in missing))]
    elif set(scores) - known:
        errors["scores"] = [_("A score names a criterion this call does not have.")]
    if errors:
        raise ValidationFailed(_("Please correct the marked fields."), errors=errors)
    row = my_review(session, actor, proposal)
    if row is None:
        row = Review(proposal_id=proposal.id, call_id=call.id, reviewer_id=actor.id, comment="", scores=[])
        with session.begin_nested():
            session.add(row)
    row.comment = data.get("comment") or ""
    have = {s.criterion_id: s for s in row.scores}
    for cid, value in scores.items():
        if cid in have:
            have[cid].score = value
        else:
            row.scores.append(ReviewScore(criterion_id=cid, score=value))
    row.updated_at = utcnow()
    session.flush()
    return row


def reviews_of(session, proposal):
    return list(session.scalars(sa.select(Review).options(selectinload(Review.scores), joinedload(Review.reviewer))
                                .where(Review.proposal_id == proposal.id).order_by(Review.id)))


def ranking(session, call):
    """[(proposal, score, spread, reviews)] best first, in one grouped query.

    A review's total is ``sum(weight x score) / 10`` (0-100); as every review scores every criterion, the
    mean of totals is the sum over criteria of weight x mean score / 10; ``spread`` is the reviewers' range.
    """
    per_review = (sa.select(Review.proposal_id.label("pid"),
                            (sa.func.sum(CallCriterion.weight * ReviewScore.score) / 10.0).label("total"))
                  .join(ReviewScore, ReviewScore.review_id == Review.id)
                  .join(CallCriterion, CallCriterion.id == ReviewScore.criterion_id)
                  .where(Review.call_id == call.id).group_by(Review.id, Review.proposal_id).subquery())
    agg = (sa.select(per_review.c.pid, sa.func.avg(per_review.c.total).label("score"),
                     (sa.func.max(per_review.c.total) - sa.func.min(per_review.c.total)).label("spread"),
                     sa.func.count().label("reviews"))
           .group_by(per_review.c.pid).subquery())
    stmt = (sa.select(Proposal, agg.c.score, agg.c.spread, agg.c.reviews)
            .outerjoin(agg, agg.c.pid == Proposal.id)
            .options(joinedload(Proposal.tenant), joinedload(Proposal.tier), joinedload(Proposal.awarded_tier))
            .where(Proposal.call_id == call.id, Proposal.status != "withdrawn")
            .order_by(sa.case((agg.c.score.is_(None), 1), else_=0), agg.c.score.desc(), Proposal.created_at,
                      Proposal.id))
    rows = []
    for proposal, score, spread, count in session.execute(stmt).all():
        proposal.score = round(float(score), 2) if score is not None else None
        rows.append((proposal, proposal.score, round(float(spread), 2) if spread is not None else None, count or 0))
    return rows


def suggest(call, rows):
    """proposal id -> suggested tier (or None): best first at its requested tier while the budget lasts; one
    that no longer fits is skipped and the next tried. Unscored proposals get nothing."""
    left, out = call.budget_total, {}
    for proposal, score, _spread, _n in rows:
        if score is not None and proposal.status in ("submitted", "funded") and proposal.tier.amount <= left:
            out[proposal.id] = proposal.tier
            left -= proposal.tier.amount
        else:
            out[proposal.id] = None
    return out


def decide(session, actor, call, awards, now=None) -> ProjectCall:
    """Fund ``awards`` ([{proposal, tier}]) at their tiers' amounts, decline the rest; every proposer is told."""
    now = now or utcnow()
    if call.status == "decided":
        raise Conflict(_("This call is decided already."))
    if call.status != "published" or now < call.review_closes_at:
        raise Conflict(_("The decision comes after the review closes (%(day)s).",
                         day=call.review_closes_at.date().isoformat()))
    tiers = {t.id: t for t in call.tiers}
    proposals = {p.id: p for p in session.scalars(
        sa.select(Proposal).options(joinedload(Proposal.tenant)).where(Proposal.call_id == call.id))}
    chosen, errors = {}, []
    for award in awards:
        proposal, tier = proposals.get(award["proposal"]), tiers.get(award["tier"])
        if proposal is None or proposal.status != "submitted":
            errors.append(_("Proposal %(id)s is not a proposal under review in this call.", id=award["proposal"]))
        elif tier is None:
            errors.append(_("Tier %(id)s is not a tier of this call.", id=award["tier"]))
        elif proposal.id in chosen:
            errors.append(_("Proposal %(id)s is awarded twice.", id=proposal.id))
        else:
            chosen[proposal.id] = tier
    total = sum(t.amount for t in chosen.values())
    if not errors and total > call.budget_total:
        errors.append(_("The awards add up to %(total)s yuan, over the budget of %(budget)s yuan.",
                        total=yuan_text(total), budget=yuan_text(call.budget_total)))
    if errors:
        raise ValidationFailed(_("Please correct the marked fields."), errors={"awards": errors})
    done = session.execute(sa.update(ProjectCall).where(ProjectCall.id == call.id, ProjectCall.status == "published",
                                                        ProjectCall.budget_total >= total)
                           .values(status="decided", granted_total=total, decided_at=now, decided_by_id=actor.id)
                           .execution_options(synchronize_session=False)).rowcount
    if done != 1:
        raise Conflict(_("This call is decided already."))
    for pid, tier in chosen.items():
        session.execute(sa.update(Proposal).where(Proposal.id == pid, Proposal.status == "submitted")
                        .values(status="funded", awarded_tier_id=tier.id, granted=tier.amount)
                        .execution_options(synchronize_session=False))
    session.execute(sa.update(Proposal).where(Proposal.call_id == call.id, Proposal.status == "submitted")
                    .values(status="declined").execution_options(synchronize_session=False))
    session.expire(call, ["status", "granted_total", "decided_at", "decided_by_id"])
    for proposal in proposals.values():
        session.expire(proposal)
    for proposal in proposals.values():
        if proposal.status in ("funded", "declined") and proposal.created_by_id:
            funded = proposal.id in chosen
            params = {"title": proposal.title}
            if funded:
                params.update(amount=yuan_text(chosen[proposal.id].amount), tier=chosen[proposal.id].name)
            inbox.notify(session, [proposal.created_by_id], TOLD["funded" if funded else "declined"], params=params,
                         link=f"/projects/proposals/{proposal.id}", subject=("proposal", proposal.id),
                         root_id=call.root_id)
    record(session, action="project.decide", actor=actor, tenant=call.tenant, target=str(call.id),
           detail={"title": call.title, "funded": len(chosen), "granted_total": yuan_text(total)})
    return call


# --- delivery: milestones, reports, the ledger -----------------------------------------------------------

def milestones_of(session, proposal_ids):
    """proposal id -> its milestones, due first (one query)."""
    out = {pid: [] for pid in proposal_ids}
    if proposal_ids:
        for m in session.scalars(sa.select(Milestone).where(Milestone.proposal_id.in_(proposal_ids))
                                 .order_by(Milestone.due_on, Milestone.id)):
            out[m.proposal_id].append(m)
    return out


def _tell_proposer(session, proposal, key, milestone, **params):
    if proposal.created_by_id:
        inbox.notify(session, [proposal.created_by_id], TOLD[key],
                     params={"title": proposal.title, "milestone": milestone.title, **params},
                     body=params.pop("body", "") if "body" in params else "",
                     link=f"/projects/proposals/{proposal.id}", subject=("milestone", milestone.id),
                     root_id=proposal.root_id)


def add_milestone(session, actor, proposal, data) -> Milestone:
    if proposal.status != "funded":
        raise Conflict(_("Only a funded project has milestones."))
    done = session.execute(sa.update(Proposal).where(Proposal.id == proposal.id,
                                                     Proposal.planned + data["amount"] <= Proposal.granted)
                           .values(planned=Proposal.planned + data["amount"])
                           .execution_options(synchronize_session=False)).rowcount
    if done != 1:
        session.expire(proposal, ["planned", "granted"])
        raise ValidationFailed(_("Please correct the marked fields."), errors={"amount": [
            _("The milestones would exceed the grant: %(left)s yuan are left to plan.",
              left=yuan_text(proposal.granted - proposal.planned))]})
    milestone = Milestone(proposal_id=proposal.id, call_id=proposal.call_id, title=data["title"],
                          amount=data["amount"], due_on=data["due_on"], status="planned", activity_ids=[])
    session.add(milestone)
    session.flush()
    session.expire(proposal, ["planned"])
    record(session, action="project.milestone.add", actor=actor, tenant=proposal.call.tenant,
           target=str(milestone.id), detail={"proposal": proposal.title, "title": milestone.title,
                                             "amount": yuan_text(milestone.amount)})
    _tell_proposer(session, proposal, "milestone", milestone)
    milestone.proposal = proposal
    return milestone


def report_milestone(session, actor, milestone, data, uploads=()) -> Milestone:
    proposal = milestone.proposal
    _proposer(actor, proposal)
    if milestone.status not in ("planned", "returned"):
        raise Conflict(_("This milestone is reported already."))
    activity_ids = sorted(set(data.get("activities") or []))
    if activity_ids:
        found = set(session.scalars(sa.select(Activity.id).where(Activity.id.in_(activity_ids),
                                                                 Activity.tenant_id == proposal.tenant_id)))
        if found != set(activity_ids):
            raise invalid(activities=_l("Cite only activities of the proposing union."))
    attachment_ids = sorted(set(data.get("attachments") or []))
    if attachment_ids:
        found = set(session.scalars(sa.select(Attachment.id).where(Attachment.id.in_(attachment_ids),
                                                                   Attachment.proposal_id == proposal.id)))
        if found != set(attachment_ids):
            raise invalid(attachments=_l("Attach only files of this project."))
    done = session.execute(sa.update(Milestone).where(Milestone.id == milestone.id,
                                                      Milestone.status.in_(("planned", "returned")))
                           .values(status="reported", report_text=data["text"], activity_ids=activity_ids,
                                   reported_at=utcnow(), reported_by_id=actor.id, reason=None)
                           .execution_options(synchronize_session=False)).rowcount
    if done != 1:
        raise Conflict(_("This milestone is reported already."))
    if attachment_ids:
        session.execute(sa.update(Attachment).where(Attachment.id.in_(attachment_ids))
                        .values(milestone_id=milestone.id).execution_options(synchronize_session=False))
    for upload in uploads:
        attachment = add_attachment(session, actor, proposal, upload, field="files")
        attachment.milestone_id = milestone.id
    session.flush()
    session.expire(milestone, ["status", "report_text", "activity_ids", "reported_at", "reported_by_id", "reason"])
    call = proposal.call
    if call.created_by_id:
        inbox.notify(session, [call.created_by_id], TOLD["reported"],
                     params={"title": proposal.title, "milestone": milestone.title},
                     link=f"/manage/projects/proposals/{proposal.id}", subject=("milestone", milestone.id),
                     root_id=call.root_id)
    return milestone


def approve_milestone(session, actor, milestone) -> Milestone:
    """Release the milestone's amount: ``disbursed`` grows, never past what the milestones planned (nor the grant)."""
    proposal = milestone.proposal
    done = session.execute(sa.update(Milestone).where(Milestone.id == milestone.id, Milestone.status == "reported")
                           .values(status="approved", approved_at=utcnow(), approved_by_id=actor.id)
                           .execution_options(synchronize_session=False)).rowcount
    if done != 1:
        raise Conflict(_("Only a reported milestone can be approved."))
    paid = session.execute(sa.update(Proposal).where(Proposal.id == proposal.id,
                                                     Proposal.disbursed + milestone.amount <= Proposal.planned)
                           .values(disbursed=Proposal.disbursed + milestone.amount)
                           .execution_options(synchronize_session=False)).rowcount
    if paid != 1:
        raise Conflict(_("This would pay more than the grant."))
    session.execute(sa.update(ProjectCall).where(ProjectCall.id == proposal.call_id)
                    .values(disbursed_total=ProjectCall.disbursed_total + milestone.amount)
                    .execution_options(synchronize_session=False))
    session.expire(milestone, ["status", "approved_at", "approved_by_id"])
    session.expire(proposal, ["disbursed"])
    session.expire(proposal.call, ["disbursed_total"])
    record(session, action="project.milestone.approve", actor=actor, tenant=proposal.call.tenant,
           target=str(milestone.id), detail={"proposal": proposal.title, "amount": yuan_text(milestone.amount)})
    _tell_proposer(session, proposal, "approved", milestone, amount=yuan_text(milestone.amount))
    return milestone


def return_milestone(session, actor, milestone, reason) -> Milestone:
    done = session.execute(sa.update(Milestone).where(Milestone.id == milestone.id, Milestone.status == "reported")
                           .values(status="returned", reason=reason).execution_options(synchronize_session=False)
                           ).rowcount
    if done != 1:
        raise Conflict(_("Only a reported milestone can be returned."))
    session.expire(milestone, ["status", "reason"])
    proposal = milestone.proposal
    record(session, action="project.milestone.return", actor=actor, tenant=proposal.call.tenant,
           target=str(milestone.id), detail={"proposal": proposal.title, "reason": reason})
    _tell_proposer(session, proposal, "returned", milestone, body=reason)
    return milestone


def evidence(session, milestones):
    """activity id -> {id, title, signups, checked_in} of the activities these reports cite (two queries)."""
    ids = sorted({i for m in milestones for i in (m.activity_ids or [])})
    if not ids:
        return {}
    checked = dict(session.execute(sa.select(SignUp.activity_id, sa.func.count())
                                   .where(SignUp.activity_id.in_(ids), SignUp.checked_in_at.is_not(None))
                                   .group_by(SignUp.activity_id)).all())
    return {a.id: {"id": a.id, "title": a.title, "signups": a.confirmed_count, "checked_in": checked.get(a.id, 0)}
            for a in session.scalars(sa.select(Activity).where(Activity.id.in_(ids)))}


def funded_stmt(call):
    return (sa.select(Proposal).options(joinedload(Proposal.tenant), joinedload(Proposal.awarded_tier))
            .where(Proposal.call_id == call.id, Proposal.status == "funded")
            .order_by(Proposal.granted.desc(), Proposal.id))


def ledger_totals(session, call):
    granted, disbursed = session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(Proposal.granted), 0), sa.func.coalesce(sa.func.sum(Proposal.disbursed), 0))
        .where(Proposal.call_id == call.id, Proposal.status == "funded")).one()
    return {"granted_total": int(granted), "disbursed_total": int(disbursed),
            "budget_left": call.budget_total - int(granted)}


def waiting_count(session, tenant) -> int:
    """What waits for the organisers of ``tenant``: proposals of calls under review, reports to check (one query)."""
    now = utcnow()
    proposals = (sa.select(sa.func.count()).select_from(Proposal).join(ProjectCall, ProjectCall.id == Proposal.call_id)
                 .where(ProjectCall.tenant_id == tenant.id, ProjectCall.status == "published",
                        ProjectCall.closes_at <= now, Proposal.status == "submitted").scalar_subquery())
    reports = (sa.select(sa.func.count()).select_from(Milestone).join(ProjectCall, ProjectCall.id == Milestone.call_id)
               .where(ProjectCall.tenant_id == tenant.id, Milestone.status == "reported").scalar_subquery())
    return session.scalar(sa.select(proposals + reports)) or 0


def proposer_waiting_count(session, tenant) -> int:
    """What waits for a proposing union: calls open to it now, milestones to report (one query)."""
    now = utcnow()
    calls = (sa.select(sa.func.count()).select_from(ProjectCall)
             .where(ProjectCall.tenant_id.in_(path_ids(tenant.path)), ProjectCall.status == "published",
                    ProjectCall.opens_at <= now, ProjectCall.closes_at > now).scalar_subquery())
    todo = (sa.select(sa.func.count()).select_from(Milestone).join(Proposal, Proposal.id == Milestone.proposal_id)
            .where(Proposal.tenant_id == tenant.id, Milestone.status.in_(("planned", "returned"))).scalar_subquery())
    return session.scalar(sa.select(calls + todo)) or 0


def parse_datetime(value) -> datetime:
    return datetime.fromisoformat(value)


def tenant_activities(session, tenant, limit=50):
    """The proposing union's recent activities, to cite in a report."""
    return list(session.scalars(sa.select(Activity).where(Activity.tenant_id == tenant.id)
                                .order_by(Activity.starts_at.desc()).limit(limit)))
