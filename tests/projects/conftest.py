"""Fixtures of the projects tests: a district with communities and a partner, its people, and calls in any phase."""
from datetime import timedelta
from types import SimpleNamespace

import pytest

from union_saas.core.db import utcnow
from union_saas.projects import services
from union_saas.projects.models import CallReviewer


def call_body(**fields):
    now = utcnow().replace(microsecond=0)
    data = {"title": "Community projects 2026", "description": "Projects that serve workers.",
            "budget_total": 100000, "tiers": [{"name": "A", "amount": 50000}, {"name": "B", "amount": 20000},
                                              {"name": "C", "amount": 5000}],
            "criteria": [{"name": "Need", "weight": 40}, {"name": "Feasibility", "weight": 30},
                         {"name": "Reach", "weight": 30}],
            "opens_at": (now - timedelta(hours=1)).isoformat(), "closes_at": (now + timedelta(days=10)).isoformat(),
            "review_closes_at": (now + timedelta(days=20)).isoformat()}
    data.update(fields)
    return data


def move_to(session, call, phase):
    """Shift the call's windows so that it is ``phase`` now: open, reviewing, or after (the review closed)."""
    now = utcnow()
    if phase == "open":
        call.opens_at, call.closes_at, call.review_closes_at = now - timedelta(days=1), now + timedelta(days=5), now + timedelta(days=9)
    elif phase == "upcoming":
        call.opens_at, call.closes_at, call.review_closes_at = now + timedelta(days=1), now + timedelta(days=5), now + timedelta(days=9)
    elif phase == "reviewing":
        call.opens_at, call.closes_at, call.review_closes_at = now - timedelta(days=9), now - timedelta(days=1), now + timedelta(days=5)
    elif phase == "after":
        call.opens_at, call.closes_at, call.review_closes_at = now - timedelta(days=20), now - timedelta(days=10), now - timedelta(hours=1)
    session.flush()


@pytest.fixture
def district(db_session, make_tree, make_user, grant):
    """District ``pd`` with street ``pd-s`` (where calls are made), communities ``pd-s-c1``, ``pd-s-c2``, a partner
    ``pd-s-p`` (social_org), another street ``pd-o``, and federation ``px``; and the people around them."""
    t = make_tree("pd/pd-s/pd-s-c1", "pd/pd-s/pd-s-c2", "pd/pd-s/pd-s-p", "pd/pd-o", "px/px-s",
                  kinds={"pd-s-p": "social_org"})
    people = {name: make_user(name) for name in ("organiser", "proposer", "proposer2", "partner", "reviewer",
                                                 "reviewer2", "conflicted", "outsider", "fed_admin")}
    grant(people["organiser"], "union_admin", t["pd-s"])
    grant(people["proposer"], "union_officer", t["pd-s-c1"])
    grant(people["proposer2"], "union_officer", t["pd-s-c2"])
    grant(people["partner"], "partner_staff", t["pd-s-p"])
    grant(people["conflicted"], "member_reviewer", t["pd-s-c1"])
    grant(people["outsider"], "union_officer", t["pd-o"])
    grant(people["fed_admin"], "federation_admin", t["pd"])
    return SimpleNamespace(t=t, **people)


@pytest.fixture
def make_call(db_session, district):
    def make(phase="open", tenant=None, **fields):
        from union_saas.projects import schemas

        data = schemas.CallCreateSchema().load(call_body(**fields))
        call = services.create_call(db_session, district.organiser, tenant or district.t["pd-s"], data)
        move_to(db_session, call, phase)
        return call

    return make


@pytest.fixture
def make_proposal(db_session, district):
    def make(call, user=None, tenant=None, tier=None, amount=None, title="Reading room for night-shift workers"):
        from union_saas.projects.models import CallTier

        services.load_lists(db_session, [call])
        tier = tier or db_session.get(CallTier, call.tiers[1].id)
        phase_was = (call.opens_at, call.closes_at, call.review_closes_at)
        move_to(db_session, call, "open")
        proposal = services.submit_proposal(db_session, user or district.proposer, call, {
            "tenant": (tenant or district.t["pd-s-c1"]).slug, "title": title, "summary": "Books and a kettle.",
            "plan": "Open every night.", "budget_requested": amount or tier.amount, "tier": tier.id})
        call.opens_at, call.closes_at, call.review_closes_at = phase_was
        db_session.flush()
        return proposal

    return make


@pytest.fixture
def name_reviewer(db_session):
    def name(call, user):
        db_session.add(CallReviewer(call_id=call.id, user_id=user.id))
        db_session.flush()
        services.forget_reviewers()

    return name


def scores(call, *values):
    from union_saas.extensions import db

    services.load_lists(db.session, [call])
    values = values or (8,) * len(call.criteria)
    return {str(c.id): v for c, v in zip(call.criteria, values)}


@pytest.fixture
def make_activity(db_session):
    """An activity a proposing union ran, with two sign-ups, one checked in."""
    from union_saas.activities.models import Activity

    def make(tenant, title="Opening night"):
        starts = utcnow() - timedelta(days=3)
        activity = Activity(tenant_id=tenant.id, root_id=tenant.root_id, title=title, scope="tenant",
                            status="published", starts_at=starts, ends_at=starts + timedelta(hours=2),
                            description="", description_html="", members_only=False, confirmed_count=0)
        db_session.add(activity)
        db_session.flush()
        return activity

    return make
