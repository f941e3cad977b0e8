"""The generated benefits (``flask demo seed``, small scale): the rows are what the services would have left,
and a real draw in them checks out with the page's script."""
from collections import Counter, defaultdict

import sqlalchemy as sa

from tests.benefits.test_draw_and_jobs import load_script
from tests.conftest import module_seed
from union_saas.activities.models import SignUp
from union_saas.benefits import services
from union_saas.benefits.models import Entry, Giveaway, SubsidyClaim, Ticket
from union_saas.core.db import utcnow
from union_saas.demo_seed import SCALES
from union_saas.members.models import Membership
from union_saas.tenancy.models import Tenant

SMALL = SCALES["small"]


# one federation seeded for the module (seeding took longer than any of its tests); each test in a savepoint
seeded, built, db_session = module_seed("benseed", ("activities", "benefits"))


def test_giveaways_entries_and_tickets_are_what_the_rules_leave(db_session, built):
    root = built.root.id
    giveaways = list(db_session.scalars(sa.select(Giveaway).where(Giveaway.root_id == root)))
    now = utcnow()
    assert len(giveaways) >= 20
    phases = Counter(g.phase(now) for g in giveaways)
    assert phases["open"] >= 2 and phases["scheduled"] == 1 and phases["drawn"] >= 5
    entries, tickets = defaultdict(list), defaultdict(list)
    for e in db_session.scalars(sa.select(Entry).where(Entry.root_id == root)):
        entries[e.giveaway_id].append(e)
    for t in db_session.scalars(sa.select(Ticket).where(Ticket.root_id == root)):
        tickets[t.giveaway_id].append(t)
    active = dict(db_session.execute(sa.select(Membership.user_id, Membership.id_hash)
                                     .where(Membership.root_id == root, Membership.status == "active")).all())
    checked = 0
    for g in giveaways:
        mine, seats = entries[g.id], tickets[g.id]
        assert g.entries_count == len(mine) and g.tickets_count == len(seats) <= g.quantity
        assert sorted(t.seat for t in seats) == list(range(1, len(seats) + 1))
        assert len({e.person_hash for e in mine}) == len(mine) == len({e.user_id for e in mine})
        assert all(active[e.user_id] == e.person_hash for e in mine)  # members, known by their ID
        assert g.winners_count == sum(1 for e in mine if e.status == "won")
        assert {t.entry_id for t in seats} <= {e.id for e in mine if e.status == "won"}
        if g.method == "lottery":
            assert g.commitment == services.drawing.commitment_of(g.secret)
        if g.drawn_at is not None:
            published = services.published_draw(db_session, g)
            results, _ = load_script().check(published)
            assert all(ok for _, ok in results), g.id
            checked += 1
            if g.claim_by is None:
                assert len(seats) == min(g.quantity, len(mine))
        if g.method == "first_come":
            assert all(e.status == "won" for e in mine)
    assert checked >= 5


def test_subsidy_claims_evidence_and_decisions(db_session, built):
    root = built.root.id
    claims = list(db_session.scalars(sa.select(SubsidyClaim).where(SubsidyClaim.root_id == root)))
    assert claims and Counter(c.status for c in claims)["approved"] >= 1
    tenants = {t.id: t for t in db_session.scalars(sa.select(Tenant).where(Tenant.root_id == root))}
    for c in claims:
        confirmed, checked_in = db_session.execute(sa.select(sa.func.count(), sa.func.count(SignUp.checked_in_at))
                                                   .where(SignUp.activity_id == c.activity_id,
                                                          SignUp.status == "confirmed")).one()
        assert (c.evidence_confirmed, c.evidence_checked_in) == (confirmed, checked_in)
        assert c.activity_ended_at <= c.created_at
        assert c.amount_granted is None or c.amount_granted <= c.amount_requested
        if c.status != "submitted":
            # Decided above the claiming union, by someone holding benefit.manage there.
            tenant = tenants[c.tenant_id]
            assert c.decided_by_id is not None and not tenant.is_root
    totals = services.totals(db_session, db_session.get(Tenant, root))
    assert totals["granted"] == sum((c.amount_granted or 0) for c in claims)
