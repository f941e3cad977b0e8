"""The file a job produced: kept in the database (any machine may run the worker), downloaded by its owner only."""
import sqlalchemy as sa

from union_saas.core import jobs
from union_saas.core.files import StoredFile
from union_saas.core.jobs import JobRecord
from union_saas.extensions import db

DATA = bytes(range(256)) * 40  # binary, with NULs: what an .xlsx looks like to the database


@jobs.job("default")
def produce_a_file(record, name):
    record.attach_file(db.session, name, "application/octet-stream", DATA)
    return {"rows": 1}


def a_job(db_session, owner, *, status="queued"):
    record = JobRecord(kind=produce_a_file.job_name, owner_id=owner.id, args=["out.bin"], status=status)
    db_session.add(record)
    db_session.flush()
    return record


def test_a_job_attaches_a_file_that_its_owner_downloads_from_the_page_and_the_api(
        make_user, db_session, api, login):
    owner, stranger = make_user("owner"), make_user("stranger")
    record = a_job(db_session, owner)
    job_id = record.id
    page, client, other = login(owner), api(owner), api(stranger)  # made before the job ends the session
    jobs.execute(job_id)
    status = client.get(f"/api/v1/jobs/{job_id}").get_json()
    assert status["status"] == "finished" and status["result"] == {"rows": 1}
    assert status["file"] == {"filename": "out.bin", "mimetype": "application/octet-stream", "size": len(DATA),
                              "url": f"/api/v1/jobs/{job_id}/file"}
    response = client.get(status["file"]["url"])
    assert response.status_code == 200 and response.data == DATA
    assert response.mimetype == "application/octet-stream"
    assert 'attachment; filename=out.bin' in response.headers["Content-Disposition"]
    html = page.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert f'href="/jobs/{job_id}/file"' in html
    assert page.get(f"/jobs/{job_id}/file").data == DATA
    assert other.get(f"/api/v1/jobs/{job_id}/file").status_code == 404
    assert login(stranger).get(f"/jobs/{job_id}/file").status_code == 404


def test_no_file_until_the_job_has_finished_and_none_for_a_job_without_one(make_user, db_session, api, login):
    owner = make_user("owner")
    running = a_job(db_session, owner, status="started")
    running.attach_file(db_session, "half.bin", "application/octet-stream", b"half")
    plain = a_job(db_session, owner, status="finished")
    client, page = api(owner), login(owner)
    for record in (running, plain):
        assert client.get(f"/api/v1/jobs/{record.id}").get_json()["file"] is None
        assert client.get(f"/api/v1/jobs/{record.id}/file").status_code == 404
        assert page.get(f"/jobs/{record.id}/file").status_code == 404
        assert 'id="job-file"' not in page.get(f"/jobs/{record.id}").get_data(as_text=True)
    assert client.get("/api/v1/jobs/no-such-job/file").status_code == 404


def test_attaching_again_replaces_the_file(make_user, db_session, api):
    owner = make_user("owner")
    record = a_job(db_session, owner, status="finished")
    first = record.attach_file(db_session, "first.txt", "text/plain", b"first").id
    record.attach_file(db_session, "second.txt", "text/plain", b"second")
    assert db_session.scalar(sa.select(sa.func.count()).select_from(StoredFile).where(StoredFile.id == first)) == 0
    response = api(owner).get(f"/api/v1/jobs/{record.id}/file")
    assert response.data == b"second" and "second.txt" in response.headers["Content-Disposition"]


def test_the_job_status_costs_the_same_queries_with_or_without_a_file(make_user, db_session, api, queries_of):
    owner = make_user("owner")
    plain = a_job(db_session, owner, status="finished")
    with_file = a_job(db_session, owner, status="finished")
    with_file.attach_file(db_session, "out.bin", "application/octet-stream", DATA)
    client, urls = api(owner), [f"/api/v1/jobs/{plain.id}", f"/api/v1/jobs/{with_file.id}"]
    first, second = queries_of(lambda: client.get(urls[0]), lambda: client.get(urls[1]))
    assert first == second <= 3  # the caller, the job, its file's name
