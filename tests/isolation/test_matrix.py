"""Every route of the app, called as every caller: the expected status, or a failure.

Domains add their cases in ``tests/<domain>/isolation.py`` as ``CASES``. The routes and resources come from
the app itself: a route (page or API, member-facing or management) with no case fails
``test_every_route_is_in_the_matrix``, a registered resource no case exercises fails
``test_every_resource_is_in_the_matrix``; the members' expectations follow from each route's declared
access (``expected``), so a route's declaration and its behaviour are checked against each other.
"""
import importlib
from pathlib import Path

import pytest

from tests.conftest import savepoint_session
from tests.isolation.conftest import world_in
from tests.isolation.world import ALL_CALLERS, MEMBERS, REACHED
from union_saas.access import resources

TESTS = Path(__file__).resolve().parents[1]
EXEMPT = {"api-docs.openapi_json", "static"}


def all_cases():
    cases = []
    for module in sorted(p.parent.name for p in TESTS.glob("*/isolation.py")):
        cases += importlib.import_module(f"tests.{module}.isolation").CASES
    return cases


CASES = all_cases()


def call(case, caller, world, app, login, api):
    """``caller``'s request of ``case``, in the world its setup left."""
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


def declared_access(app, endpoint):
    view = app.view_functions[endpoint]
    kind, permission = getattr(view, "access", (None, None))
    return kind, permission, getattr(view, "resource", None)


def expected(app, case, caller):
    """What ``caller`` must get: the case says it, or (a member) the route's declaration does."""
    if caller in case.expect:
        return case.expect[caller]
    if case.members and caller in case.members:
        return case.members[caller]
    kind, permission, _resource = declared_access(app, case.endpoint)
    if kind in ("tenant", "operator") or (kind == "record" and permission is not None):
        return 404  # members hold no role: management answers them as it answers strangers
    if kind == "record" and case.audience is not None:
        return (case.member_ok or case.expect["own_admin"]) if caller in REACHED[case.audience] else 404
    if kind == "record":
        return 404  # a record with no audience (a job, a report...) is seen by its people only
    return case.expect["plain"]


@pytest.mark.parametrize("case", CASES, ids=[f"{c.method} {c.path}{' ' + c.id if c.id else ''}" for c in CASES])
def test_isolation(case, app, db_session, world, world_ids, seeded, login, api):
    """Every caller's request, each in a savepoint above what the case's setup made (once for all of them:
    the setup was most of a case's time): whatever one caller changes, the next does not see."""
    extra = case.setup(world, db_session) if case.setup else {}
    world.extra.update(extra or {})
    db_session.flush()
    wrong = []
    for caller in ALL_CALLERS:
        with savepoint_session(app, seeded[0]) as session:
            response = call(case, caller, world_in(session, world_ids, world.extra), app, login, api)
        expected_status = expected(app, case, caller)
        if case.page and caller == "anonymous" and expected_status == 401:
            expected_status = 302
        if response.status_code != expected_status:
            wrong.append(f"{caller} {case.method} {world.fmt(case.path)}: {response.status_code}, expected "
                         f"{expected_status}: {response.get_data(as_text=True)[:300]}")
    assert not wrong, "\n".join(wrong)


def test_every_route_is_in_the_matrix(app):
    covered = {(c.endpoint, c.method) for c in CASES}
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in EXEMPT or rule.endpoint.endswith(".static"):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if (rule.endpoint, method) not in covered:
                missing.append(f"{method} {rule.rule} ({rule.endpoint})")
    assert not missing, "routes missing from the isolation matrix:\n" + "\n".join(missing)


def test_every_resource_is_in_the_matrix(app):
    exercised = {declared_access(app, c.endpoint)[2] for c in CASES}
    missing = sorted(set(resources.REGISTRY) - exercised)
    assert not missing, "resources no route of the matrix loads: " + ", ".join(missing)


def test_every_case_knows_what_every_caller_gets(app):
    for case in CASES:
        for caller in ALL_CALLERS:
            assert expected(app, case, caller) is not None, (case.endpoint, caller)
    assert set(MEMBERS) <= set(ALL_CALLERS)
