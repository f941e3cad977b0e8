"""Jobs: recorded, run after the request commits (RQ or inline), permission asked again when they run."""
import io

import yaml

from union_saas.core.jobs import JobRecord
from union_saas.tenancy.models import Tenant

TREE = yaml.safe_dump([{"slug": "late-one", "name": "Late", "kind": "enterprise"}]).encode()


def upload(client):
    return client.post("/api/v1/tenants/s1/children/import", data={"file": (io.BytesIO(TREE), "t.yaml")})


def test_a_job_started_by_someone_whose_right_was_revoked_since_fails(make_tree, make_user, grant, api, run_jobs,
                                                                      db_session, app):
    t = make_tree("fed/s1")
    admin = make_user("soon-gone")
    row = grant(admin, "union_admin", t["s1"])
    if not app.config["JOBS_INLINE"]:
        response = upload(api(admin))
        assert response.status_code == 202
        from union_saas.core.db import utcnow

        row.revoked_at = utcnow()  # revoked between the upload and the worker picking it up
        db_session.commit()
        run_jobs()
        job = db_session.get(JobRecord, response.get_json()["job"])
        db_session.refresh(job)
        assert job.status == "failed"
        assert db_session.query(Tenant).filter_by(slug="late-one").count() == 0
    else:
        # inline, the job runs in the request: check the re-check itself by running a job record by hand
        from union_saas.core.jobs import execute
        from union_saas.tenancy.tasks import import_tree

        record = JobRecord(kind=import_tree.job_name, queue="imports", owner_id=admin.id, tenant_id=t["s1"].id,
                           args=[t["s1"].id, yaml.safe_load(TREE)])
        db_session.add(record)
        from union_saas.core.db import utcnow

        row.revoked_at = utcnow()
        db_session.commit()
        execute(record.id)
        db_session.refresh(record)
        assert record.status == "failed"
        assert db_session.query(Tenant).filter_by(slug="late-one").count() == 0


def test_the_job_page_shows_progress_to_its_owner_only(make_tree, make_user, grant, login, run_jobs, db_session):
    t = make_tree("fed/s1")
    admin = make_user("owner")
    grant(admin, "union_admin", t["s1"])
    page = login(admin)
    response = page.post("/manage/s1/import", data={"file": (io.BytesIO(TREE), "t.yaml")})
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"]
    run_jobs()
    html = page.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-status="finished"' in html
    stranger = login(make_user("stranger"))
    assert stranger.get(response.headers["Location"]).status_code == 404
