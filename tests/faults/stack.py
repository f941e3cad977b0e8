"""The production stack, for real, for the fault tests: gunicorn, RQ workers and the scheduler as processes,
on PostgreSQL (a schema of their own in the test database) and a Redis the tests start and stop.

Everything it starts it stops; the schema is dropped afterwards. Logs go to files the failure messages quote.
"""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from redis.exceptions import RedisError

from tests.conftest import is_postgres

REPO = Path(__file__).resolve().parents[2]
# application_name of the app's database connections (what a failover cuts): one per test process, so that two
# runs on one server (a developer's and CI's) never count or cut each other's connections
APP_NAME = f"union-saas-faults-{os.getpid()}"
REDIS_PORTS = range(6390, 6400)
PASSWORD = "union-demo-2026"  # the demo accounts'


def skip_reason():
    if not is_postgres():
        return "the fault tests run the production stack: they need PostgreSQL (TEST_DATABASE_URL)"
    if shutil.which("redis-server") is None:
        return "the fault tests start and stop a Redis of their own: they need redis-server on PATH"
    return None


# Each fault test module: ``pytestmark = needs_stack``.
needs_stack = [pytest.mark.postgres, pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or "")]


def free_port(candidates=None):
    for port in candidates or [0]:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return probe.getsockname()[1]
    raise RuntimeError(f"no free port among {candidates}")


def wait_for(condition, timeout=30.0, every=0.1, what="the condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(every)


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def __repr__(self):
        return f"<{self.status} {self.body[:200]!r}>"


class Process:
    """A process of the stack, its output in a log file."""

    def __init__(self, name, args, env, log_dir):
        self.name = name
        self.log_path = log_dir / f"{name}-{time.monotonic_ns()}.log"
        self.log_file = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.popen = subprocess.Popen(args, env=env, cwd=REPO, stdout=self.log_file, stderr=subprocess.STDOUT)

    @property
    def pid(self):
        return self.popen.pid

    def alive(self):
        return self.popen.poll() is None

    def send(self, sig):
        self.popen.send_signal(sig)

    def wait(self, timeout=30):
        return self.popen.wait(timeout)

    def children(self):
        """The pids of its child processes (an RQ worker's work horse)."""
        try:
            return [int(pid) for pid in Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split()]
        except FileNotFoundError:
            return []

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.alive():
            self.send(sig)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self.log_file.close()
        return self.popen.returncode

    def log(self):
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def tail(self, lines=40):
        return f"--- {self.name} ({self.log_path}) ---\n" + "\n".join(self.log().splitlines()[-lines:])


class Stack:
    def __init__(self, database_url, tmp):
        self.tmp = tmp
        self.schema = f"faults_{os.getpid()}"
        base = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
        joiner = "&" if "?" in base else "?"
        search_path = quote(f"-csearch_path={self.schema}", safe="")
        self.app_database_url = f"{base}{joiner}options={search_path}&application_name={APP_NAME}"
        self.db = sa.create_engine(
            f"{base.replace('postgresql://', 'postgresql+psycopg://', 1)}{joiner}options={search_path}"
            f"&application_name={APP_NAME}-test", isolation_level="AUTOCOMMIT")
        self.redis_port = free_port(REDIS_PORTS)
        self.redis = None
        self.processes = []
        self.web = None
        self.env = {
            # the production stack as deployed: none of the settings tests give themselves (RATELIMIT_STORAGE_URI
            # in tests/conftest.py: production counts in Redis, and in the process while Redis is away)
            **{k: v for k, v in os.environ.items()
               if not k.startswith(("TEST_", "UNION_SAAS_", "GUNICORN_", "RATELIMIT_", "API_RATE_LIMITS"))},
            "UNION_SAAS_ENV": "production",
            "UNION_SAAS_INSTANCE": str(tmp / "instance"),
            "SECRET_KEY": "faults-test-secret-key-0123456789-abcdef",
            "PII_KEY": "faults-test-pii-key-0123456789-abcdefgh",
            "DATABASE_URL": self.app_database_url,
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "JOBS_SWEEP_AFTER": "0",  # the tests say when a minute has passed
            "FLASK_APP": "union_saas",
            "PYTHONUNBUFFERED": "1",
        }

    # --- set up and tear down ---------------------------------------------------------------------

    def create(self):
        with self.db.connect() as conn:
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE"))
            conn.execute(sa.text(f"CREATE SCHEMA {self.schema}"))
        self.start_redis()
        self.run("db", "upgrade")
        self.run("demo", "ensure")

    def destroy(self):
        for process in reversed(self.processes):
            process.stop(signal.SIGKILL, timeout=10)
        self.stop_redis()
        self.terminate_app_connections()
        with self.db.connect() as conn:
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE"))
        self.db.dispose()

    def run(self, *args):
        """``flask ARGS`` with the stack's settings; its output, or the test fails with it."""
        result = subprocess.run([sys.executable, "-m", "flask", *args], env=self.env, cwd=REPO,
                                capture_output=True, text=True, timeout=300, check=False)
        assert result.returncode == 0, f"flask {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
        return result.stdout

    def start(self, name, args):
        process = Process(name, args, self.env, self.tmp)
        self.processes.append(process)
        return process

    # --- the parts --------------------------------------------------------------------------------

    def start_redis(self):
        self.redis = self.start("redis", ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
                                          "--save", "", "--appendonly", "no", "--dir", str(self.tmp)])
        wait_for(lambda: self.redis_answers(), what="Redis to answer")

    def stop_redis(self):
        """Redis goes away (and, with no persistence, forgets its queues as a restarted Redis may)."""
        if self.redis is not None:
            self.redis.stop()
            self.redis = None

    def redis_answers(self):
        try:
            with socket.create_connection(("127.0.0.1", self.redis_port), timeout=1) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def redis_client(self):
        from redis import Redis

        return Redis.from_url(self.env["REDIS_URL"])

    def start_web(self, workers=2, name="gunicorn"):
        port = free_port()
        process = self.start(name, [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py", "--bind",
                                    f"127.0.0.1:{port}", "--workers", str(workers), "wsgi:app"])
        process.port = port
        wait_for(lambda: self._answers(port), timeout=60, what=f"{name} to answer")
        return process

    def _answers(self, port):
        try:
            return self.http("GET", "/healthz", port=port).status == 200
        except OSError:
            return False

    def start_worker(self, name="worker"):
        before = self.worker_names()
        process = self.start(name, [sys.executable, "-m", "flask", "jobs", "worker"])
        wait_for(lambda: self.worker_names() - before or not process.alive(), timeout=60,
                 what="the worker to register")
        assert process.alive(), process.tail()
        return process

    def worker_names(self):
        from rq import Worker

        try:
            return {worker.name for worker in Worker.all(connection=self.redis_client())}
        except RedisError:
            return set()

    def start_scheduler(self):
        process = self.start("scheduler", [sys.executable, "-m", "flask", "jobs", "scheduler"])
        wait_for(lambda: self.scheduler_pids() & {process.pid} or not process.alive(), timeout=60,
                 what="the scheduler to register")
        assert process.alive(), process.tail()
        return process

    def scheduler_pids(self):
        from rq.cron import CronScheduler

        try:
            return {scheduler.pid for scheduler in CronScheduler.all(self.redis_client())}
        except RedisError:
            return set()

    # --- talking to it ----------------------------------------------------------------------------

    def http(self, method, path, body=None, headers=None, port=None, timeout=60):
        conn = http.client.HTTPConnection("127.0.0.1", port or self.web.port, timeout=timeout)
        headers = {"X-Forwarded-Proto": "https", **(headers or {})}  # behind its TLS proxy
        if isinstance(body, dict):
            body = json.dumps(body)
            headers.setdefault("Content-Type", "application/json")
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            return Response(response.status, dict(response.getheaders()), response.read())
        finally:
            conn.close()

    def token(self, username="district-admin"):
        response = self.http("POST", "/api/v1/auth/token", {"username": username, "password": PASSWORD})
        assert response.status == 200, response
        return {"Authorization": f"Bearer {response.json()['token']}"}

    def sign_in_page(self, username="district-admin", password=PASSWORD):
        """Sign in through the form as a browser does (CSRF token, session cookie); the POST's response."""
        page = self.http("GET", "/login")
        assert page.status == 200, page
        cookie = page.headers["Set-Cookie"].split(";", 1)[0]
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        form = f"csrf_token={quote(token)}&username={quote(username)}&password={quote(password)}"
        return self.http("POST", "/login", form, {"Cookie": cookie, "Referer": f"https://127.0.0.1:{self.web.port}/login",
                                                  "Content-Type": "application/x-www-form-urlencoded"})

    def send_notice(self, auth, title):
        return self.http("POST", "/api/v1/tenants/jinjiang/notices", {"title": title, "to": "subtree"},
                         headers=auth)

    # --- the database, as the tests see it ---------------------------------------------------------

    def scalar(self, sql, **params):
        with self.db.connect() as conn:
            return conn.execute(sa.text(sql), params).scalar()

    def job(self, job_id):
        with self.db.connect() as conn:
            return conn.execute(sa.text("SELECT status, attempts, error FROM job_record WHERE id = :id"),
                                {"id": job_id}).one()

    def receipts(self, notice_id):
        return self.scalar("SELECT count(*) FROM office_notice_receipt WHERE notice_id = :id", id=notice_id)

    def addressed(self):
        """How many unions a notice of the federation to its subtree reaches."""
        return self.scalar("SELECT count(*) FROM tenant WHERE status = 'active' AND parent_id IS NOT NULL "
                           "AND root_id = (SELECT id FROM tenant WHERE slug = 'jinjiang')")

    def app_backends(self):
        return self.scalar("SELECT count(*) FROM pg_stat_activity WHERE application_name = :name "
                           "AND datname = current_database()", name=APP_NAME)

    def app_backends_waiting_on_a_lock(self):
        return self.scalar("SELECT count(*) FROM pg_stat_activity WHERE application_name = :name "
                           "AND datname = current_database() AND wait_event_type = 'Lock'", name=APP_NAME)

    def terminate_app_connections(self):
        """What a failover or a restart of PostgreSQL does to every connection of the app."""
        return self.scalar("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                           "WHERE application_name = :name AND datname = current_database()", name=APP_NAME)

    def locked(self, sql):
        """A connection holding the lock ``sql`` takes (``LOCK TABLE ...``) until it is closed: what makes a
        request or a job wait exactly where the test wants it."""
        conn = self.db.connect().execution_options(isolation_level="READ COMMITTED")
        transaction = conn.begin()
        conn.execute(sa.text(sql))

        def release():
            transaction.rollback()
            conn.close()

        return release

    def logs(self):
        return "\n".join(process.tail() for process in self.processes)
