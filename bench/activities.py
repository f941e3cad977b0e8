"""Activities benchmark: gunicorn + PostgreSQL.

1. Builds (once) a federation of 111 unions, 500,000 verified members and 10,000 activities in its own
   database (``bench_activities`` by default), with the migrations.
2. Sign-up rush: 2,000 members sign up from concurrent clients for one activity of 100 places;
   records throughput, p50/p95 latency, and checks exactly 100 confirmed and 1,900 waitlisted 1..1900.
3. Member feed: ``GET /api/v1/activities`` by random members; records p50/p95.

    .venv/bin/python bench/activities.py [--db postgresql://postgres@127.0.0.1:5432/bench_activities]
        [--port 5102] [--members 500000] [--activities 10000] [--signups 2000] [--places 100]
        [--clients 64] [--workers 4] [--threads 8] [--feed-requests 2000]

Prints a Markdown section for bench/RESULTS.md.
"""
import argparse
import os
import platform
import random
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import requests
import sqlalchemy as sa

REPO = Path(__file__).resolve().parents[1]
SECRET = "bench-secret-not-for-production-0123456789abcdef"


def env(args):
    return {**os.environ, "UNION_SAAS_ENV": "production", "SECRET_KEY": SECRET, "DATABASE_URL": args.db,
            "REDIS_URL": args.redis, "FLASK_APP": "union_saas", "PYTHONPATH": str(REPO)}


def sh(cmd, args):
    subprocess.run(cmd, check=True, env=env(args), cwd=REPO)


def ensure_database(args):
    url = sa.engine.make_url(args.db.replace("postgresql://", "postgresql+psycopg://"))
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        if not c.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": url.database}):
            c.execute(sa.text(f'CREATE DATABASE "{url.database}"'))
    admin.dispose()
    sh([sys.executable, "-m", "flask", "db", "upgrade"], args)
    return sa.create_engine(url)


def build(engine, args):
    """The big federation, made with set-based SQL (generate_series), once."""
    with engine.begin() as c:
        if c.scalar(sa.text("SELECT count(*) FROM tenant WHERE slug = 'bench-fed'")):
            return
    os.environ.update(env(args))
    sys.path[:0] = [str(REPO), str(REPO / "src")]
    from union_saas import create_app
    from union_saas.extensions import db
    from union_saas.tenancy import services as tenancy

    app = create_app("production")
    with app.app_context():
        fed = tenancy.create_federation(db.session, None, slug="bench-fed", name="Bench district")
        for s in range(10):
            street = tenancy.create_child(db.session, None, fed, slug=f"bench-s{s}", name=f"Street {s}", kind="street")
            for k in range(10):
                tenancy.create_child(db.session, None, street, slug=f"bench-s{s}-c{k}", name=f"Community {s}-{k}",
                                     kind="community")
        db.session.commit()
    t0 = time.time()
    with engine.begin() as c:
        root = c.scalar(sa.text("SELECT id FROM tenant WHERE slug = 'bench-fed'"))
        communities = list(c.scalars(sa.text("SELECT id FROM tenant WHERE root_id = :r AND depth = 2 ORDER BY id"),
                                     {"r": root}))
        everyone = list(c.scalars(sa.text("SELECT id FROM tenant WHERE root_id = :r ORDER BY id"), {"r": root}))
        c.execute(sa.text("""
            INSERT INTO "user" (username, display_name, password_hash, is_operator, active, token_generation, created_at)
            SELECT 'bm' || g, 'Member ' || g, 'x', false, true, 0, now() FROM generate_series(1, :n) g"""),
                  {"n": args.members})
        c.execute(sa.text("""
            INSERT INTO membership (user_id, tenant_id, root_id, status, created_at)
            SELECT u.id, (:ids)[1 + u.id % :k], :root, 'active', now() FROM "user" u WHERE u.username LIKE 'bm%'"""),
                  {"ids": communities, "k": len(communities), "root": root})
        c.execute(sa.text("""
            INSERT INTO activity (tenant_id, root_id, title, description, description_html, category, starts_at, ends_at,
                                  capacity, members_only, scope, status, confirmed_count, waitlist_count, waitlist_seq,
                                  created_at, updated_at)
            SELECT (:ids)[1 + (g * 7919) % :k], :root, 'Activity ' || g, '', '',
                   (ARRAY['culture','sports','entertainment','learning','volunteering','online'])[1 + g % 6],
                   now() + ((g % 90) || ' days')::interval + ((g % 24) || ' hours')::interval,
                   now() + ((g % 90) || ' days')::interval + ((g % 24) || ' hours')::interval + interval '2 hours',
                   50 + g % 450, g % 3 <> 0,
                   CASE WHEN g % 20 < 10 THEN 'tenant' WHEN g % 20 < 17 THEN 'subtree' ELSE 'platform' END,
                   CASE WHEN g % 50 = 0 THEN 'draft' ELSE 'published' END, 0, 0, 0, now(), now()
            FROM generate_series(1, :n) g"""), {"ids": everyone, "k": len(everyone), "root": root, "n": args.activities})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(sa.text("ANALYZE"))
    print(f"built {args.members} members and {args.activities} activities in {time.time() - t0:.0f} s", flush=True)


def rush_activity(engine, places):
    """A fresh platform-wide activity of ``places`` places, open for sign-up now."""
    with engine.begin() as c:
        root, street = c.execute(sa.text(
            "SELECT root_id, id FROM tenant WHERE slug = 'bench-s0'")).one()
        return c.scalar(sa.text("""
            INSERT INTO activity (tenant_id, root_id, title, description, description_html, category, starts_at, ends_at,
                                  capacity, members_only, scope, status, confirmed_count, waitlist_count, waitlist_seq,
                                  created_at, updated_at)
            VALUES (:t, :r, 'New-year poetry concert (rush)', '', '', 'culture', now() + interval '3 days',
                    now() + interval '3 days 2 hours', :cap, true, 'platform', 'published', 0, 0, 0, now(), now())
            RETURNING id"""), {"t": street, "r": root, "cap": places})


def tokens(engine, n, offset=0):
    """Bearer tokens of seeded members, as POST /api/v1/auth/token makes them (a live ``auth_session`` row
    each: ``accounts.services.issue_token``)."""
    from sqlalchemy.orm import Session

    from union_saas.accounts.models import User
    from union_saas.accounts.services import issue_token

    with Session(engine) as session:
        users = session.scalars(sa.select(User).where(User.username.like("bm%")).order_by(User.id)
                                .offset(offset).limit(n)).all()
        made = [issue_token(session, user, 3600)[0] for user in users]
        session.commit()
    return made


def start_server(args):
    cmd = [str(REPO / ".venv/bin/gunicorn"), "-w", str(args.workers), "-k", "gthread", "--threads", str(args.threads),
           "-b", f"127.0.0.1:{args.port}", "--log-level", "warning", "wsgi:app"]
    try:
        requests.get(f"http://127.0.0.1:{args.port}/", timeout=1)
    except requests.RequestException:
        pass
    else:
        raise RuntimeError(f"something already answers on port {args.port}: stop it first")
    server = subprocess.Popen(cmd, env=env(args), cwd=REPO, start_new_session=True)
    for _ in range(100):
        if server.poll() is not None:
            raise RuntimeError("gunicorn stopped")
        try:
            if requests.get(f"http://127.0.0.1:{args.port}/", timeout=1).status_code == 200:
                return server
        except requests.RequestException:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("gunicorn did not answer")


def fire(calls, clients):
    """Run the calls from ``clients`` threads (each its own HTTP session); [(status, seconds)], wall time."""
    local = threading.local()

    def one(call):
        if not hasattr(local, "s"):
            local.s = requests.Session()
        t = time.perf_counter()
        status = call(local.s)
        return status, time.perf_counter() - t

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        results = list(pool.map(one, calls))
    return results, time.perf_counter() - start


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="postgresql://postgres@127.0.0.1:5432/bench_activities")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--port", type=int, default=5102)
    parser.add_argument("--members", type=int, default=500_000)
    parser.add_argument("--activities", type=int, default=10_000)
    parser.add_argument("--signups", type=int, default=2000)
    parser.add_argument("--places", type=int, default=100)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--feed-requests", type=int, default=2000)
    args = parser.parse_args()

    engine = ensure_database(args)
    build(engine, args)
    activity = rush_activity(engine, args.places)
    rush_tokens = tokens(engine, args.signups, offset=random.randint(0, max(0, args.members - args.signups)))
    feed_tokens = tokens(engine, 500, offset=random.randint(0, max(0, args.members - 500)))
    server = start_server(args)
    base = f"http://127.0.0.1:{args.port}/api/v1"
    try:
        # warm every worker up
        fire([lambda s, t=t: s.get(f"{base}/activities", headers={"Authorization": f"Bearer {t}"}).status_code
              for t in feed_tokens[:50]], 16)
        calls = [lambda s, t=t: s.post(f"{base}/activities/{activity}/signups",
                                       headers={"Authorization": f"Bearer {t}"}).status_code for t in rush_tokens]
        rush, rush_wall = fire(calls, args.clients)
        feed_calls = [lambda s, t=t: s.get(f"{base}/activities?per_page=20",
                                           headers={"Authorization": f"Bearer {t}"}).status_code
                      for t in random.choices(feed_tokens, k=args.feed_requests)]
        feed, feed_wall = fire(feed_calls, 16)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    with engine.connect() as c:
        counts = dict(c.execute(sa.text("SELECT status, count(*) FROM activity_signup WHERE activity_id = :a "
                                         "GROUP BY status"), {"a": activity}).all())
        positions = list(c.scalars(sa.text("SELECT position FROM activity_signup WHERE activity_id = :a AND "
                                           "status = 'waitlisted' ORDER BY position"), {"a": activity}))
        row = c.execute(sa.text("SELECT confirmed_count, waitlist_count FROM activity WHERE id = :a"),
                        {"a": activity}).one()
        uid = c.scalar(sa.text("SELECT user_id FROM membership m JOIN \"user\" u ON u.id = m.user_id "
                               "WHERE u.username = 'bm4242'"))
        home = c.execute(sa.text("SELECT t.id, t.path, t.root_id FROM tenant t JOIN membership m ON m.tenant_id = t.id "
                                 "WHERE m.user_id = :u"), {"u": uid}).one()
        ids = [int(p) for p in home.path.strip("/").split("/")]
        plan = "\n".join(c.scalars(sa.text(f"""
            EXPLAIN (ANALYZE, BUFFERS OFF, COSTS OFF, SUMMARY ON)
            SELECT activity.id FROM activity WHERE activity.status = 'published' AND (
              (activity.scope = 'tenant' AND activity.tenant_id = {home.id})
              OR (activity.scope = 'subtree' AND activity.tenant_id IN ({','.join(map(str, ids))}))
              OR (activity.scope = 'platform' AND activity.root_id = {home.root_id}))
              AND activity.ends_at >= now() ORDER BY activity.starts_at, activity.id LIMIT 20""")))
        n_members = c.scalar(sa.text("SELECT count(*) FROM membership WHERE status = 'active'"))
        n_activities = c.scalar(sa.text("SELECT count(*) FROM activity"))
        pg = c.scalar(sa.text("SHOW server_version"))
    statuses = {}
    for status, _ in rush:
        statuses[status] = statuses.get(status, 0) + 1
    lat = [s * 1000 for _, s in rush]
    feed_lat = [s * 1000 for _, s in feed]
    ok = (counts.get("confirmed") == args.places and row.confirmed_count == args.places
          and positions == list(range(1, args.signups - args.places + 1)))
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    print(f"""
## Activities ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)

Machine: {cpu}, {os.cpu_count()} cores (load average {os.getloadavg()[0]:.1f} at the end: shared with other work), Python {platform.python_version()}, PostgreSQL {pg}; gunicorn
{args.workers} workers x {args.threads} threads (gthread) on the same machine as the database and the clients.
Data: {n_members:,} verified members, {n_activities:,} activities in one federation of 111 unions.

### Sign-up rush: {args.signups:,} sign-ups from {args.clients} concurrent clients, {args.places} places

| measure | value |
|---|---|
| throughput | {len(rush) / rush_wall:.0f} sign-ups/s ({rush_wall:.1f} s in all) |
| latency p50 / p95 / max | {pct(lat, 50):.0f} / {pct(lat, 95):.0f} / {max(lat):.0f} ms |
| answers | {", ".join(f"{k}: {v}" for k, v in sorted(statuses.items()))} |
| confirmed (rows / counter) | {counts.get("confirmed", 0)} / {row.confirmed_count} |
| waitlisted (rows / counter) | {counts.get("waitlisted", 0)} / {row.waitlist_count}, positions 1..{len(positions)} {"in order, no gap" if positions == list(range(1, len(positions) + 1)) else "WITH GAPS"} |
| verdict | {"exactly " + str(args.places) + " confirmed: OK" if ok else "FAILED"} |

### Member feed: `GET /api/v1/activities?per_page=20`, {args.feed_requests:,} requests, 16 clients, 500 random members

| measure | value |
|---|---|
| throughput | {len(feed) / feed_wall:.0f} requests/s |
| latency p50 / p95 / max | {pct(feed_lat, 50):.0f} / {pct(feed_lat, 95):.0f} / {max(feed_lat):.0f} ms |
| answers | {", ".join(f"{k}: {v}" for k, v in sorted({s: sum(1 for x, _ in feed if x == s) for s, _ in feed}.items()))} |

The visibility query of one member (a page of 20), `EXPLAIN ANALYZE`:

```
{plan}
```
""")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
