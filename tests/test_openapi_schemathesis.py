"""schemathesis over /api/v1/openapi.json: no 5xx, and every answer is one the document promises.

Every operation is called with generated input (valid and invalid), signed in as a federation admin and
as a plain user (and the operator's /admin operations as the operator), against a seeded world
(federation ``fed`` with a few unions, another federation ``other``). Path parameters, query and body fields that name things (slug, parent, grant_id, job_id, username,
role, permission) are drawn half of the time from what exists (the seeded slugs, a live grant, the
admin's job, the seeded users, the roles and permissions of policies/), so that the calls reach the
views' rules and not only the 404 of an unknown slug.

The document served keeps a ``default`` problem+json response; the copy tested here drops it, so that a
status the API really answers but the operation does not list is a failure, not a pass.

The world is made once for the module; each test runs in a savepoint of it and each example in a savepoint
of that, rolled back afterwards: every call sees the same seeded world.
"""
import os
from contextlib import contextmanager

import schemathesis
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import granter, module_fixtures, tree_maker, user_maker
from union_saas.access import engine
from union_saas.accounts.services import issue_token
from union_saas.core.db import Base
from union_saas.core.jobs import JobRecord
from union_saas.extensions import db, limiter

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Every run: the schema's examples and 4 generated cases an operation as the federation admin and the
# operator, whose input reaches the views' rules, 1 as the plain user, whom the guards refuse first (the
# suite's 15-minute budget on 2 CPUs, 2026-12). Schemathesis's coverage phase (boundary and invalid values
# for every field, deterministic: 30 to 150 calls an operation) is the deeper run, with more examples:
# SCHEMATHESIS_COVERAGE=1 SCHEMATHESIS_MAX_EXAMPLES=500 make test PYTEST_ARGS=tests/test_openapi_schemathesis.py
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "4"))
REFUSED_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "1"))
COVERAGE = os.environ.get("SCHEMATHESIS_COVERAGE", "") not in ("", "0")
SEEDED = {}  # what the hooks draw from; filled by the ``world`` fixture


def seed_world(session):
    """The world every example of the module runs in, made once (each test in a savepoint above it)."""
    tenants = tree_maker(session)("fed/fed-s1/fed-s1-c1", "fed/fed-s1/fed-s1-c2", "fed/fed-s2", "other/other-s1",
                                  kinds={"fed-s1-c2": "enterprise"})
    make_user, grant = user_maker(session), granter(session)
    admin = make_user("fed-admin")
    grant(admin, "federation_admin", tenants["fed"])
    other_admin = make_user("other-admin")
    grant(other_admin, "federation_admin", tenants["other"])
    plain = make_user("plain-user")
    officer = make_user("officer")
    live = grant(officer, "union_officer", tenants["fed-s1"], granted_by=admin)
    job = JobRecord(kind="union_saas.tenancy.tasks:import_tree", owner_id=admin.id, tenant_id=tenants["fed"].id,
                    status="finished", progress=100, result={"created": 0})
    session.add(job)
    session.flush()
    SEEDED.clear()
    usernames = ["fed-admin", "plain-user", "officer", "other-admin"]
    SEEDED.update(slug=sorted(tenants), parent=sorted(tenants), grant_id=[live.id], job_id=[job.id],
                  username=usernames, admin_username=usernames, role=sorted(engine.policy().roles),
                  permission=sorted(engine.policy().permissions))
    operator = make_user("the-operator", operator=True)
    users = {"admin": admin, "plain": plain, "operator": operator}
    headers = {name: {"Authorization": f"Bearer {issue_token(session, user, 3600)[0]}"} for name, user in users.items()}
    session.flush()
    return {**headers, "rows": row_counts()}


# Built once for the module (it was a third of each test's time); every example sees the same.
seeded, world, db_session = module_fixtures(seed_world)


_COUNTS = sa.union_all(*(sa.select(sa.literal(table.name).label("name"), sa.func.count().label("n"))
                         .select_from(table) for table in Base.metadata.sorted_tables))


def row_counts():
    """Rows per table, read on the test's connection outside any session (one query: it runs after
    every example)."""
    return dict(db.session.get_bind().execute(_COUNTS).all())


def known_values(values):
    """As generated, or (as likely) with the fields that name things replaced by names that exist."""
    if not isinstance(values, dict):
        return st.just(values)
    choices = {name: st.sampled_from(SEEDED[name]) for name in values if name in SEEDED}
    if not choices:
        return st.just(values)
    return st.one_of(st.just(values), st.fixed_dictionaries(choices).map(lambda drawn: {**values, **drawn}))


def flatmap_path_parameters(context, path_parameters):
    return known_values(path_parameters)


def flatmap_query(context, query):
    return known_values(query)


def flatmap_body(context, body):
    return known_values(body)


def load_schema():
    """The served document, read from an app built for the purpose (no database needed to serve it)."""
    from union_saas import create_app

    with create_app("testing", DATABASE_URL="sqlite://").test_client() as client:
        raw = client.get("/api/v1/openapi.json").get_json()
    for operations in raw["paths"].values():
        for name, operation in operations.items():
            if name != "parameters":
                operation["responses"].pop("default", None)
    loaded = schemathesis.openapi.from_dict(raw)
    loaded.config.generation.update(max_examples=MAX_EXAMPLES)
    loaded.config.phases.coverage.enabled = COVERAGE
    for hook in (flatmap_path_parameters, flatmap_query, flatmap_body):
        loaded.hook(hook)
    return loaded


schema = load_schema()


@contextmanager
def rolled_back():
    """Run one example in a savepoint of the test's connection, then undo everything it wrote."""
    connection = db.session.get_bind()
    savepoint = connection.begin_nested()
    limiter.reset()
    try:
        yield
    finally:
        db.session.remove()
        savepoint.rollback()


def call(case, world, caller, app):
    with rolled_back():
        case.call_and_validate(headers=world[caller], checks=CHECKS, app=app)
    assert row_counts() == world["rows"], "an example left rows behind"


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_api_as_federation_admin(case, world, app):
    call(case, world, "admin", app)


@schema.parametrize()
@settings(max_examples=REFUSED_EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_api_as_plain_user(case, world, app):
    call(case, world, "plain", app)


@schema.include(path_regex="^/api/v1/admin/").parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_admin_api_as_operator(case, world, app):
    call(case, world, "operator", app)


def test_the_document_lists_the_guards_answers(app):
    """Guarded operations document 401 (and 403/404 where a tenant guard may refuse), as problem+json."""
    with app.test_client() as client:
        doc = client.get("/api/v1/openapi.json").get_json()
    grants = doc["paths"]["/api/v1/tenants/{slug}/grants"]["post"]["responses"]
    for status in ("401", "403", "404", "409", "422"):
        response = grants[status]
        if "$ref" in response:
            response = doc["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
        assert list(response["content"]) == ["application/problem+json"], status
    assert doc["paths"]["/api/v1/grants/{grant_id}"]["parameters"][0]["schema"]["maximum"] == 2**31 - 1
    assert "401" not in doc["paths"]["/api/v1/auth/register"]["post"]["responses"]
