"""The policy engine in-process: ``access.engine.Subject.can()`` against pycasbin on the same grants.

Both answer "may user U do permission P at tenant T?" for a random mix of users (every holder of a
grant, and as many users with none) and tenants of the seeded tree. The casbin model is RBAC with
domains, the way a casbin user expresses a tree: the domain of a request is the tenant's path, a
grant's domain is the path of the tenant it was given at followed by ``*``, and ``keyMatch`` is the
role manager's domain matching function, so a grant at T applies to T and everything below it.
Both engines must agree on every check; the script stops otherwise.

Run alone: ``DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench .venv/bin/python bench/policy.py``.
"""
import json
import os
import random
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import sqlalchemy as sa

MODEL = """
[request_definition]
r = sub, dom, act

[policy_definition]
p = sub, dom, act

[role_definition]
g = _, _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = g(r.sub, p.sub, r.dom) && r.act == p.act
"""


def load(url):
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        grants = conn.execute(sa.text(
            "SELECT g.id, g.role, g.tenant_id, t.path, t.root_id, g.granted_by_id, g.created_at, g.user_id "
            "FROM access_grant g JOIN tenant t ON t.id = g.tenant_id "
            "WHERE g.revoked_at IS NULL AND g.expires_at IS NULL")).all()
        paths = conn.scalars(sa.text("SELECT path FROM tenant")).all()
        max_user = conn.scalar(sa.text('SELECT max(id) FROM "user"'))
    engine.dispose()
    return grants, paths, max_user


def build_casbin(grants, policy):
    import casbin
    from casbin.model import Model
    from casbin.util import key_match

    model = Model()
    model.load_model_from_text(MODEL)
    enforcer = casbin.Enforcer(model)
    enforcer.add_named_domain_matching_func("g", key_match)
    used_roles = sorted({g.role for g in grants})
    enforcer.add_policies([[role, "*", perm] for role in used_roles for perm in sorted(policy.role(role).permissions)])
    enforcer.add_grouping_policies([[f"u{g.user_id}", g.role, g.path + "*"] for g in grants])
    return enforcer


def run(url, checks=20000, seconds=5.0, seed=7):
    root = Path(__file__).resolve().parents[1]
    sys.path[:0] = [str(root), str(root / "src")]
    from union_saas.access.engine import GrantRef, Subject
    from union_saas.access.policy import load_policy

    policy = load_policy(Path(__file__).resolve().parents[1] / "policies")
    grants, paths, max_user = load(url)
    by_user = {}
    for g in grants:
        by_user.setdefault(g.user_id, []).append(GrantRef(*g[:7]))
    rng = random.Random(seed)
    holders = sorted(by_user)
    others = [rng.randint(1, max_user) for _ in range(len(holders))]
    users = holders + [u for u in others if u not in by_user]
    subjects = {u: Subject(SimpleNamespace(id=u, is_operator=False), by_user.get(u, []), policy) for u in users}
    permissions = sorted(policy.permissions)
    # The mix: for admins, half the checks fall inside their tree (answers differ by permission).
    queries = []
    for _ in range(checks):
        user = rng.choice(users)
        if user in by_user and rng.random() < 0.5:
            base = rng.choice(by_user[user]).tenant_path
            inside = [p for p in rng.sample(paths, 200) if p.startswith(base)] or [base]
            path = rng.choice(inside)
        else:
            path = rng.choice(paths)
        queries.append((user, path, rng.choice(permissions)))

    started = time.perf_counter()
    enforcer = build_casbin(grants, policy)
    casbin_load = time.perf_counter() - started

    def measure(fn):
        done, answers = 0, []
        start = time.perf_counter()
        while True:
            for user, path, perm in queries:
                answers.append(fn(user, path, perm))
            done += len(queries)
            elapsed = time.perf_counter() - start
            if elapsed >= seconds:
                return done / elapsed, answers[: len(queries)]

    engine_rate, engine_answers = measure(lambda u, p, perm: subjects[u].can(perm, p))
    casbin_rate, casbin_answers = measure(lambda u, p, perm: enforcer.enforce(f"u{u}", p, perm))
    disagree = sum(a != b for a, b in zip(engine_answers, casbin_answers))
    if disagree:
        raise SystemExit(f"the engines disagree on {disagree} of {len(queries)} checks: the casbin model is wrong")
    # What a request pays once: loading the subject from its grant rows (rows fetched already).
    start = time.perf_counter()
    n = 0
    while time.perf_counter() - start < 1.0:
        for u in holders:
            Subject(None, by_user[u], policy)
            n += 1
    subject_build_us = (time.perf_counter() - start) / n * 1e6
    return {
        "grants": len(grants), "tenants": len(paths), "users_in_mix": len(users), "distinct_checks": len(queries),
        "allowed_share": round(sum(engine_answers) / len(engine_answers), 3),
        "engine_checks_per_s": round(engine_rate), "casbin_checks_per_s": round(casbin_rate),
        "engine_us_per_check": round(1e6 / engine_rate, 2), "casbin_us_per_check": round(1e6 / casbin_rate, 1),
        "ratio": round(engine_rate / casbin_rate, 1), "casbin_load_ms": round(casbin_load * 1000, 1),
        "subject_build_us": round(subject_build_us, 1),
    }


if __name__ == "__main__":
    print(json.dumps(run(os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/bench")), indent=2))
