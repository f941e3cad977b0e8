"""Every API endpoint and management page, called as every caller: the expected status, or a failure.

Domains add their cases in ``tests/<domain>/isolation.py`` as ``CASES``; an endpoint under /api/v1,
/manage or /admin with no case fails ``test_every_guarded_endpoint_is_in_the_matrix``.
"""
import importlib
from pathlib import Path

import pytest

from tests.isolation.world import CALLERS, build_world

TESTS = Path(__file__).resolve().parents[1]
EXEMPT = {"api-docs.openapi_json", "static"}


def all_cases():
    cases = []
    for module in sorted(p.parent.name for p in TESTS.glob("*/isolation.py")):
        cases += importlib.import_module(f"tests.{module}.isolation").CASES
    return cases


CASES = all_cases()


def run_case(case, caller, world, app, db_session, login, api):
    extra = case.setup(world, db_session) if case.setup else {}
    world.extra.update(extra or {})
    path = world.fmt(case.path)
    body = case.body(world) if callable(case.body) else case.body
    user = world.users.get(caller)
    if case.page:
        client = login(user) if user is not None else app.test_client()
        kwargs = {"data": {**(body or {}), **(case.files() if case.files else {})}} if case.method != "GET" else {}
        return client.open(path, method=case.method, **kwargs)
    client = api(user)
    kwargs = {}
    if case.files:
        kwargs["data"] = {**(body or {}), **case.files()}
    elif body is not None:
        kwargs["json"] = body
    return client.open(case.method, path, **kwargs)


@pytest.mark.parametrize("caller", list(CALLERS))
@pytest.mark.parametrize("case", CASES, ids=[f"{c.method} {c.path}{' ' + c.id if c.id else ''}" for c in CASES])
def test_isolation(case, caller, app, db_session, make_tree, make_user, grant, login, api):
    world = build_world(make_tree, make_user, grant)
    response = run_case(case, caller, world, app, db_session, login, api)
    expected = case.expect[caller]
    if case.page and caller == "anonymous" and expected == 401:
        expected = 302
    assert response.status_code == expected, (
        f"{caller} {case.method} {world.fmt(case.path)}: {response.status_code}, expected {expected}: "
        f"{response.get_data(as_text=True)[:300]}")


def test_every_guarded_endpoint_is_in_the_matrix(app):
    covered = {(c.endpoint, c.method) for c in CASES}
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in EXEMPT or not rule.rule.startswith(("/api/v1", "/manage", "/admin")):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if (rule.endpoint, method) not in covered:
                missing.append(f"{method} {rule.rule} ({rule.endpoint})")
    assert not missing, "endpoints missing from the isolation matrix:\n" + "\n".join(missing)
