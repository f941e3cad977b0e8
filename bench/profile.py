"""Where a benchmarked page spends its time: in-process, production settings, the large data set.

``python bench/profile.py [--requests 200] [PATH ...]`` signs in the way the benchmark does (the street
administrator's bearer token for /api/v1, the federation administrator's session for /manage, nobody for
public pages), then for each path prints the queries of one request, the mean time per request and the
part of it spent waiting on PostgreSQL, and a pyinstrument profile of the requests (written to
bench/profiles/).
"""
import argparse
import os
import re
import secrets
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
DEFAULT_PATHS = ("/api/v1/me", "/manage/{slug}", "/t/{slug}-s01")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--slug", default="qingyang")
    parser.add_argument("--database", default=os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/bench"))
    parser.add_argument("--redis", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9"))
    args = parser.parse_args()
    os.environ.update(UNION_SAAS_ENV="production", SECRET_KEY=secrets.token_urlsafe(48), DATABASE_URL=args.database,
                      REDIS_URL=args.redis)
    sys.path[:0] = [str(REPO), str(REPO / "src")]
    import sqlalchemy as sa
    from flask_login.utils import _create_identifier
    from pyinstrument import Profiler

    from union_saas import create_app
    from union_saas.accounts.models import User
    from union_saas.accounts.services import issue_token
    from union_saas.extensions import db

    app = create_app()
    app.config["SESSION_COOKIE_SECURE"] = False  # the test client keeps no secure cookie over http
    with app.app_context():
        engine = db.engine
        fed = db.session.scalar(sa.select(User).where(User.username == f"{args.slug}-admin"))
        street = db.session.scalar(sa.select(User).where(User.username == f"{args.slug}-s01-admin"))
        token, _ = issue_token(street, app.config["SECRET_KEY"], 3600)
        fed_id = f"{fed.id}:{fed.token_generation}"
    client, anonymous = app.test_client(), app.test_client()
    agent = "union-saas-bench"
    with app.test_request_context(headers={"User-Agent": agent}, environ_base={"REMOTE_ADDR": "127.0.0.1"}):
        identifier = _create_identifier()
    signed_in = client
    with signed_in.session_transaction() as session:
        session.update({"_user_id": fed_id, "_fresh": True, "_id": identifier})

    statements, sql_time, started = [], [0.0], {}
    sa.event.listen(engine, "before_cursor_execute", lambda *a: (statements.append(a[2]), started.update(t=time.perf_counter())))
    sa.event.listen(engine, "after_cursor_execute", lambda *a: sql_time.__setitem__(0, sql_time[0] + time.perf_counter() - started["t"]))
    out = BENCH / "profiles"
    out.mkdir(exist_ok=True)
    for template in args.paths or DEFAULT_PATHS:
        path = template.format(slug=args.slug)
        headers = {"User-Agent": agent}
        if path.startswith("/api/"):
            headers["Authorization"] = f"Bearer {token}"
        # As in the benchmark: the API with the token, /manage signed in, public pages anonymous.
        client = signed_in if path.startswith("/manage") else anonymous
        for _ in range(20):
            response = client.get(path, headers=headers)
        if response.status_code != 200:
            raise SystemExit(f"{path}: {response.status_code}")
        statements.clear()
        client.get(path, headers=headers)
        print(f"\n{path}: {len(statements)} queries per request")
        for statement in statements:
            print("   ", re.sub(r"\s+", " ", statement)[:140])
        sql_time[0] = 0.0
        begin = time.perf_counter()
        for _ in range(args.requests):
            client.get(path, headers=headers)
        total = (time.perf_counter() - begin) / args.requests * 1000
        print(f"    {total:.2f} ms per request in-process, {sql_time[0] / args.requests * 1000:.2f} ms of it "
              "executing SQL (round trips to PostgreSQL included)")
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
