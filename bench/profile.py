"""Where a benchmarked page spends its time: in-process, production settings, the large data set.

``python bench/profile.py [--requests 200] [--pyinstrument] [KEY or PATH ...]`` signs in the way the
benchmark does (bench/targets.py: a bearer token for /api/v1, a session for pages), then for each target
prints the queries of one request and, per request: the CPU time of this process (the best of three
rounds of ``--requests``: what the machine's other work cannot inflate much), the wall time and the part
of it executing SQL (round trips to PostgreSQL included), and the Python function calls counted by
cProfile (deterministic: the figure to compare before and after a change on a shared machine). With
``--pyinstrument``, a pyinstrument profile of each target goes to bench/profiles/.

Keys: me, home, feed, apifeed, insights, members (bench/targets.py); a path starting with / is fetched as
the federation administrator (pages) or the street administrator (/api/v1).
"""
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
# This file's name shadows the standard library's ``profile``, which cProfile imports: drop bench/ first.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH]

import argparse
import cProfile
import os
import pstats
import re
import secrets
import time

REPO = BENCH.parent


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("targets", nargs="*")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--slug", default="qingyang")
    parser.add_argument("--pyinstrument", action="store_true")
    parser.add_argument("--stats", type=int, default=0, help="print the N functions with the most own time (cProfile)")
    parser.add_argument("--database", default=os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/bench"))
    parser.add_argument("--redis", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9"))
    args = parser.parse_args()
    # The limiter is measured (its counters are part of every API call), but never reached: one user asks a lot.
    os.environ.update(UNION_SAAS_ENV="production", SECRET_KEY=secrets.token_urlsafe(48), DATABASE_URL=args.database,
                      API_RATE_LIMITS="1000000 per minute",
                      REDIS_URL=args.redis, PII_KEY=os.environ.get("PII_KEY") or secrets.token_urlsafe(48))
    sys.path[:0] = [str(REPO), str(REPO / "src")]
    sys.path.append(str(BENCH))
    import sqlalchemy as sa
    from flask_login.utils import _create_identifier
    from targets import TARGETS, fill, member_account

    from union_saas import create_app
    from union_saas.accounts.models import User
    from union_saas.accounts.services import issue_token, open_session
    from union_saas.extensions import db

    app = create_app()
    app.config["SESSION_COOKIE_SECURE"] = False  # the test client keeps no secure cookie over http
    agent = "union-saas-bench"
    with app.app_context():
        member, home = member_account(db.session.connection(), args.slug)
    with app.test_request_context(headers={"User-Agent": agent}, environ_base={"REMOTE_ADDR": "127.0.0.1"}):
        identifier = _create_identifier()
    clients = {}

    def client_for(kind):
        """(test client, extra headers) for ``kind`` as in bench/targets.py."""
        if kind not in clients:
            client = app.test_client()
            headers = {"User-Agent": agent}
            if kind is not None:
                how, username = kind.split(":", 1)
                with app.app_context():
                    user = db.session.scalar(sa.select(User).where(User.username == fill(username, args.slug, member, home)))
                    if how == "token":
                        headers["Authorization"] = f"Bearer {issue_token(db.session, user, 3600)[0]}"
                    else:
                        _row, credential = open_session(db.session, user, "page", 3600)
                        with client.session_transaction() as session:
                            session.update({"_user_id": credential, "_fresh": True, "_id": identifier})
                    db.session.commit()
            clients[kind] = client, headers
        return clients[kind]

    by_key = {key: (path, kind) for key, _label, path, kind in TARGETS}
    chosen = []
    for name in args.targets or list(by_key):
        if name in by_key:
            path, kind = by_key[name]
            chosen.append((name, fill(path, args.slug, member, home), kind))
        else:
            kind = f"token:{args.slug}-s01-admin" if name.startswith("/api/") else f"session:{args.slug}-admin"
            chosen.append((name, fill(name, args.slug, member, home), kind))

    engine = None
    with app.app_context():
        engine = db.engine
    statements, sql_time, started = [], [0.0], {}

    def after(*a):
        took = time.perf_counter() - started["t"]
        sql_time[0] += took
        statements.append((a[2], took))

    sa.event.listen(engine, "before_cursor_execute", lambda *a: started.update(t=time.perf_counter()))
    sa.event.listen(engine, "after_cursor_execute", after)
    out = BENCH / "profiles"
    print(f"member: {member} (home {home}); {args.requests} requests a round")
    for key, path, kind in chosen:
        client, headers = client_for(kind)
        for _ in range(20):
            response = client.get(path, headers=headers)
        if response.status_code != 200:
            raise SystemExit(f"{path}: {response.status_code}")
        statements.clear()
        client.get(path, headers=headers)
        print(f"\n{key} {path}: {len(statements)} queries per request")
        for statement, took in statements:
            print(f"    {took * 1000:7.2f} ms", re.sub(r"\s+", " ", statement)[:150])
        rounds = []
        for _ in range(3):
            sql_time[0] = 0.0
            wall, cpu = time.perf_counter(), time.process_time()
            for _ in range(args.requests):
                client.get(path, headers=headers)
            rounds.append(((time.process_time() - cpu) / args.requests * 1000,
                           (time.perf_counter() - wall) / args.requests * 1000, sql_time[0] / args.requests * 1000))
        cpu_ms, wall_ms, sql_ms = min(rounds)
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(50):
            client.get(path, headers=headers)
        profile.disable()
        stats = pstats.Stats(profile)
        calls = stats.total_calls / 50
        if args.stats:
            stats.sort_stats("tottime").print_stats(args.stats)
            stats.sort_stats("cumulative").print_stats(args.stats)
        print(f"    CPU {cpu_ms:.2f} ms per request (best of 3 rounds); wall {wall_ms:.2f} ms, of it {sql_ms:.2f} ms "
              f"executing SQL; {calls:,.0f} Python function calls")
        if args.pyinstrument:
            from pyinstrument import Profiler

            out.mkdir(exist_ok=True)
            profiler = Profiler(interval=0.0005)
            profiler.start()
            for _ in range(args.requests):
                client.get(path, headers=headers)
            profiler.stop()
            name = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")
            text = profiler.output_text(unicode=True, color=False, show_all=False)
            (out / f"{name}.txt").write_text(text, encoding="utf-8")
            print(f"    profile: {(out / f'{name}.txt').relative_to(REPO)}")


if __name__ == "__main__":
    main()
