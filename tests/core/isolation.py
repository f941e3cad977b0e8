from tests.isolation.world import Case, everyone
from union_saas.core.jobs import XLSX, JobRecord


def own_admins_job(world, session):
    record = JobRecord(kind="union_saas.tenancy.tasks:import_tree", owner_id=world.users["own_admin"].id,
                       tenant_id=world.tenants["a-s1"].id, status="finished", progress=100, result={"created": 1})
    session.add(record)
    session.flush()
    return {"job": record.id}


def own_admins_job_with_file(world, session):
    """An export of a-s1's (a job whose file needs activity.manage there, which its owner holds)."""
    extra = own_admins_job(world, session)
    record = session.get(JobRecord, extra["job"])
    record.kind = "union_saas.activities.tasks:export_signups"
    record.attach_file(session, "export.xlsx", XLSX, b"PK\x03\x04 not really a workbook")
    return extra


CASES = [
    Case("jobs_api.job_status", "GET", "/api/v1/jobs/{job}", {**everyone(404), "own_admin": 200},
         setup=own_admins_job),
    Case("jobs_api.job_file", "GET", "/api/v1/jobs/{job}/file", {**everyone(404), "own_admin": 200},
         setup=own_admins_job_with_file),
    Case("core.job_file_page", "GET", "/jobs/{job}/file", {**everyone(404), "own_admin": 200}, page=True,
         setup=own_admins_job_with_file),
]
