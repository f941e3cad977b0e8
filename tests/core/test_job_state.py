"""A job runs on what the database says when it runs: nothing a job (or the request that queued it) cached
survives into the next one, so a grant revoked in between is honoured; a job's file is served only while its
owner may still see what is in it, and not after it expires."""
import os
from datetime import timedelta

import pytest
import sqlalchemy as sa

from union_saas.access import engine
from union_saas.access.models import Grant
from union_saas.accounts.models import User
from union_saas.core import jobs
from union_saas.core.db import utcnow
from union_saas.core.errors import Forbidden
from union_saas.core.files import StoredFile
from union_saas.core.jobs import JobRecord
from union_saas.extensions import db
from union_saas.tenancy.models import Tenant


@jobs.job("default", file_permission="member.view")
def export_probe(record, tenant_id):
    """What a real export does: ask the engine (its per-request cache included), then write a file."""
    session = db.session
    owner, tenant = session.get(User, record.owner_id), session.get(Tenant, tenant_id)
    if not engine.can(owner, "member.view", tenant):
        raise Forbidden("no longer allowed")
    record.attach_file(session, "probe.txt", "text/plain", b"the members of " + tenant.slug.encode())
    return {"ok": True}


@jobs.job("default")
def careless_probe(record):
    record.attach_file(db.session, "careless.txt", "text/plain", b"?")


def queue(db_session, owner, tenant, fn=export_probe, *args):
    record = JobRecord(kind=fn.job_name, owner_id=owner.id, tenant_id=tenant.id, args=[tenant.id, *args])
    db_session.add(record)
    db_session.commit()
    return record.id


def revoke(db_session, grant_row):
    db_session.execute(sa.update(Grant).where(Grant.id == grant_row.id).values(revoked_at=utcnow()))
    db_session.commit()


def status(db_session, job_id):
    db_session.expire_all()
    return db_session.get(JobRecord, job_id).status


@pytest.fixture(params=[False, True], ids=["test-session", "fresh-session"])
def worker_mode(request, app, monkeypatch):
    """As the tests run jobs, and as a worker does (its own app context and session for each job)."""
    monkeypatch.setitem(app.config, "JOBS_FRESH_SESSION", request.param)
    return request.param


def test_a_job_after_a_revocation_fails_in_the_worker_that_ran_one_before(make_tree, make_user, grant,
                                                                           db_session, worker_mode):
    tenant = make_tree("fed/street")["street"]
    officer = make_user("officer")
    right = grant(officer, "union_admin", tenant)
    first = queue(db_session, officer, tenant)
    jobs.execute(first)  # a worker process runs one job after another in one app context
    assert status(db_session, first) == "finished"
    revoke(db_session, right)
    second = queue(db_session, officer, tenant)
    jobs.execute(second)
    assert status(db_session, second) == "failed"


@pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="needs TEST_REDIS_URL")
def test_a_real_rq_worker_honours_a_revocation_between_two_jobs(make_tree, make_user, grant, db_session, run_jobs):
    tenant = make_tree("fed/street")["street"]
    officer = make_user("officer")
    right = grant(officer, "union_admin", tenant)
    first = jobs.submit(db_session, export_probe, tenant.id, owner=officer, tenant=tenant).id
    db_session.commit()
    jobs.dispatch_pending()
    run_jobs()
    assert status(db_session, first) == "finished"
    revoke(db_session, right)
    second = jobs.submit(db_session, export_probe, tenant.id, owner=officer, tenant=tenant).id
    db_session.commit()
    jobs.dispatch_pending()
    run_jobs()
    assert status(db_session, second) == "failed"


def test_the_request_that_queued_a_job_leaves_it_nothing(app, make_tree, make_user, grant, db_session):
    """Inline jobs run after the request's commit: the request's cached grants are not the job's."""
    tenant = make_tree("fed/street")["street"]
    officer = make_user("officer")
    grant(officer, "union_admin", tenant)
    engine.subject(officer)  # cached on g, as a request would
    db.session.execute(sa.update(Grant).where(Grant.user_id == officer.id).values(revoked_at=utcnow()))
    job_id = queue(db_session, officer, tenant)
    jobs.execute(job_id)
    assert status(db_session, job_id) == "failed"


def test_a_jobs_file_is_served_only_while_its_owner_may_see_it(make_tree, make_user, grant, db_session, api, login):
    tenant = make_tree("fed/street")["street"]
    officer = make_user("officer")
    right = grant(officer, "union_admin", tenant)
    job_id = queue(db_session, officer, tenant)
    client, page = api(officer), login(officer)
    jobs.execute(job_id)
    assert client.get(f"/api/v1/jobs/{job_id}/file").status_code == 200
    revoke(db_session, right)
    assert client.get(f"/api/v1/jobs/{job_id}/file").status_code == 404
    assert page.get(f"/jobs/{job_id}/file").status_code == 404


def test_job_files_expire_and_are_deleted(app, make_tree, make_user, grant, db_session, api):
    tenant = make_tree("fed/street")["street"]
    officer = make_user("officer")
    grant(officer, "union_admin", tenant)
    job_id = queue(db_session, officer, tenant)
    client = api(officer)
    jobs.execute(job_id)
    row = db_session.get(JobRecord, job_id).file
    row.created_at = utcnow() - app.config["JOB_FILES_KEPT"] - timedelta(minutes=1)
    db_session.commit()
    assert client.get(f"/api/v1/jobs/{job_id}").get_json()["file"] is None
    assert client.get(f"/api/v1/jobs/{job_id}/file").status_code == 404
    assert jobs.delete_expired_job_files(db_session)["deleted"] == 1
    assert db_session.scalar(sa.select(sa.func.count()).select_from(StoredFile)) == 0


def test_a_job_of_a_tenant_must_say_which_permission_its_file_needs(make_tree, make_user, db_session):
    tenant = make_tree("fed/street")["street"]
    owner = make_user("owner")
    record = JobRecord(kind=careless_probe.job_name, owner_id=owner.id, tenant_id=tenant.id, args=[])
    db_session.add(record)
    db_session.flush()
    with pytest.raises(RuntimeError, match="file_permission"):
        careless_probe(record)
