from tests.isolation.world import Case, everyone, members
from union_saas.core import inbox
from union_saas.core.jobs import JobRecord
from union_saas.core.xlsx import MIMETYPE as XLSX


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


def a_notification_for(caller):
    def setup(world, session):
        inbox.notify(session, [world.users[caller].id], "activity.reminder", params={"title": "Choir"},
                     link="/t/a-s1")
        row = session.scalar(inbox.inbox_stmt(world.users[caller].id).limit(1))
        return {"notification": row.id}

    return setup


MINE = {**everyone(404), "own_admin": 204}

CASES = [
    # Health is the same for everyone and tells nothing of anyone (the test database has no migration stamp,
    # so it is not ready: tests/core/test_health.py checks readiness itself).
    Case("core.healthz", "GET", "/healthz", everyone(200, anonymous=200)),
    Case("core.readyz", "GET", "/readyz", everyone(503, anonymous=503)),
    Case("api_docs_ui.api_docs", "GET", "/api/v1/docs", everyone(200, anonymous=200), page=True),
    Case("core.job_page", "GET", "/jobs/{job}", {**everyone(404), "own_admin": 200}, page=True, setup=own_admins_job),
    Case("core.notifications", "GET", "/me/notifications", everyone(200), page=True),
    Case("core.notifications", "POST", "/me/notifications", everyone(302), page=True),
    # Opening a message marks it read and follows its link: the person's own messages only.
    Case("core.open_notification", "GET", "/me/notifications/{notification}", everyone(404), page=True,
         setup=a_notification_for("member_own"), members=members(404, member_own=302)),
    Case("jobs_api.notifications_api", "GET", "/api/v1/me/notifications?unread=1", everyone(200)),
    Case("jobs_api.read_notification", "POST", "/api/v1/me/notifications/{notification}/read", MINE,
         setup=a_notification_for("own_admin")),
    Case("jobs_api.read_all_notifications", "POST", "/api/v1/me/notifications/read", everyone(204)),
    Case("jobs_api.job_status", "GET", "/api/v1/jobs/{job}", {**everyone(404), "own_admin": 200},
         setup=own_admins_job),
    Case("jobs_api.job_file", "GET", "/api/v1/jobs/{job}/file", {**everyone(404), "own_admin": 200},
         setup=own_admins_job_with_file),
    Case("core.job_file_page", "GET", "/jobs/{job}/file", {**everyone(404), "own_admin": 200}, page=True,
         setup=own_admins_job_with_file),
]
