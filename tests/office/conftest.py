import pytest

from union_saas.core.db import utcnow


@pytest.fixture
def office(make_tree, make_user, grant, db_session):
    """A district: a / s1 / (c1, c2), a / s2 / c3; an admin at each, an officer at c1."""
    tenants = make_tree("a/s1/c1", "a/s1/c2", "a/s2/c3")
    people = {}
    for slug in ("a", "s1", "s2", "c1", "c2", "c3"):
        role = "federation_admin" if slug == "a" else "union_admin"
        people[slug] = make_user(f"admin-{slug}")
        grant(people[slug], role, tenants[slug])
    people["c1-officer"] = make_user("officer-c1")
    grant(people["c1-officer"], "union_officer", tenants["c1"])
    db_session.commit()
    return tenants, people


@pytest.fixture
def now():
    return utcnow()


@pytest.fixture
def run_job(app, db_session):
    """Run a recorded job here if no worker has (tests with Redis queue it for a worker that is not running)."""
    from union_saas.core import jobs
    from union_saas.core.jobs import JobRecord

    def run(job_id):
        record = db_session.get(JobRecord, job_id)
        if record.status == "queued":
            with app.test_request_context():
                jobs.execute(job_id)
        db_session.refresh(record)
        return record

    return run
