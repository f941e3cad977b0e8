"""The vote burst of ``make bench`` (issue 17): many members vote at once, each twice, in one poll.

``bench/run.py`` publishes a fresh poll open to the whole federation through the API (as its federation
administrator), takes the bearer tokens of ``--votes`` distinct seeded members (verified: they hold a real-name
identity), writes each token twice in a shuffled file, and lets ``bench/load.py --burst --body`` POST
``/api/v1/polls/<id>/votes`` once per line from concurrent connections. Then the database must hold exactly one
roll row and one ballot per person: every person counted once, every second vote refused with 409.
"""
import json
import random
from datetime import UTC, datetime, timedelta


def publish_poll(request, base, slug, token):
    """A fresh single-choice poll of the federation, open now, published through the API: (id, option ids)."""
    now = datetime.now(UTC)
    body = {"title": f"Vote burst {now:%Y-%m-%d %H:%M:%S}", "kind": "single", "scope": "platform",
            "options": [{"label": "Saturday"}, {"label": "Sunday"}], "opens_at": (now - timedelta(minutes=1)).isoformat(),
            "closes_at": (now + timedelta(days=1)).isoformat()}
    status, _h, text = request(f"{base}/api/v1/tenants/{slug}/polls", json_body=body,
                               headers={"Authorization": f"Bearer {token}"})
    if status != 201:
        raise SystemExit(f"could not publish the vote burst's poll: {status} {text[:300]}")
    doc = json.loads(text)
    return doc["id"], [o["id"] for o in doc["options"]]


def token_lines(tokens, seed=17):
    """Each token twice, shuffled: every member votes twice, the two requests apart."""
    lines = [t for t in tokens for _ in range(2)]
    random.Random(seed).shuffle(lines)
    return lines


def check(engine, poll_id, people):
    """What the database holds after the burst: roll rows, distinct persons, ballots, choices; the verdict."""
    import sqlalchemy as sa

    with engine.connect() as conn:
        row = conn.execute(sa.text(
            "SELECT (SELECT count(*) FROM poll_voter WHERE poll_id = :p) AS roll, "
            "(SELECT count(DISTINCT person) FROM poll_voter WHERE poll_id = :p) AS persons, "
            "(SELECT count(*) FROM poll_ballot WHERE poll_id = :p) AS ballots, "
            "(SELECT count(*) FROM poll_ballot_choice WHERE poll_id = :p) AS choices"), {"p": poll_id}).one()
    ok = row.roll == row.persons == row.ballots == row.choices == people
    return {"roll": row.roll, "persons": row.persons, "ballots": row.ballots, "choices": row.choices, "ok": ok}


def render(v, fmt, cpu_cell):
    """The lines of RESULTS.md for the vote burst ``v``."""
    return ["", (f"**Vote burst**: {v['people']:,} distinct verified members vote at once in a fresh poll open to the whole "
                 f"federation (`POST /api/v1/polls/<id>/votes`), each twice ({v['requests']:,} requests, shuffled), from "
                 f"{v['clients']} concurrent connections of `bench/load.py --burst`; one person, one vote: the roll's "
                 "unique key (poll, person) refuses every second vote with 409."), "",
            "| measure | value |", "|---|---|",
            (f"| throughput | **{v['per_s']:,.0f} votes/s** ({v['wall_s']:.2f} s from the first request to the last "
             f"answer; {v['people'] / v['wall_s']:,.0f} counted votes/s) |"),
            f"| latency p50 / p95 / p99 / max | {fmt(v['p50'])} / {fmt(v['p95'])} / {fmt(v['p99'])} / {fmt(v['max'])} ms |",
            f"| answers | {', '.join(f'{k}: {n:,}' for k, n in sorted(v['statuses'].items()))} |",
            f"| roll rows / distinct persons / ballots / choices | {v['roll']:,} / {v['persons']:,} / {v['ballots']:,} / {v['choices']:,} |",
            f"| CPU ms per request: gunicorn + PostgreSQL | {cpu_cell(v)} |",
            f"| verdict | {'every person counted once: OK' if v['ok'] else 'FAILED'} |"]
