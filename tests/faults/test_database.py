"""A database failover costs no request: every connection of the app cut (what a failover or a restart of
PostgreSQL does), on gunicorn with two workers, each holding pooled connections."""
import threading
import time

from tests.faults.stack import needs_stack, wait_for

pytestmark = needs_stack

READS = ["/api/v1/me", "/api/v1/tenants/jinjiang/notices", "/t/jinjiang", "/login", "/api/v1/tenants/jinjiang"]


def read_everything(stack, auth, times):
    return [stack.http("GET", path, headers=auth).status for _ in range(times) for path in READS]


def both_workers_hold_connections(stack, auth):
    """Sequential requests may all go to one worker (the kernel picks who accepts): two at once cannot, since a
    sync worker serves one at a time."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(lambda path: stack.http("GET", path, headers=auth).status, READS * 4))
    assert set(statuses) == {200}, statuses
    return stack.app_backends() >= 2


def test_reads_after_every_connection_of_the_app_was_cut_answer_as_before(running):
    stack = running
    auth = stack.token()
    before = read_everything(stack, auth, 6)
    wait_for(lambda: both_workers_hold_connections(stack, auth), what="both workers to hold pooled connections")
    assert stack.terminate_app_connections() >= 2
    wait_for(lambda: stack.app_backends() == 0, what="the app's connections to be gone")
    after = read_everything(stack, auth, 12)  # 60 reads
    assert after == before * 2
    assert set(after) == {200}, after


def test_a_write_cut_by_a_failover_answers_503_with_retry_after_and_leaves_nothing_behind(running):
    stack = running
    auth = stack.token()
    title = f"cut mid-write {time.monotonic_ns()}"
    jobs_before = stack.scalar("SELECT count(*) FROM job_record")
    # The notice's row is written; its audit entry waits behind the lock; then the connection is cut.
    release = stack.locked("LOCK TABLE audit_entry IN SHARE MODE")
    answers = []
    try:
        writer = threading.Thread(target=lambda: answers.append(stack.send_notice(auth, title)))
        writer.start()
        wait_for(stack.app_backends_waiting_on_a_lock, what="the write to wait on the lock")
        stack.terminate_app_connections()
        writer.join(30)
    finally:
        release()
    (response,) = answers
    assert response.status == 503, response
    assert response.headers["Retry-After"] == "5"
    assert response.headers["Content-Type"] == "application/problem+json"
    assert stack.scalar("SELECT count(*) FROM office_notice WHERE title = :t", t=title) == 0
    assert stack.scalar("SELECT count(*) FROM job_record") == jobs_before
    # The client tries again, as Retry-After says: it goes through, once.
    again = stack.send_notice(auth, title)
    assert again.status == 202, again
    assert stack.scalar("SELECT count(*) FROM office_notice WHERE title = :t", t=title) == 1
