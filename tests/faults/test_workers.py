"""A worker killed mid-job: the job runs again and creates nothing twice. A worker or gunicorn told to stop
(SIGTERM) finishes what it holds first."""
import os
import signal
import sys
import threading
import time

from tests.faults.stack import needs_stack, wait_for

pytestmark = needs_stack

HOLD_THE_FAN_OUT = "LOCK TABLE office_notice_receipt IN SHARE MODE"  # its inserts wait behind it


def notice_in_flight(stack, worker, auth):
    """A notice whose fan-out a worker has started (its record says so) and that waits on the test's lock."""
    sent = stack.send_notice(auth, f"in flight {time.monotonic_ns()}")
    assert sent.status == 202, sent
    job = sent.json()["job"]
    wait_for(lambda: stack.job(job).status == "started", what="the worker to start the fan-out\n" + worker.tail())
    wait_for(stack.app_backends_waiting_on_a_lock, what="the fan-out to wait on the lock")
    return sent.json()["notice"]["id"], job


def test_a_fan_out_whose_work_horse_was_killed_runs_again_and_creates_nothing_twice(running):
    stack = running
    worker = stack.start_worker()
    auth = stack.token()
    release = stack.locked(HOLD_THE_FAN_OUT)
    try:
        notice, job = notice_in_flight(stack, worker, auth)
        (horse,) = worker.children()
        os.kill(horse, signal.SIGKILL)  # the process running the job dies (out of memory, say)
    finally:
        release()
    assert stack.job(job).status == "started"  # what the dead run left
    swept = stack.run("jobs", "sweep")  # the scheduler's sweep, every minute
    assert "queued again: 1" in swept, swept
    wait_for(lambda: stack.job(job).status == "finished", what="the second run\n" + worker.tail())
    assert stack.job(job).attempts == 2
    assert stack.receipts(notice) == stack.addressed() > 0
    assert worker.stop() == 0, worker.tail()


def test_a_fan_out_whose_worker_died_with_its_machine_is_run_again_by_another_worker(running):
    from rq import Queue

    stack = running
    worker = stack.start_worker("worker-lost")
    auth = stack.token()
    release = stack.locked(HOLD_THE_FAN_OUT)
    try:
        notice, job = notice_in_flight(stack, worker, auth)
        horses = worker.children()
        worker.send(signal.SIGKILL)  # the worker and its work horse die at once: no one tells RQ
        for pid in horses:
            os.kill(pid, signal.SIGKILL)
        worker.wait()
    finally:
        release()
    # RQ's abandoned-job handling marks the job failed once its heartbeat is older than the monitoring
    # interval plus a minute; the test does not wait that long: it asks RQ as if two minutes had passed.
    Queue("fanout", connection=stack.redis_client()).started_job_registry.cleanup(timestamp=time.time() + 120)
    other = stack.start_worker("worker-other")
    assert "queued again: 1" in stack.run("jobs", "sweep")
    wait_for(lambda: stack.job(job).status == "finished", what="the other worker's run\n" + other.tail())
    assert stack.job(job).attempts == 2
    assert stack.receipts(notice) == stack.addressed() > 0
    assert other.stop() == 0, other.tail()


def test_a_worker_told_to_stop_finishes_its_job_first(running):
    stack = running
    worker = stack.start_worker()
    auth = stack.token()
    release = stack.locked(HOLD_THE_FAN_OUT)
    try:
        notice, job = notice_in_flight(stack, worker, auth)
        worker.send(signal.SIGTERM)  # a deploy stops it
        time.sleep(1)
        assert worker.alive()  # it waits for its job
    finally:
        release()
    assert worker.wait(30) == 0, worker.tail()
    assert stack.job(job).status == "finished" and stack.job(job).attempts == 1
    assert stack.receipts(notice) == stack.addressed() > 0


def test_gunicorn_told_to_stop_finishes_the_requests_it_holds(running):
    stack = running
    web = stack.start_web(workers=1, name="gunicorn-stopping")
    auth = stack.token()
    answers = []
    release = stack.locked("LOCK TABLE office_notice IN ACCESS EXCLUSIVE MODE")  # the list waits behind it
    try:
        reader = threading.Thread(target=lambda: answers.append(
            stack.http("GET", "/api/v1/tenants/jinjiang/notices", headers=auth, port=web.port)))
        reader.start()
        wait_for(stack.app_backends_waiting_on_a_lock, what="the request to wait on the lock")
        web.send(signal.SIGTERM)  # a deploy stops it
        time.sleep(1)
        assert web.alive()  # its worker finishes the request first
    finally:
        release()
    reader.join(30)
    assert [a.status for a in answers] == [200], answers
    assert web.wait(30) == 0, web.tail()


def test_a_second_scheduler_waits_until_the_first_one_stops(running):
    stack = running
    first = stack.start_scheduler()
    second = stack.start("scheduler-second", [sys.executable, "-m", "flask", "jobs", "scheduler"])
    wait_for(lambda: "another scheduler keeps the schedule" in second.log(), timeout=60,
             what="the second scheduler to wait\n" + second.tail())
    assert stack.scheduler_pids() == {first.pid}  # one schedule: each run enqueued once
    assert first.stop(signal.SIGTERM) == 0, first.tail()  # a deploy stops the old one; it leaves RQ's registry
    wait_for(lambda: stack.scheduler_pids() == {second.pid}, timeout=30, what="the second scheduler to take over")
    assert second.stop(signal.SIGTERM) == 0, second.tail()
    assert stack.scheduler_pids() == set()


def test_health_says_what_answers(running):
    stack = running
    assert stack.http("GET", "/healthz").json() == {"status": "ok"}
    ready = stack.http("GET", "/readyz")
    assert ready.status == 200
    assert ready.json() == {"status": "ready", "checks": {"database": "ok", "migrations": "ok", "redis": "ok"}}
