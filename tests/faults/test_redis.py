"""Redis is not needed to sign in or to read, and a notice sent while it is away is delivered once it is back
(the job record is the outbox; the sweeper hands it on)."""
import signal
import time

from tests.faults.stack import needs_stack, wait_for

pytestmark = needs_stack


def test_without_redis_people_sign_in_and_read_and_a_notice_sent_meanwhile_is_delivered_once_it_is_back(running):
    stack = running
    worker, scheduler = stack.start_worker(), stack.start_scheduler()
    auth = stack.token()
    assert stack.http("GET", "/readyz").status == 200
    stack.stop_redis()

    # Signing in: the rate limits count in the process (the log says so); wrong passwords are still refused.
    assert stack.sign_in_page().status == 302
    assert stack.sign_in_page(password="wrong").status == 401
    assert stack.http("POST", "/api/v1/auth/token", {"username": "worker", "password": "union-demo-2026"}).status == 200
    # Reading.
    for path in ("/api/v1/me", "/api/v1/tenants/jinjiang/notices", "/t/jinjiang", "/api/v1/tenants/jinjiang/inbox"):
        assert stack.http("GET", path, headers=auth).status == 200, path
    # Sending a notice: accepted, as always; its fan-out waits in the outbox.
    title = f"sent while Redis was away {time.monotonic_ns()}"
    sent = stack.send_notice(auth, title)
    assert sent.status == 202, sent
    notice, job = sent.json()["notice"]["id"], sent.json()["job"]
    assert stack.job(job).status == "queued"
    ready = stack.http("GET", "/readyz")
    assert ready.status == 503 and ready.json()["checks"]["redis"] == "unreachable"
    assert stack.http("GET", "/healthz").status == 200
    assert "falling back to in-memory storage" in stack.web.log()

    # Redis is back, empty (no persistence). The sweep (the scheduler's, within a minute; here, by hand, as an
    # operator may) hands the notice on, and the worker, which waited for Redis, delivers it.
    stack.start_redis()
    swept = stack.run("jobs", "sweep")
    assert swept.startswith("handed on: ") and not swept.startswith("handed on: 0"), swept
    wait_for(lambda: stack.job(job).status == "finished", timeout=60, every=0.2,
             what="the notice's fan-out to run once Redis is back\n" + stack.logs())
    assert stack.receipts(notice) == stack.addressed() > 0
    # New work runs too.
    later = stack.send_notice(auth, title + " (later)")
    assert later.status == 202
    wait_for(lambda: stack.job(later.json()["job"]).status == "finished", timeout=60, what="new work to run")
    assert worker.alive() and scheduler.alive(), stack.logs()
    assert stack.http("GET", "/readyz").status == 200
    assert worker.stop(signal.SIGTERM) == 0 and scheduler.stop(signal.SIGTERM) == 0, stack.logs()
