"""``make bench``: the benchmarks of issue 7, written into bench/RESULTS.md.

1. Starts gunicorn twice with the same settings: the product (``wsgi:app``, production settings, against
   the PostgreSQL database holding the large data set and Redis), and the floor (``bench/hello.py``, a
   bare Flask "hello" route). Waits until both answer.
2. Signs in over HTTP like a client would (bench/targets.py): a bearer token for the API, a session cookie
   (through the sign-in form, with its CSRF token) for pages; as a street administrator, the federation
   administrator, and a seeded member of a union three levels down.
3. For each page and each number of concurrent clients, runs ``bench/load.py`` in a separate process
   over loopback: p50/p95/p99 latency and requests per second, each also as a ratio to the floor of
   the same run at the same concurrency.
4. The sign-up burst: the federation administrator publishes a fresh activity of 100 places through the
   API; 2,000 distinct seeded members, each with a bearer token made up front (what POST
   /api/v1/auth/token would give them, a live session row each: 2,000 password checks would
   take minutes), sign up at once from ``bench/load.py --burst`` in its own process; then the database
   must hold exactly 100 confirmed and 1,900 waitlisted at positions 1..1,900 in the order served.
4b. The vote burst (issue 17, ``bench/votes.py``): ``--votes`` members vote at once in a fresh poll, each twice;
   the database must hold one roll row and one ballot per person, every second vote refused (409).
5. Runs ``bench/policy.py`` in-process: the access engine's ``can()`` against pycasbin, same grants.
6. The roster import (``bench/roster_import.py``: 100,000 rows, .xlsx and .csv, each twice) into a scratch
   database (``--roster-database``, default: the data set's name + ``_roster``, created if missing; its
   tables are dropped and created, so never the data set's own).
7. Writes the figures, the machine and the date between the markers of bench/RESULTS.md (what is
   outside them, the analysis, stays), and stops the servers it started.

The data set comes first: ``DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench make seed-large``.
Options: ``--seconds`` per measurement (default 10), ``--clients 1,8,32``, ``--workers`` (default 4, as in
the README's production command), ``--database``, ``--redis``, ``--port`` (the floor uses the next one),
``--signups 2000 --places 100 --burst-clients 64``, ``--roster-rows``, ``--skip-http``, ``--skip-burst``,
``--skip-policy``, ``--skip-roster``; ``--help`` lists them all.
"""
import argparse
import html
import json
import os
import platform
import re
import secrets
import shlex
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
BIN = Path(sys.executable).parent
RESULTS = BENCH / "RESULTS.md"
START, END = "<!-- results:start (written by bench/run.py) -->", "<!-- results:end -->"
USER_AGENT = "union-saas-bench"
PASSWORD = "union-demo-2026"
# Issue 7's page-level yardstick (stated for the member feed): p95 under 25 ms at 8 clients and at
# least a quarter of the floor's throughput. Applied here to every product page measured; the insights
# page has its own (p95 under 150 ms), and so has the sign-up burst (500 a second, exactly 100 confirmed).
P95_TARGET_MS, RPS_SHARE_TARGET, CAN_RATIO_TARGET = 25.0, 0.25, 200
INSIGHTS_P95_MS, BURST_TARGET_PER_S = 150.0, 500
sys.path.insert(0, str(BENCH))
from targets import TARGETS, fill, member_account
import giveaways


def pii_key():
    """The key the data set was seeded with: ``PII_KEY``, else the development key ``make seed-large``
    wrote under instance/ (ID numbers of the data set decrypt with it), else a fresh one."""
    if os.environ.get("PII_KEY"):
        return os.environ["PII_KEY"]
    dev_key = REPO / "instance" / "pii.key"
    return dev_key.read_text().strip() if dev_key.exists() else secrets.token_urlsafe(48)


def machine():
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "unknown"
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        memory = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, AttributeError):
        pass
    return {"nproc": os.cpu_count(), "memory": memory, "cpu": cpu, "python": platform.python_version(),
            "kernel": platform.release()}


def loadavg():
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pids):
    """User + system CPU time of ``pids`` (processes that ended count nothing)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLOCK_TICKS


def children_of(pid):
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    return found


def backend_pids(url):
    """The PostgreSQL server processes serving the database's other connections (the app's pools)."""
    import sqlalchemy as sa

    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            return list(conn.scalars(sa.text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                             "AND pid <> pg_backend_pid()")))
    finally:
        engine.dispose()


def dataset(url, slug):
    import sqlalchemy as sa

    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        root = conn.execute(sa.text("SELECT id, path FROM tenant WHERE slug = :s"), {"s": slug}).first()
        if root is None:
            raise SystemExit(f"no federation {slug!r} in {url}: build it first with\n"
                             f"  DATABASE_URL={url} make seed-large")
        count = lambda sql: conn.scalar(sa.text(sql), {"r": root.id})
        figures = {
            "tenants": count("SELECT count(*) FROM tenant WHERE root_id = :r"),
            "max_depth": count("SELECT max(depth) FROM tenant WHERE root_id = :r"),
            "users": count('SELECT count(*) FROM "user"'),
            "active_members": count("SELECT count(*) FROM membership WHERE root_id = :r AND status = 'active'"),
            "followers": count("SELECT count(DISTINCT user_id) FROM follow WHERE root_id = :r"),
            "grants": count("SELECT count(*) FROM access_grant WHERE root_id = :r AND revoked_at IS NULL"),
            "activities": count("SELECT count(*) FROM activity WHERE root_id = :r"),
            "upcoming_activities": count("SELECT count(*) FROM activity WHERE root_id = :r AND status = 'published' "
                                         "AND ends_at >= now()"),
            "sign_ups": count("SELECT count(*) FROM activity_signup WHERE root_id = :r"),
        }
        member = member_account(conn, slug)
    engine.dispose()
    return figures, member


def pg_engine(url):
    import sqlalchemy as sa

    return sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))


def burst_tokens(url, slug, n):
    """Bearer tokens of ``n`` distinct active members of the federation, as POST /api/v1/auth/token makes
    them (``accounts.services.issue_token``: a live ``auth_session`` row each), and the members' ids."""
    import sqlalchemy as sa
    from sqlalchemy.orm import Session

    from union_saas.accounts.models import User
    from union_saas.accounts.services import issue_token

    engine = pg_engine(url)
    with Session(engine) as session:
        ids = session.execute(sa.text(
            'SELECT u.id FROM membership m JOIN "user" u ON u.id = m.user_id '
            "JOIN tenant r ON r.id = m.root_id WHERE r.slug = :s AND m.status = 'active' AND u.active "
            "ORDER BY u.id LIMIT :n"), {"s": slug, "n": n}).scalars().all()
        if len(ids) < n:
            raise SystemExit(f"the federation has {len(ids)} active members, fewer than the {n} sign-ups asked for")
        users = session.scalars(sa.select(User).where(User.id.in_(ids)).order_by(User.id)).all()
        made = [issue_token(session, user, 3600)[0] for user in users]
        session.commit()
    engine.dispose()
    return made


def burst_activity(base, slug, places, token):
    """A fresh activity of ``places`` places, open to the whole federation, published through the API."""
    now = datetime.now(UTC)
    body = {"title": f"Sign-up burst {now:%Y-%m-%d %H:%M:%S}", "category": "culture", "scope": "platform",
            "capacity": places, "members_only": True, "status": "published",
            "starts_at": (now + timedelta(days=3)).isoformat(), "ends_at": (now + timedelta(days=3, hours=2)).isoformat()}
    status, _h, text = request(f"{base}/api/v1/tenants/{slug}/activities", json_body=body,
                               headers={"Authorization": f"Bearer {token}"})
    if status != 201:
        raise SystemExit(f"could not publish the burst's activity: {status} {text[:300]}")
    return json.loads(text)["id"]


def burst_check(url, activity_id, signups, places):
    """What the database holds after the burst: counts, counters, the waitlist's order, the verdict."""
    import sqlalchemy as sa

    engine = pg_engine(url)
    with engine.connect() as conn:
        counts = dict(conn.execute(sa.text("SELECT status, count(*) FROM activity_signup WHERE activity_id = :a "
                                           "GROUP BY status"), {"a": activity_id}).all())
        waitlist = conn.execute(sa.text("SELECT position, created_at FROM activity_signup WHERE activity_id = :a "
                                        "AND status = 'waitlisted' ORDER BY position"), {"a": activity_id}).all()
        last_confirmed = conn.scalar(sa.text("SELECT max(created_at) FROM activity_signup WHERE activity_id = :a "
                                             "AND status = 'confirmed'"), {"a": activity_id})
        row = conn.execute(sa.text("SELECT confirmed_count, waitlist_count, waitlist_seq FROM activity WHERE id = :a"),
                           {"a": activity_id}).one()
    engine.dispose()
    positions = [w.position for w in waitlist]
    in_order = (positions == list(range(1, len(positions) + 1))
                and [w.created_at for w in waitlist] == sorted(w.created_at for w in waitlist)
                and (not waitlist or last_confirmed is None or last_confirmed <= waitlist[0].created_at))
    ok = (counts.get("confirmed") == places == row.confirmed_count
          and counts.get("waitlisted") == signups - places == row.waitlist_count and in_order)
    return {"confirmed": counts.get("confirmed", 0), "waitlisted": counts.get("waitlisted", 0),
            "confirmed_count": row.confirmed_count, "waitlist_count": row.waitlist_count, "in_order": in_order,
            "ok": ok}


def roster_database(url, name=None):
    """The scratch database of the roster import (created if missing): never the data set's own."""
    import sqlalchemy as sa

    target = sa.engine.make_url(url.replace("postgresql://", "postgresql+psycopg://", 1))
    name = name or f"{target.database}_roster"
    if name == target.database:
        raise SystemExit("the roster import empties its database: give it another one than the data set's")
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": name}):
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return target.set(database=name).render_as_string(hide_password=False).replace("+psycopg", "", 1)


def start_gunicorn(app, port, workers, env, chdir, log):
    command = [str(BIN / "gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
               "--chdir", str(chdir), app]
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    return process, command


def wait_for(url, process, seconds=90):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn stopped (exit {process.returncode}) before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                response.read()
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"{url} did not answer within {seconds} s")


def stop(process):
    if process and process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def request(url, data=None, headers=None, json_body=None):
    headers = {"User-Agent": USER_AGENT, **(headers or {})}
    if json_body is not None:
        data = json.dumps(json_body).encode()
        headers["Content-Type"] = "application/json"
    elif isinstance(data, dict):
        data = urllib.parse.urlencode(data).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    opener = urllib.request.build_opener(NoRedirect)
    try:
        response = opener.open(urllib.request.Request(url, data=data, headers=headers), timeout=60)
    except urllib.error.HTTPError as error:
        response = error
    return response.status, response.headers, response.read().decode("utf-8", "replace")


def session_cookie(headers):
    for value in headers.get_all("Set-Cookie") or []:
        if value.startswith("session="):
            return value.split(";", 1)[0]
    return None


def bearer_token(base, username):
    status, _h, body = request(f"{base}/api/v1/auth/token", json_body={"username": username, "password": PASSWORD})
    if status != 200:
        raise SystemExit(f"could not get a token for {username}: {status} {body[:200]}")
    return json.loads(body)["token"]


def signed_in_cookie(base, username):
    status, headers, body = request(f"{base}/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', body)
    cookie = session_cookie(headers)
    if status != 200 or not token or not cookie:
        raise SystemExit(f"the sign-in form did not come: {status}")
    status, headers, body = request(f"{base}/login", {"csrf_token": html.unescape(token.group(1)), "username": username,
                                                      "password": PASSWORD}, headers={"Cookie": cookie})
    if status != 302 or not session_cookie(headers):
        raise SystemExit(f"could not sign in as {username}: {status} {body[:200]}")
    return session_cookie(headers)


def load(url, clients, seconds, headers, warmup):
    command = [sys.executable, str(BENCH / "load.py"), url, "--clients", str(clients), "--seconds", str(seconds),
               "--warmup", str(warmup)]
    for name, value in headers.items():
        command += ["--header", f"{name}: {value}"]
    output = subprocess.run(command, check=True, capture_output=True, text=True, timeout=seconds + warmup + 120)
    return json.loads(output.stdout)


def cpu_cell(result):
    if result.get("app_cpu_ms") is None:
        return ""
    if result.get("db_cpu_ms") is None:
        return f"{result['app_cpu_ms']:.2f}"
    return f"{result['app_cpu_ms']:.2f} + {result['db_cpu_ms']:.2f}"


def fmt(value, digits=1):
    return "–" if value is None else f"{value:,.{digits}f}"


def vote_burst(args, base, product, logdir):
    """Issue 17's vote burst (``bench/votes.py``): ``--votes`` members vote at once, each twice."""
    import votes

    admin = bearer_token(base, f"{args.slug}-admin")
    poll_id, option_ids = votes.publish_poll(request, base, args.slug, admin)
    token_file = logdir / "vote-tokens.txt"
    token_file.write_text("\n".join(votes.token_lines(burst_tokens(args.database, args.slug, args.votes))),
                          encoding="utf-8")
    command = [sys.executable, str(BENCH / "load.py"), f"{base}/api/v1/polls/{poll_id}/votes", "--burst",
               str(token_file), "--clients", str(args.burst_clients), "--body", json.dumps({"choices": option_ids[:1]})]
    result = measured(product, args.database, lambda: json.loads(subprocess.run(
        command, check=True, capture_output=True, text=True, timeout=900).stdout))
    engine = pg_engine(args.database)
    try:
        result.update(votes.check(engine, poll_id, args.votes), poll=poll_id, people=args.votes,
                      clients=args.burst_clients)
    finally:
        engine.dispose()
    result["ok"] = result["ok"] and result["statuses"].get("201") == args.votes == result["statuses"].get("409")
    result.pop("answers", None)
    return result


def render(meta, targets, http, policy, floor, burst=None, roster=None, vote=None, giveaway=None):
    lines = [START, "", f"Run on {meta['date']} with `{meta['command']}` (commit `{meta['commit']}`).", "",
             (f"**Machine**: {meta['machine']['nproc']} CPUs ({meta['machine']['cpu']}), {meta['machine']['memory']} memory, "
             f"Linux {meta['machine']['kernel']}, Python {meta['machine']['python']}. The load generator, gunicorn, "
             "PostgreSQL and Redis share these CPUs (and, when the machine is shared, whatever else runs on it): "
             f"load average {meta['load_before']} (1, 5, 15 min) before the run, {meta['load_after']} after."), "",
             f"**Data set** (federation `{meta['slug']}`): " + ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in meta["dataset"].items())
             + f". The member who asks: `{meta['member']}`, of `{meta['home']}`.", "",
             (f"**Servers**: `gunicorn --workers {meta['workers']}` (sync workers, the README's production command) with "
             "`UNION_SAAS_ENV=production` against PostgreSQL and Redis; the floor is `bench/hello.py` on the same settings. "
             f"Each figure: {meta['seconds']:g} s of closed-loop load after {meta['warmup']:g} s of warm-up, "
             "from `bench/load.py` in its own process over loopback. Latencies in ms; "
             "*× floor* is the page's figure divided by the floor's at the same concurrency (latency: how many "
             "times slower; throughput: the share of the floor's requests per second); *load*: the machine's "
             "1-minute load average when the measurement started; *CPU ms/req*: the CPU time the gunicorn workers "
             "(and, for the product, the PostgreSQL backends of the database) spent per request during the "
             "measurement, warm-up included: the cost of a request whatever else the machine was doing."), ""]
    if targets:
        lines += [("| What | Clients | p50 | p95 | p99 | req/s | p95 × floor | req/s × floor | errors | load "
                  "| CPU ms/req: gunicorn + PostgreSQL |"),
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for key, label, _url, _h in targets:
        for clients, result in http[key].items():
            base = floor.get(clients)
            p95x = result["p95"] / base["p95"] if key != "floor" and base and result["p95"] and base["p95"] else None
            rpsx = result["rps"] / base["rps"] if key != "floor" and base and base["rps"] else None
            lines.append(f"| {label} | {clients} | {fmt(result['p50'], 2)} | {fmt(result['p95'], 2)} | "
                         f"{fmt(result['p99'], 2)} | {fmt(result['rps'])} | {fmt(p95x)} | {fmt(rpsx, 2)} | "
                         f"{result['errors']} | {result.get('load', '')} | {cpu_cell(result)} |")
    if targets:
        lines += ["", ("Against issue 7's page yardstick (p95 under 25 ms at 8 clients, at least a quarter of the floor's "
                  "requests per second; stated for the member feed, applied to every page):"), ""]
    for key, label, _url, _h in targets[1:]:
        result, base = http[key].get(8), floor.get(8)
        if not result or not base:
            continue
        p95 = result["p95"] or 0.0
        share = result["rps"] / base["rps"] if base["rps"] else 0
        p95_verdict = "meets" if p95 < P95_TARGET_MS else f"misses by {p95 - P95_TARGET_MS:.1f} ms"
        rps_verdict = "meets" if share >= RPS_SHARE_TARGET else f"misses: reaches {share / RPS_SHARE_TARGET:.1%} of the target"
        extra = ""
        if key == "insights":
            extra = (f"; insights target p95 under {INSIGHTS_P95_MS:.0f} ms: "
                     + ("met" if p95 < INSIGHTS_P95_MS else f"missed by {p95 - INSIGHTS_P95_MS:.1f} ms"))
        lines.append(f"- {label}: p95 {fmt(p95, 2)} ms ({p95_verdict}); {share:.3f} of the floor's req/s ({rps_verdict})"
                     f"{extra}.")
    if burst:
        ok = burst["ok"]
        fast = burst["per_s"] >= BURST_TARGET_PER_S
        lines += ["", (f"**Sign-up burst**: {burst['signups']:,} distinct members sign up at once for a fresh activity of "
                  f"{burst['places']} places open to the whole federation (`POST /api/v1/activities/<id>/signups`, "
                  f"bearer tokens made up front), from {burst['clients']} concurrent connections of `bench/load.py --burst`; "
                  "the same gunicorn. Target: 500 a second or more, exactly 100 confirmed."), "",
                  "| measure | value |", "|---|---|",
                  (f"| throughput | **{burst['per_s']:,.0f} sign-ups/s** ({burst['wall_s']:.2f} s from the first request to "
                  f"the last answer; target {BURST_TARGET_PER_S}/s: {'met' if fast else 'missed'}) |"),
                  (f"| latency p50 / p95 / p99 / max | {fmt(burst['p50'])} / {fmt(burst['p95'])} / {fmt(burst['p99'])} / "
                  f"{fmt(burst['max'])} ms |"),
                  f"| answers | {', '.join(f'{k}: {v:,}' for k, v in sorted(burst['statuses'].items()))} |",
                  f"| confirmed (rows / counter) | {burst['confirmed']} / {burst['confirmed_count']} |",
                  (f"| waitlisted (rows / counter) | {burst['waitlisted']:,} / {burst['waitlist_count']:,}, positions "
                   f"{'1..' + format(burst['waitlisted'], ',') + ' in the order served' if burst['in_order'] else 'OUT OF ORDER'} |"),
                  f"| CPU ms per sign-up: gunicorn + PostgreSQL | {cpu_cell(burst)} |",
                  f"| verdict | {'exactly ' + str(burst['places']) + ' confirmed: OK' if ok else 'FAILED'} |"]
    if vote:
        import votes

        lines += votes.render(vote, fmt, cpu_cell)
    if policy:
        ok = policy["ratio"] >= CAN_RATIO_TARGET
        verdict = "met" if ok else f"missed by {CAN_RATIO_TARGET - policy['ratio']:.0f}×"
        lines += ["", ("**Policy engine** (in-process, one thread): "
                  f"{policy['distinct_checks']:,} random checks over {policy['users_in_mix']} users (every holder of one "
                  f"of the {policy['grants']} grants and as many users with none) and the {policy['tenants']:,} tenants; "
                  f"{policy['allowed_share']:.0%} of the answers are yes, and both engines give the same answer to every check."), "",
                  "| Engine | checks/s | µs per check |", "|---|---:|---:|",
                  f"| `access.engine` `Subject.can()` | {policy['engine_checks_per_s']:,} | {policy['engine_us_per_check']} |",
                  (f"| pycasbin {policy.get('casbin_version', '')} RBAC with domains, keyMatch domain inheritance | "
                  f"{policy['casbin_checks_per_s']:,} | {policy['casbin_us_per_check']} |"), "",
                  (f"Ratio: **{policy['ratio']}×** (target {CAN_RATIO_TARGET}×: {verdict}). "
                  f"Building a subject from its grant rows (once per request) takes {policy['subject_build_us']} µs; "
                  f"loading the casbin enforcer {policy['casbin_load_ms']} ms.")]
    if roster:
        sizes = ", ".join(f"{k} {v / 1e6:.1f} MB" for k, v in roster["sizes"].items())
        lines += ["", (f"**Roster import** (`bench/roster_import.py`, the RQ job's body in-process, PostgreSQL): "
                  f"{roster['rows']:,} people ({sizes}), each file imported twice (the second time nothing changes). "
                  "*cpu*: this process's CPU time (PostgreSQL's work is only in *wall*)."), "",
                  "| file | import | wall s | cpu s | imported | unchanged | rejected |", "|---|---|---:|---:|---:|---:|---:|"]
        lines += [f"| .{r['file']} | {r['attempt']} | {r['wall_s']:.1f} | {r['cpu_s']:.1f} | {r['imported']:,} | "
                  f"{r['unchanged']:,} | {r['rejected']:,} |" for r in roster["results"]]
    lines += giveaways.render(giveaway)
    lines += ["", END]
    return "\n".join(lines)


def write_results(block):
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n\n" + START + "\n" + END + "\n"
    if START in text and END in text:
        head, rest = text.split(START, 1)
        tail = rest.split(END, 1)[1]
        text = head + block + tail
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    RESULTS.write_text(text, encoding="utf-8")


def main():
    parser = argparse.ArgumentParser(description="The benchmarks of issue 7 (see the module's docstring).")
    parser.add_argument("--database", default=os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/bench"))
    parser.add_argument("--redis", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", "8105")))
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--clients", default="1,8,32")
    parser.add_argument("--slug", default="qingyang")
    parser.add_argument("--targets", default=",".join(t[0] for t in TARGETS), help="keys of bench/targets.py")
    parser.add_argument("--signups", type=int, default=2000)
    parser.add_argument("--places", type=int, default=100)
    parser.add_argument("--burst-clients", type=int, default=64)
    parser.add_argument("--roster-database", default=os.environ.get("BENCH_ROSTER_DATABASE_URL"),
                        help="scratch database of the roster import (emptied!); default: the data set's name + _roster")
    parser.add_argument("--roster-rows", type=int, default=100_000)
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--skip-burst", action="store_true")
    parser.add_argument("--votes", type=int, default=2000, help="members in the vote burst (each votes twice)")
    parser.add_argument("--skip-votes", action="store_true")
    parser.add_argument("--skip-policy", action="store_true")
    parser.add_argument("--skip-roster", action="store_true")
    giveaways.add_arguments(parser)
    parser.add_argument("--no-write", action="store_true", help="print the results instead of writing RESULTS.md")
    args = parser.parse_args()
    clients = [int(c) for c in args.clients.split(",")]
    wanted = args.targets.split(",")
    sys.path[:0] = [str(REPO), str(REPO / "src")]

    figures, (member, home) = dataset(args.database, args.slug)
    meta = {"date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "machine": machine(),
            "command": "make bench" if os.environ.get("MAKELEVEL") else ("python bench/run.py " + shlex.join(sys.argv[1:])).strip(),
            "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, check=False,
                                     text=True).stdout.strip() or "unknown",
            "workers": args.workers, "seconds": args.seconds, "warmup": args.warmup, "slug": args.slug,
            "dataset": figures, "member": member, "home": home, "load_before": loadavg()}
    print(f"data set: {meta['dataset']}; member {member} of {home}", flush=True)
    http, floor, targets, burst, vote, giveaway = {}, {}, [], None, None, None
    if not (args.skip_http and args.skip_burst and args.skip_votes and args.skip_giveaway):
        secret = secrets.token_urlsafe(48)
        env = {**os.environ, "UNION_SAAS_ENV": "production", "SECRET_KEY": secret,
               "PII_KEY": pii_key(),
               "DATABASE_URL": args.database, "REDIS_URL": args.redis,
               # The API's limiter counts every call (its cost is measured) but a benchmark client asks more than
               # a person would: the limit is set beyond what a run reaches.
               "API_RATE_LIMITS": "1000000 per minute"}
        logdir = Path(tempfile.mkdtemp(prefix="union-saas-bench-"))
        product = hello = None
        try:
            with open(logdir / "product.log", "wb") as plog, open(logdir / "hello.log", "wb") as hlog:
                product, command = start_gunicorn("wsgi:app", args.port, args.workers, env, REPO, plog)
                hello, _c = start_gunicorn("hello:app", args.port + 1, args.workers, env, BENCH, hlog)
                meta["gunicorn"] = " ".join(command)
                base, floor_url = f"http://127.0.0.1:{args.port}", f"http://127.0.0.1:{args.port + 1}/"
                wait_for(f"{base}/", product)
                wait_for(floor_url, hello)
                credentials = {}

                def auth(kind):  # signs in on first use; one token or session per account for the run
                    if kind is None:
                        return {}
                    if kind not in credentials:
                        how, username = kind.split(":", 1)
                        username = fill(username, args.slug, member, home)
                        credentials[kind] = ({"Authorization": f"Bearer {bearer_token(base, username)}"} if how == "token"
                                             else {"Cookie": signed_in_cookie(base, username)})
                    return credentials[kind]

                if not args.skip_http:
                    targets = [("floor", "(a) floor: bare Flask hello", floor_url, {})]
                    targets += [(key, fill(label, args.slug, member, home), base + fill(path, args.slug, member, home),
                                 auth(kind)) for key, label, path, kind in TARGETS if key in wanted]
                    for key, _label, url, headers in targets:
                        status, _h, body = request(url, headers=headers)
                        if status != 200:
                            raise SystemExit(f"{url} answers {status}, not 200: {body[:300]}")
                    # At each concurrency, the floor then every page: a ratio compares figures taken minutes
                    # apart at most, whatever else the machine is doing.
                    for n in clients:
                        for key, label, url, headers in targets:
                            server = product if key != "floor" else hello
                            result = measured(server, args.database if key != "floor" else None,
                                              lambda url=url, headers=headers, n=n: load(url, n, args.seconds, headers,
                                                                                          args.warmup))
                            http.setdefault(key, {})[n] = result
                            if key == "floor":
                                floor[n] = result
                            print(f"{label:<58} {n:>3} clients: p50 {result['p50']} p95 {result['p95']} "
                                  f"p99 {result['p99']} ms, {result['rps']} req/s, {result['errors']} errors", flush=True)
                if not args.skip_burst:
                    admin = bearer_token(base, f"{args.slug}-admin")
                    activity_id = burst_activity(base, args.slug, args.places, admin)
                    tokens = burst_tokens(args.database, args.slug, args.signups)
                    token_file = logdir / "burst-tokens.txt"
                    token_file.write_text("\n".join(tokens), encoding="utf-8")
                    url = f"{base}/api/v1/activities/{activity_id}/signups"
                    command = [sys.executable, str(BENCH / "load.py"), url, "--burst", str(token_file),
                               "--clients", str(args.burst_clients)]
                    burst = measured(product, args.database, lambda: json.loads(subprocess.run(
                        command, check=True, capture_output=True, text=True, timeout=900).stdout))
                    burst.update(burst_check(args.database, activity_id, args.signups, args.places),
                                 activity=activity_id, signups=args.signups, places=args.places,
                                 clients=args.burst_clients)
                    burst.pop("answers", None)
                    print("sign-up burst:", json.dumps(burst), flush=True)
                if not args.skip_votes:
                    vote = vote_burst(args, base, product, logdir)
                    print("vote burst:", json.dumps(vote), flush=True)
                if not args.skip_giveaway:
                    giveaway = giveaways.run(sys.modules[__name__], base, args, product, logdir)
                    print("giveaway entry burst:", json.dumps(giveaway), flush=True)
        finally:
            stop(product)
            stop(hello)
        print(f"gunicorn logs: {logdir}")
    policy = None
    if not args.skip_policy:
        from importlib.metadata import version

        import casbin  # noqa: F401 - fail early with the hint below
        import policy as policy_bench

        policy = policy_bench.run(args.database)
        policy["casbin_version"] = version("casbin")
        print("policy:", json.dumps(policy), flush=True)
    roster = None
    if not args.skip_roster:
        import roster_import

        url = args.roster_database or roster_database(args.database)
        results, sizes = roster_import.run(url, args.roster_rows)
        roster = {"rows": args.roster_rows, "sizes": sizes, "results": results}
    import watched_words

    words = watched_words.run()  # issue 16: 10,000 watched words, a 2,000-character post
    print("watched words:", json.dumps(words), flush=True)
    meta["load_after"] = loadavg()
    block = render(meta, targets, http, policy, floor, burst, roster, vote, giveaway)
    block = block.replace(END, watched_words.markdown(words) + "\n\n" + END)
    if args.no_write:
        print(block)
    else:
        write_results(block)
        print(f"written to {RESULTS}")


def measured(server, database, work):
    """Run ``work()`` (a dict of figures) and add the CPU time per request of the server's workers and of
    the database's PostgreSQL backends (``database`` None: the floor, no database), and the load average."""
    load_then = loadavg().split()[0]
    workers = children_of(server.pid)
    backends = backend_pids(database) if database else []
    cpu_before = cpu_seconds(workers), cpu_seconds(backends)
    result = work()
    backends_after = backend_pids(database) if database else []
    cpu_after = cpu_seconds(workers), cpu_seconds(backends_after)
    sent = max(result.get("sent") or result.get("requests") or 1, 1)
    result["load"] = load_then
    # Server CPU per request: what the page costs whatever else the machine does.
    result["app_cpu_ms"] = round((cpu_after[0] - cpu_before[0]) / sent * 1000, 2)
    result["db_cpu_ms"] = round(max(cpu_after[1] - cpu_before[1], 0) / sent * 1000, 2) if database else None
    return result


if __name__ == "__main__":
    try:
        import casbin  # noqa: F401
    except ImportError:
        if "--skip-policy" not in sys.argv:
            raise SystemExit("pycasbin is missing: pip install -e '.[bench]' (make bench does it)")
    main()
