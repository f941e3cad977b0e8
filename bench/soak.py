"""``make soak``: mixed load for 20 minutes on the production stack; memory per worker and database
connections must stay flat, and nothing may answer 5xx.

1. Starts its own stack: a Redis (a free port of 6390-6399; ``--redis URL`` to use one that runs), gunicorn
   (``config/gunicorn.py``, production settings, ``--workers``), one RQ worker and the scheduler, against the
   PostgreSQL database ``--database``, in a schema of its own (``--schema``, default ``soak``: migrated and
   seeded with the small data set the first time, ``--fresh`` to build it again; the data set's accounts
   have the password ``union-demo-2026``).
2. Sends requests at ``--rate`` a second for ``--minutes`` (open loop: a pacer hands each request to the
   next free client of ``--clients``), a mix of pages (a member's home and activity feed, the federation's
   insights), API reads (``/api/v1/me``, the activity feed, an office inbox), sign-ups (distinct members
   sign up for an activity and cancel, again and again), sign-ins (``POST /api/v1/auth/token``: a real
   password check) and notices (the federation's administrator to its unions: a fan-out job each).
3. Every ``--every`` seconds, a sample: the resident memory of each gunicorn worker (and of its master, the
   RQ worker and the scheduler), the stack's database connections (``pg_stat_activity`` by
   ``application_name``), requests, errors (a status of 500 or more, or no answer) and latency of the window.
4. At the end: whether every notice's fan-out finished; stops the stack with SIGTERM (each part must exit
   0); writes the figures between the soak markers of bench/RESULTS.md (``--no-write``: prints them).
"""
import argparse
import http.client
import json
import os
import queue
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path[:0] = [str(BENCH), str(REPO), str(REPO / "src")]
from run import (
    PASSWORD,
    RESULTS,
    USER_AGENT,
    bearer_token,
    burst_activity,
    burst_tokens,
    children_of,
    loadavg,
    machine,
    request,
    signed_in_cookie,
)
from targets import member_account

START, END = "<!-- soak:start (written by bench/soak.py) -->", "<!-- soak:end -->"
APP_NAME = "union-saas-soak"
SLUG = "qingyang"
# what a request is, and how often (out of the sum)
MIX = [("home", 20), ("feed", 15), ("insights", 5), ("me", 15), ("apifeed", 15), ("inbox", 10), ("signup", 15),
       ("signin", 3), ("notice", 2)]


def free_port(candidates):
    for port in candidates:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return probe.getsockname()[1]
    raise SystemExit(f"no free port among {list(candidates)}")


def rss_mb(pid):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


class Stack:
    def __init__(self, args, logdir):
        self.args, self.logdir, self.processes = args, logdir, {}
        base = args.database.replace("postgresql+psycopg://", "postgresql://", 1)
        joiner = "&" if "?" in base else "?"
        self.search_path = f"options={quote(f'-csearch_path={args.schema}', safe='')}"
        self.url = f"{base}{joiner}{self.search_path}&application_name={APP_NAME}"
        self.watch_url = f"{base}{joiner}{self.search_path}&application_name={APP_NAME}-watch"
        self.secret = secrets.token_urlsafe(48)
        self.redis_url = args.redis
        self.env = {**{k: v for k, v in os.environ.items() if not k.startswith(("UNION_SAAS_", "GUNICORN_"))},
                    "UNION_SAAS_ENV": "production", "SECRET_KEY": self.secret,
                    "PII_KEY": os.environ.get("PII_KEY") or "soak-pii-key-not-a-secret-0123456789-abcdef",
                    "DATABASE_URL": self.url, "FLASK_APP": "union_saas", "PYTHONUNBUFFERED": "1",
                    "UNION_SAAS_INSTANCE": str(logdir / "instance"), "TZ": "Asia/Shanghai"}

    def engine(self):
        import sqlalchemy as sa

        return sa.create_engine(self.watch_url.replace("postgresql://", "postgresql+psycopg://", 1))

    def start(self, name, command):
        log = open(self.logdir / f"{name}.log", "wb")  # noqa: SIM115 - the process writes it until the end
        self.processes[name] = subprocess.Popen(command, env=self.env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
        return self.processes[name]

    def flask(self, *args):
        result = subprocess.run([sys.executable, "-m", "flask", *args], env=self.env, cwd=REPO, capture_output=True,
                                text=True, check=False)
        if result.returncode:
            raise SystemExit(f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def prepare(self):
        import sqlalchemy as sa

        if self.redis_url is None:
            port = free_port(range(6390, 6400))
            self.start("redis", ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                 "--appendonly", "no", "--dir", str(self.logdir)])
            self.redis_url = f"redis://127.0.0.1:{port}/0"
            time.sleep(0.5)
        self.env["REDIS_URL"] = self.redis_url
        engine = self.engine()
        with engine.begin() as conn:
            if self.args.fresh:
                conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {self.args.schema} CASCADE"))
            conn.execute(sa.text(f"CREATE SCHEMA IF NOT EXISTS {self.args.schema}"))
        self.flask("db", "upgrade")
        with engine.connect() as conn:
            seeded = conn.scalar(sa.text("SELECT count(*) FROM tenant WHERE slug = :s"), {"s": SLUG})
        if not seeded:
            print("seeding the small data set ...", flush=True)
            self.flask("demo", "seed", "--scale", "small")
        engine.dispose()

    def up(self):
        self.port = free_port(range(8200, 8300))
        self.start("gunicorn", [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py", "--bind",
                                f"127.0.0.1:{self.port}", "--workers", str(self.args.workers), "wsgi:app"])
        self.start("worker", [sys.executable, "-m", "flask", "jobs", "worker"])
        self.start("scheduler", [sys.executable, "-m", "flask", "jobs", "scheduler"])
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if request(self.base + "/healthz")[0] == 200:
                    return
            except OSError:
                time.sleep(0.3)
        raise SystemExit("gunicorn did not answer")

    def down(self):
        """SIGTERM to each part, as a deploy stops it; their exit codes."""
        codes = {}
        for name in ("gunicorn", "worker", "scheduler", "redis"):
            process = self.processes.get(name)
            if process is None:
                continue
            process.send_signal(signal.SIGTERM)
            try:
                codes[name] = process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
                codes[name] = f"killed after 60 s ({process.wait()})"
        return codes

    def gunicorn_workers(self):
        return sorted(children_of(self.processes["gunicorn"].pid))


class Load:
    """The clients and what they saw, window by window."""

    def __init__(self, stack, args):
        self.stack, self.args = stack, args
        self.base = stack.base
        self.lock = threading.Lock()
        self.window = []  # (op, status, seconds) since the last sample
        self.totals = {"requests": 0, "errors": 0, "statuses": {}, "by_op": {}}
        self.errors = []
        self.jobs = []
        self.work = queue.Queue(maxsize=args.clients * 20)
        self.behind = 0
        self.rng = random.Random(7)

    def prepare(self):
        import sqlalchemy as sa

        admin = f"{SLUG}-admin"
        self.admin_token = {"Authorization": f"Bearer {bearer_token(self.base, admin)}"}
        self.admin_cookie = {"Cookie": signed_in_cookie(self.base, admin)}
        engine = self.stack.engine()
        with engine.connect() as conn:
            self.member, self.home = member_account(conn, SLUG)
            self.children = conn.scalar(sa.text("SELECT count(*) FROM tenant WHERE parent_id = "
                                                "(SELECT id FROM tenant WHERE slug = :s)"), {"s": SLUG})
        engine.dispose()
        self.member_token = {"Authorization": f"Bearer {bearer_token(self.base, self.member)}"}
        self.member_cookie = {"Cookie": signed_in_cookie(self.base, self.member)}
        self.street_token = {"Authorization": f"Bearer {bearer_token(self.base, f'{SLUG}-s01-admin')}"}
        self.activity = burst_activity(self.base, SLUG, 50, bearer_token(self.base, admin))
        self.signers = burst_tokens(self.stack.url, SLUG, self.args.members, self.stack.secret)
        self.signed_up = [False] * len(self.signers)
        self.next_signer = 0

    def request_for(self, op):
        """(method, path, headers, JSON body) of one request of kind ``op``."""
        if op == "home":
            return "GET", f"/t/{self.home}", self.member_cookie, None
        if op == "feed":
            return "GET", f"/t/{self.home}/activities", self.member_cookie, None
        if op == "insights":
            return "GET", f"/manage/{SLUG}/insights", self.admin_cookie, None
        if op == "me":
            return "GET", "/api/v1/me", self.street_token, None
        if op == "apifeed":
            return "GET", "/api/v1/activities?per_page=20", self.member_token, None
        if op == "inbox":
            return "GET", f"/api/v1/tenants/{SLUG}-s01/inbox", self.street_token, None
        if op == "signin":
            return "POST", "/api/v1/auth/token", {}, {"username": f"{SLUG}-s01-admin", "password": PASSWORD}
        if op == "notice":
            return ("POST", f"/api/v1/tenants/{SLUG}/notices", self.admin_token,
                    {"title": f"Soak {datetime.now(UTC):%H:%M:%S.%f}", "to": "children"})
        with self.lock:  # a sign-up, or the cancelling of the last one of this member
            i = self.next_signer
            self.next_signer = (i + 1) % len(self.signers)
            was = self.signed_up[i]
            self.signed_up[i] = not was
        headers = {"Authorization": f"Bearer {self.signers[i]}"}
        if was:
            return "DELETE", f"/api/v1/activities/{self.activity}/signups/me", headers, None
        return "POST", f"/api/v1/activities/{self.activity}/signups", headers, None

    def client(self):
        conn = None
        while True:
            op = self.work.get()
            if op is None:
                return
            method, path, headers, body = self.request_for(op)
            headers = {"User-Agent": USER_AGENT, **headers}  # the one the sessions were signed in with
            if body is not None:
                body = json.dumps(body)
                headers["Content-Type"] = "application/json"
            started = time.perf_counter()
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", self.stack.port, timeout=60)
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                status, text = response.status, response.read().decode("utf-8", "replace")
                if response.will_close:
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException) as error:
                status, text = "no answer", str(error)
                if conn is not None:
                    conn.close()
                conn = None
            seconds = time.perf_counter() - started
            with self.lock:
                self.window.append((op, status, seconds))
                self.totals["requests"] += 1
                self.totals["statuses"][str(status)] = self.totals["statuses"].get(str(status), 0) + 1
                by_op = self.totals["by_op"].setdefault(op, {})
                by_op[str(status)] = by_op.get(str(status), 0) + 1
                if status == "no answer" or status >= 500:
                    self.totals["errors"] += 1
                    self.errors.append(f"{op} {method} {path}: {status} {text[:200]}")
                elif op == "notice" and status == 202:
                    self.jobs.append(json.loads(text)["job"])

    def pace(self, seconds):
        names, weights = zip(*MIX, strict=True)
        interval, deadline = 1 / self.args.rate, time.monotonic() + seconds
        next_at = time.monotonic()
        while next_at < deadline:
            op = self.rng.choices(names, weights)[0]
            try:
                self.work.put_nowait(op)
            except queue.Full:
                self.behind += 1  # the clients cannot keep up: dropped, counted
            next_at += interval
            time.sleep(max(0.0, next_at - time.monotonic()))

    def take_window(self):
        with self.lock:
            window, self.window = self.window, []
        return window


def percentile(values, q):
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(q / 100 * len(values)))]


def sample(stack, load, watch, started):
    import sqlalchemy as sa

    window = load.take_window()
    with watch.connect() as conn:
        rows = conn.execute(sa.text("SELECT state, count(*) FROM pg_stat_activity WHERE application_name = :n "
                                    "AND datname = current_database() GROUP BY state"), {"n": APP_NAME}).all()
    latencies = [s * 1000 for _op, status, s in window if status != "no answer" and status < 400]
    workers = stack.gunicorn_workers()
    return {"minute": round((time.monotonic() - started) / 60, 2),
            "requests": len(window), "errors": sum(1 for _o, s, _t in window if s == "no answer" or s >= 500),
            "p50_ms": round(percentile(latencies, 50) or 0, 1), "p95_ms": round(percentile(latencies, 95) or 0, 1),
            "gunicorn_workers_mb": [round(rss_mb(pid) or 0, 1) for pid in workers],
            "gunicorn_master_mb": round(rss_mb(stack.processes["gunicorn"].pid) or 0, 1),
            "rq_worker_mb": round(rss_mb(stack.processes["worker"].pid) or 0, 1),
            "scheduler_mb": round(rss_mb(stack.processes["scheduler"].pid) or 0, 1),
            "db_connections": sum(n for _state, n in rows),
            "db_connections_by_state": {str(state): n for state, n in rows}, "load": loadavg()}


def jobs_done(stack, job_ids):
    import sqlalchemy as sa

    engine = stack.engine()
    with engine.connect() as conn:
        rows = dict(conn.execute(sa.text("SELECT status, count(*) FROM job_record WHERE id = ANY(:ids) GROUP BY status"),
                                 {"ids": job_ids}).all()) if job_ids else {}
    engine.dispose()
    return rows


def render(meta, samples, load, jobs, codes):
    first = next((s for s in samples if s["minute"] >= meta["warmup_minutes"]), samples[0])
    last = samples[-1]
    grow = [round(b - a, 1) for a, b in zip(first["gunicorn_workers_mb"], last["gunicorn_workers_mb"], strict=False)]
    lines = [START, "", (f"Run on {meta['date']} with `{meta['command']}` (commit `{meta['commit']}`): "
             f"{meta['minutes']:g} minutes at {meta['rate']:g} requests a second from {meta['clients']} clients, "
             f"gunicorn with {meta['workers']} workers, one RQ worker, the scheduler; PostgreSQL schema "
             f"`{meta['schema']}` holding the small data set; load average {meta['load_before']} before, "
             f"{meta['load_after']} after. Machine: {meta['machine']['nproc']} CPUs ({meta['machine']['cpu']}), "
             f"shared with the other engineers' work."), "",
             f"**Requests**: {load.totals['requests']:,}, of which **{load.totals['errors']} errors** (status 500 or "
             f"more, or no answer); by status {json.dumps(load.totals['statuses'], sort_keys=True)}; "
             f"{load.behind} left unsent because every client was busy. Mix (out of 100) and answers: "
             + "; ".join(f"{name} {weight} ({', '.join(f'{n} x {s}' for s, n in sorted(load.totals['by_op'].get(name, {}).items()))})"
                         for name, weight in MIX) + ".", "",
             f"**Notices** sent: {len(load.jobs)}; their fan-out jobs at the end: {json.dumps(jobs, sort_keys=True)}.",
             "",
             (f"**Memory** (resident, MB) of each gunicorn worker at minute {first['minute']:g} (after warm-up) and at "
             f"the end: {first['gunicorn_workers_mb']} -> {last['gunicorn_workers_mb']} (change {grow}); master "
             f"{first['gunicorn_master_mb']} -> {last['gunicorn_master_mb']}; RQ worker {first['rq_worker_mb']} -> "
             f"{last['rq_worker_mb']}; scheduler {first['scheduler_mb']} -> {last['scheduler_mb']}."), "",
             (f"**Database connections** of the stack: {min(s['db_connections'] for s in samples)} to "
             f"{max(s['db_connections'] for s in samples)} over the run ({first['db_connections']} after warm-up, "
             f"{last['db_connections']} at the end)."), "",
             f"**Stopping** (SIGTERM to each): exit codes {json.dumps(codes, sort_keys=True)}.", "",
             ("| minute | requests | errors | p50 ms | p95 ms | gunicorn workers MB | RQ worker MB | DB connections |"
             " load |"), "|---:|---:|---:|---:|---:|---|---:|---:|---|"]
    for s in samples:
        lines.append(f"| {s['minute']:g} | {s['requests']} | {s['errors']} | {s['p50_ms']} | {s['p95_ms']} | "
                     f"{' / '.join(f'{v:g}' for v in s['gunicorn_workers_mb'])} | {s['rq_worker_mb']:g} | "
                     f"{s['db_connections']} | {s['load']} |")
    if load.errors:
        lines += ["", "Errors (first 10):", ""] + [f"- `{e}`" for e in load.errors[:10]]
    return "\n".join(lines + ["", END])


def write(block):
    text = RESULTS.read_text(encoding="utf-8")
    if START in text and END in text:
        head, rest = text.split(START, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = text.rstrip() + "\n\n## Soak\n\n" + block + "\n"
    RESULTS.write_text(text, encoding="utf-8")


def main():
    parser = argparse.ArgumentParser(description="Mixed load for a long while (see the module's docstring).")
    parser.add_argument("--database", default=os.environ.get("SOAK_DATABASE_URL",
                                                             "postgresql://postgres@127.0.0.1:5432/bench"))
    parser.add_argument("--schema", default="soak")
    parser.add_argument("--fresh", action="store_true", help="drop the schema and seed it again")
    parser.add_argument("--redis", default=os.environ.get("SOAK_REDIS_URL"),
                        help="a Redis to use (default: start one on a free port of 6390-6399)")
    parser.add_argument("--minutes", type=float, default=20)
    parser.add_argument("--rate", type=float, default=10, help="requests a second")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--members", type=int, default=400, help="members who sign up and cancel in turn")
    parser.add_argument("--every", type=float, default=60, help="seconds between samples")
    parser.add_argument("--warmup", type=float, default=2, help="minutes before the memory baseline")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    if args.redis is None and shutil.which("redis-server") is None:
        raise SystemExit("no redis-server on PATH: give --redis URL")
    logdir = Path(tempfile.mkdtemp(prefix="union-saas-soak-"))
    stack = Stack(args, logdir)
    meta = {"date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "machine": machine(),
            "command": "make soak" if os.environ.get("MAKELEVEL") else "python bench/soak.py " + " ".join(sys.argv[1:]),
            "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True,
                                     check=False).stdout.strip(),
            "minutes": args.minutes, "rate": args.rate, "clients": args.clients, "workers": args.workers,
            "schema": args.schema, "warmup_minutes": args.warmup}
    print(f"logs in {logdir}", flush=True)
    codes = {}
    try:
        stack.prepare()
        stack.up()
        load = Load(stack, args)
        load.prepare()
        meta["load_before"] = loadavg()
        clients = [threading.Thread(target=load.client, daemon=True) for _ in range(args.clients)]
        for thread in clients:
            thread.start()
        watch = stack.engine()
        samples, started = [], time.monotonic()
        pacer = threading.Thread(target=load.pace, args=(args.minutes * 60,), daemon=True)
        pacer.start()
        while pacer.is_alive():
            pacer.join(args.every)
            samples.append(sample(stack, load, watch, started))
            print(json.dumps(samples[-1]), flush=True)
        for _ in clients:
            load.work.put(None)
        for thread in clients:
            thread.join(60)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and set(jobs_done(stack, load.jobs)) - {"finished"}:
            time.sleep(1)
        jobs = jobs_done(stack, load.jobs)
        watch.dispose()
        meta["load_after"] = loadavg()
    finally:
        codes = stack.down()
    block = render(meta, samples, load, jobs, codes)
    print(block)
    if not args.no_write:
        write(block)


if __name__ == "__main__":
    main()
