"""Real commits from real threads on PostgreSQL: a case climbs once, is rated once, whatever the interleaving."""
import threading

import pytest
import sqlalchemy as sa

from tests.assistance import helpers
from tests.conftest import ApiClient, _password_hash, is_postgres
from union_saas.access.models import Grant
from union_saas.accounts.models import User
from union_saas.assistance import services
from union_saas.assistance.models import HelpCase, HelpEvent
from union_saas.extensions import db
from union_saas.members.models import Membership
from union_saas.tenancy import services as tenancy

pytestmark = [pytest.mark.postgres, pytest.mark.skipif(not is_postgres(), reason="needs PostgreSQL")]


def committed_world(committed):
    session = committed.session
    fed = tenancy.create_federation(session, None, slug="hr-fed", name="HR Fed")
    street = tenancy.create_child(session, None, fed, slug="hr-s1", name="HR S1", kind="street")
    committed.roots.append(fed.id)
    worker = User(username="hr-worker", display_name="Worker", password_hash=_password_hash())
    handler = User(username="hr-handler", display_name="Handler", password_hash=_password_hash())
    session.add_all([worker, handler])
    session.flush()
    committed.users += [worker.id, handler.id]
    session.add(Membership(user_id=worker.id, tenant_id=street.id, root_id=fed.id, status="active"))
    session.add(Grant(user_id=handler.id, role="union_admin", tenant_id=street.id, root_id=fed.id))
    session.commit()
    return fed, street, worker, handler


def run_together(app, fn, n=4):
    barrier = threading.Barrier(n)
    results, errors = [], []

    def work():
        with app.app_context():
            try:
                barrier.wait()
                results.append(fn())
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=work) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


def test_racing_climb_jobs_climb_once(app, committed):
    fed, street, worker, handler = committed_world(committed)
    case = helpers.file(committed.session, worker)
    helpers.age(committed.session, case, hours=30)
    committed.session.commit()
    case_id = case.id

    def climb():
        climbed = services.climb_overdue(db.session)
        db.session.commit()
        return climbed

    results, errors = run_together(app, climb)
    assert not errors, errors
    assert sum(results) == 1
    session = committed.session
    session.expire_all()
    row = session.get(HelpCase, case_id)
    assert row.tenant_id == fed.id and row.escalation_count == 1
    assert session.scalar(sa.select(sa.func.count()).select_from(HelpEvent).where(
        HelpEvent.case_id == case_id, HelpEvent.kind == "escalated")) == 1


def test_racing_ratings_rate_once(app, committed):
    fed, street, worker, handler = committed_world(committed)
    case = helpers.file(committed.session, worker)
    helpers.resolve(committed.session, case, handler)
    committed.session.commit()
    case_id = case.id
    clients = [ApiClient(app, worker) for _ in range(4)]
    it = iter(clients)
    lock = threading.Lock()

    def rate():
        with lock:
            client = next(it)
        return client.post(f"/api/v1/help-requests/{case_id}/rate", json={"score": 4}).status_code

    results, errors = run_together(app, rate)
    assert not errors, errors
    assert sorted(results) == [200, 409, 409, 409]
