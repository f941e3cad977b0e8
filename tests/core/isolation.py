from tests.isolation.world import Case, everyone
from union_saas.core.jobs import JobRecord


def own_admins_job(world, session):
    record = JobRecord(kind="union_saas.tenancy.tasks:import_tree", owner_id=world.users["own_admin"].id,
                       tenant_id=world.tenants["a-s1"].id, status="finished", progress=100, result={"created": 1})
    session.add(record)
    session.flush()
    return {"job": record.id}


CASES = [
    Case("jobs_api.job_status", "GET", "/api/v1/jobs/{job}", {**everyone(404), "own_admin": 200},
         setup=own_admins_job),
]
