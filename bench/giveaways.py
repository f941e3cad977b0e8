"""The giveaway entry burst of ``make bench`` (issue 15): the federation administrator publishes a fresh
first-come giveaway of ``--tickets`` tickets to the whole federation through the API; ``--entrants`` distinct
seeded members (verified IDs, bearer tokens made up front) take part at once from ``bench/load.py --burst``;
then the database must hold exactly ``--tickets`` tickets at seats 1..n, as many entries, the counters equal,
and every other answer a 409 (none left). Reports entries per second and the latencies.

``bench/run.py`` calls ``run(...)`` after the sign-up burst and ``render(...)`` for RESULTS.md; alone:

    python bench/giveaways.py --database postgresql://postgres@127.0.0.1:5432/bench [--slug qingyang]
        [--entrants 2000 --tickets 50 --clients 64 --workers 4 --port 8107]

starts its own gunicorn on the data set (production settings), runs the burst and prints the figures.
"""
import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent


def publish(request, base, slug, tickets, token):
    now = datetime.now(UTC)
    body = {"title": f"Entry burst {now:%Y-%m-%d %H:%M:%S}", "quantity": tickets, "method": "first_come",
            "scope": "platform", "opens_at": (now - timedelta(minutes=1)).isoformat(),
            "closes_at": (now + timedelta(hours=2)).isoformat()}
    status, _h, text = request(f"{base}/api/v1/tenants/{slug}/giveaways", json_body=body,
                               headers={"Authorization": f"Bearer {token}"})
    if status != 201:
        raise SystemExit(f"could not publish the burst's giveaway: {status} {text[:300]}")
    return json.loads(text)["id"]


def check(engine_of, url, giveaway_id, tickets, statuses):
    import sqlalchemy as sa

    engine = engine_of(url)
    with engine.connect() as conn:
        seats = conn.execute(sa.text("SELECT seat FROM giveaway_ticket WHERE giveaway_id = :g ORDER BY seat"),
                             {"g": giveaway_id}).scalars().all()
        entries = conn.scalar(sa.text("SELECT count(*) FROM giveaway_entry WHERE giveaway_id = :g"), {"g": giveaway_id})
        persons = conn.scalar(sa.text("SELECT count(DISTINCT person_hash) FROM giveaway_entry WHERE giveaway_id = :g"),
                              {"g": giveaway_id})
        row = conn.execute(sa.text("SELECT tickets_count, winners_count, entries_count FROM giveaway WHERE id = :g"),
                           {"g": giveaway_id}).one()
    engine.dispose()
    won = statuses.get("201", 0)
    ok = (len(seats) == tickets == won == entries == persons == row.tickets_count == row.winners_count
          == row.entries_count and seats == list(range(1, tickets + 1))
          and statuses.get("409", 0) == sum(statuses.values()) - tickets)
    return {"tickets": len(seats), "entries": entries, "won": won, "seats_in_order": seats == list(range(1, len(seats) + 1)),
            "counters": [row.tickets_count, row.winners_count, row.entries_count], "ok": ok}


def run(run_module, base, args, product, logdir):
    """The burst against the running ``product`` server (``run_module``: bench/run.py's helpers)."""
    admin = run_module.bearer_token(base, f"{args.slug}-admin")
    giveaway_id = publish(run_module.request, base, args.slug, args.tickets, admin)
    tokens = run_module.burst_tokens(args.database, args.slug, args.entrants)
    token_file = Path(logdir) / "giveaway-tokens.txt"
    token_file.write_text("\n".join(tokens), encoding="utf-8")
    command = [sys.executable, str(BENCH / "load.py"), f"{base}/api/v1/giveaways/{giveaway_id}/entries", "--burst",
               str(token_file), "--clients", str(args.giveaway_clients)]
    result = run_module.measured(product, args.database, lambda: json.loads(subprocess.run(
        command, check=True, capture_output=True, text=True, timeout=900).stdout))
    result.pop("answers", None)
    result.update(check(run_module.pg_engine, args.database, giveaway_id, args.tickets, result["statuses"]),
                  giveaway=giveaway_id, entrants=args.entrants, quantity=args.tickets, clients=args.giveaway_clients)
    return result


def render(result, fmt=lambda v: "–" if v is None else f"{v:.1f}"):
    if not result:
        return []
    return ["", (f"**Giveaway entry burst** (issue 15): {result['entrants']:,} distinct verified members take part at "
                 f"once in a fresh first-come giveaway of {result['quantity']} tickets open to the whole federation "
                 f"(`POST /api/v1/giveaways/<id>/entries`, bearer tokens made up front), from {result['clients']} "
                 "concurrent connections of `bench/load.py --burst`; then the database is read back."), "",
            "| | |", "|---|---|",
            f"| throughput | **{result['per_s']:,.0f} entries/s** ({result['wall_s']:.2f} s from the first request to the last answer) |",
            f"| latency p50 / p95 / p99 / max | {fmt(result['p50'])} / {fmt(result['p95'])} / {fmt(result['p99'])} / {fmt(result['max'])} ms |",
            f"| answers | {', '.join(f'{k}: {v:,}' for k, v in sorted(result['statuses'].items()))} |",
            (f"| tickets (rows / seats / counters) | {result['tickets']} / "
             f"{'1..' + str(result['tickets']) if result['seats_in_order'] else 'GAPS'} / {result['counters']} |"),
            f"| CPU ms per entry: gunicorn + PostgreSQL | {result.get('app_cpu_ms')} + {result.get('db_cpu_ms')} |",
            f"| verdict | {'exactly ' + str(result['quantity']) + ' won: OK' if result['ok'] else 'FAILED'} |"]


def add_arguments(parser):
    parser.add_argument("--entrants", type=int, default=2000, help="giveaway burst: distinct members taking part")
    parser.add_argument("--tickets", type=int, default=50, help="giveaway burst: tickets to give")
    parser.add_argument("--giveaway-clients", type=int, default=64)
    parser.add_argument("--skip-giveaway", action="store_true")


def main():
    sys.path[:0] = [str(BENCH), str(REPO), str(REPO / "src")]
    import run as run_module

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/bench"))
    parser.add_argument("--redis", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9"))
    parser.add_argument("--slug", default="qingyang")
    parser.add_argument("--port", type=int, default=8107)
    parser.add_argument("--workers", type=int, default=4)
    add_arguments(parser)
    args = parser.parse_args()
    env = {**os.environ, "UNION_SAAS_ENV": "production", "SECRET_KEY": secrets.token_urlsafe(48),
           "PII_KEY": run_module.pii_key(), "DATABASE_URL": args.database, "REDIS_URL": args.redis}
    logdir = Path(tempfile.mkdtemp(prefix="union-saas-giveaway-bench-"))
    product = None
    try:
        with open(logdir / "product.log", "wb") as log:
            product, _command = run_module.start_gunicorn("wsgi:app", args.port, args.workers, env, REPO, log)
            base = f"http://127.0.0.1:{args.port}"
            run_module.wait_for(f"{base}/", product)
            result = run(run_module, base, args, product, logdir)
    finally:
        run_module.stop(product)
    print("\n".join(render(result)))
    print(json.dumps(result))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
