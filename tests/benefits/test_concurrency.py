"""Never more winners than tickets, one entry per person: under real concurrency, through the API, with real
commits (the ``committed`` fixture). 500 people for 50 first-come tickets on PostgreSQL (the row lock and the
conditional counter decide); a smaller burst on SQLite (its write lock; a request that read an older state is
run again)."""
import hashlib
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import ApiClient, is_postgres
from union_saas.accounts.models import User
from union_saas.benefits.models import Entry, Giveaway, Ticket
from union_saas.core.db import utcnow
from union_saas.members.models import Membership
from union_saas.tenancy import services as tenancy


def world(committed, people, quantity, *, method="first_come"):
    """A federation with one union, ``people`` verified members, and a giveaway of ``quantity``, committed."""
    s = committed.session
    fed = tenancy.create_federation(s, None, slug="burst-fed", name="Burst")
    union = tenancy.create_child(s, None, fed, slug="burst-union", name="Burst union", kind="enterprise")
    users = [User(username=f"burst{i}", display_name=f"B{i}", password_hash="x") for i in range(people)]
    s.add_all(users)
    s.flush()
    committed.roots.append(fed.id)
    committed.users.extend(u.id for u in users)
    s.add_all([Membership(user_id=u.id, tenant_id=union.id, root_id=fed.id, status="active", verified_at=utcnow(),
                          id_hash=hashlib.sha256(f"id-{u.id}".encode()).hexdigest()) for u in users])
    now = utcnow()
    g = Giveaway(tenant_id=union.id, root_id=fed.id, title="Burst", scope="tenant", status="published",
                 method=method, quantity=quantity, opens_at=now - timedelta(hours=1),
                 closes_at=now + timedelta(hours=1), description="", description_html="", entries_count=0,
                 winners_count=0, tickets_count=0)
    s.add(g)
    s.commit()
    return g.id, users


def burst(app, users, giveaway_id, workers):
    clients = [ApiClient(app, u) for u in users]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda c: c.post(f"/api/v1/giveaways/{giveaway_id}/entries").status_code, clients))


def counts(session, giveaway_id):
    session.expire_all()
    g = session.get(Giveaway, giveaway_id)
    tickets = session.scalar(sa.select(sa.func.count()).where(Ticket.giveaway_id == giveaway_id))
    entries = session.scalar(sa.select(sa.func.count()).where(Entry.giveaway_id == giveaway_id))
    seats = list(session.scalars(sa.select(Ticket.seat).where(Ticket.giveaway_id == giveaway_id).order_by(Ticket.seat)))
    return g, tickets, entries, seats


@pytest.mark.postgres
def test_500_people_for_50_tickets_on_postgresql(app, committed):
    if not is_postgres():
        pytest.skip("PostgreSQL only (TEST_DATABASE_URL)")
    giveaway_id, users = world(committed, 500, 50)
    statuses = burst(app, users, giveaway_id, workers=50)
    assert statuses.count(201) == 50 and statuses.count(409) == 450, sorted(set(statuses))
    g, tickets, entries, seats = counts(committed.session, giveaway_id)
    assert tickets == entries == g.tickets_count == g.winners_count == g.entries_count == 50
    assert seats == list(range(1, 51))


@pytest.mark.postgres
def test_one_person_many_times_at_once_gets_one_entry(app, committed):
    """Twenty requests of one person at once (two phones, double taps). A second account of the same person
    cannot hold an active membership at the same time (members' unique active ID); its later entry is refused
    by ``uq_giveaway_entry_person`` (test_giveaways)."""
    if not is_postgres():
        pytest.skip("PostgreSQL only (TEST_DATABASE_URL)")
    giveaway_id, users = world(committed, 1, 5)
    statuses = burst(app, users * 20, giveaway_id, workers=20)
    assert statuses.count(201) == 1 and statuses.count(409) == 19, statuses
    g, tickets, entries, _ = counts(committed.session, giveaway_id)
    assert tickets == entries == g.tickets_count == g.entries_count == 1


@pytest.mark.postgres
def test_concurrent_lottery_entries_of_one_person(app, committed):
    if not is_postgres():
        pytest.skip("PostgreSQL only (TEST_DATABASE_URL)")
    giveaway_id, users = world(committed, 1, 5, method="lottery")
    statuses = burst(app, users * 10, giveaway_id, workers=10)
    assert statuses.count(201) == 1, statuses
    g, _, entries, _ = counts(committed.session, giveaway_id)
    assert entries == g.entries_count == 1


def test_first_come_burst_on_sqlite(app, committed):
    """The same rule on SQLite (a file: threads commit for real), fewer people (one writer at a time)."""
    if is_postgres():
        pytest.skip("the SQLite variant")
    giveaway_id, users = world(committed, 40, 8)
    statuses = burst(app, users + users[:5], giveaway_id, workers=8)  # five of them tap twice
    assert statuses.count(201) == 8 and statuses.count(409) == 37, statuses
    g, tickets, entries, seats = counts(committed.session, giveaway_id)
    assert tickets == entries == g.tickets_count == 8 and seats == list(range(1, 9))
