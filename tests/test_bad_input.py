"""Bad input to the Accounts, Tenants and Grants API (API.md): a 422 or 409 naming each field at fault
(``errors``: field -> messages), as problem+json, and the database exactly as it was.

The world is committed before each call (as a request finds it), so that the rollback a refusal
causes could not hide a partial write: every table is compared row by row before and after.
"""
import json

import pytest
import sqlalchemy as sa

from union_saas.core.db import Base
from union_saas.extensions import db

LONG = "x" * 300


@pytest.fixture
def world(db_session, make_tree, make_user, grant):
    tenants = make_tree("a/a-s1/a-s1-c1", "a/a-s2", "a/a-s3/a-s3-c1", "b/b-s1")
    boss = make_user("boss")
    grant(boss, "federation_admin", tenants["a"])
    both = make_user("both")  # admin of both federations
    grant(both, "federation_admin", tenants["a"])
    grant(both, "federation_admin", tenants["b"])
    street = make_user("street")
    grant(street, "union_admin", tenants["a-s1"], granted_by=boss)
    make_user("plain")
    operator = make_user("operator", operator=True)
    for archived in ("a-s2", "a-s3-c1", "a-s3"):
        tenants[archived].status = "archived"
    db_session.commit()
    return {"tenants": tenants, "boss": boss, "both": both, "street": street, "operator": operator}


def snapshot():
    """Every row of every table (but the sign-in sessions the test's clients open)."""
    session = db.session
    state = {}
    for table in Base.metadata.sorted_tables:
        if table.name == "auth_session":
            continue
        rows = session.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
        state[table.name] = [tuple(row) for row in rows]
    return state


def send(client, method, path, body):
    """``body``: a dict/list/str/number is sent as JSON; bytes are sent raw as application/json."""
    if isinstance(body, bytes):
        return client.open(method, path, data=body, headers={"Content-Type": "application/json"})
    return client.open(method, path, data=json.dumps(body), headers={"Content-Type": "application/json"})


def assert_refused(response, status, *fields):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == status and problem["title"]
    errors = problem.get("errors") or {}
    for name in fields:
        messages = errors.get(name)
        assert messages, f"no message for {name!r} in {errors}"
        assert all(isinstance(m, str) and m.strip() for m in _flat(messages)), errors
    return problem


def _flat(messages):
    if isinstance(messages, dict):
        for value in messages.values():
            yield from _flat(value)
    elif isinstance(messages, list):
        for value in messages:
            yield from _flat(value)
    else:
        yield messages


MALFORMED = [b"{", b"{'slug': 'x'}", b"\xff\xfe", b"[1, 2", b"null x"]
NOT_AN_OBJECT = [[], ["slug"], "slug", 42, None, True]


# --- Accounts -----------------------------------------------------------------------------------------

GOOD_REGISTRATION = {"username": "newcomer", "password": "violet tram harbour ninety", "display_name": "New"}

REGISTER_CASES = [
    ({**GOOD_REGISTRATION, "username": 123}, 422, ["username"]),
    ({**GOOD_REGISTRATION, "password": ["a"]}, 422, ["password"]),
    ({**GOOD_REGISTRATION, "display_name": {"zh": "x"}}, 422, ["display_name"]),
    ({**GOOD_REGISTRATION, "is_operator": True}, 422, ["is_operator"]),
    ({**GOOD_REGISTRATION, "username": "x" * 33}, 422, ["username"]),
    ({**GOOD_REGISTRATION, "display_name": LONG}, 422, ["display_name"]),
    ({**GOOD_REGISTRATION, "password": LONG}, 422, ["password"]),
    ({**GOOD_REGISTRATION, "username": "has space"}, 422, ["username"]),
    ({**GOOD_REGISTRATION, "username": "ab"}, 422, ["username"]),
    ({**GOOD_REGISTRATION, "phone": "12345"}, 422, ["phone"]),
    ({**GOOD_REGISTRATION, "phone": LONG}, 422, ["phone"]),
    ({**GOOD_REGISTRATION, "password": "password"}, 422, ["password"]),
    ({**GOOD_REGISTRATION, "password": "short"}, 422, ["password"]),
    ({"username": "newcomer"}, 422, ["password", "display_name"]),
    ({**GOOD_REGISTRATION, "username": "plain"}, 409, ["username"]),
    ({**GOOD_REGISTRATION, "username": "PLAIN"}, 409, ["username"]),
]


@pytest.mark.parametrize("body,status,fields", REGISTER_CASES)
def test_register_refuses_bad_input(body, status, fields, world, api):
    before = snapshot()
    assert_refused(send(api(), "POST", "/api/v1/auth/register", body), status, *fields)
    assert snapshot() == before


TOKEN_CASES = [
    ({"username": 5, "password": "x"}, ["username"]),
    ({"username": "plain", "password": None}, ["password"]),
    ({"username": "plain", "password": "x", "remember": True}, ["remember"]),
    ({"username": LONG, "password": "x"}, ["username"]),
    ({"username": "plain"}, ["password"]),
]


@pytest.mark.parametrize("body,fields", TOKEN_CASES)
def test_token_refuses_bad_input(body, fields, world, api):
    before = snapshot()
    assert_refused(send(api(), "POST", "/api/v1/auth/token", body), 422, *fields)
    assert snapshot() == before


@pytest.mark.parametrize("path", ["/api/v1/auth/register", "/api/v1/auth/token"])
@pytest.mark.parametrize("body", MALFORMED + NOT_AN_OBJECT, ids=repr)
def test_accounts_refuse_malformed_bodies(path, body, world, api):
    before = snapshot()
    problem = assert_refused(send(api(), "POST", path, body), 422)
    assert problem["errors"], problem
    assert snapshot() == before


# --- Tenants ----------------------------------------------------------------------------------------

GOOD_CHILD = {"slug": "new-union", "name": "New union", "kind": "enterprise"}

CHILD_CASES = [
    ({**GOOD_CHILD, "slug": "New-Union"}, 422, ["slug"]),
    ({**GOOD_CHILD, "slug": "new union"}, 422, ["slug"]),
    ({**GOOD_CHILD, "slug": "-new"}, 422, ["slug"]),
    ({**GOOD_CHILD, "slug": "x" * 64}, 422, ["slug"]),
    ({**GOOD_CHILD, "slug": ""}, 422, ["slug"]),
    ({**GOOD_CHILD, "slug": 7}, 422, ["slug"]),
    ({**GOOD_CHILD, "name": ""}, 422, ["name"]),
    ({**GOOD_CHILD, "name": "x" * 121}, 422, ["name"]),
    ({**GOOD_CHILD, "name": ["x"]}, 422, ["name"]),
    ({**GOOD_CHILD, "kind": "federation"}, 422, ["kind"]),
    ({**GOOD_CHILD, "kind": "club"}, 422, ["kind"]),
    ({**GOOD_CHILD, "kind": None}, 422, ["kind"]),
    ({**GOOD_CHILD, "contact_phone": "call me"}, 422, ["contact_phone"]),
    ({**GOOD_CHILD, "contact_email": "not an address"}, 422, ["contact_email"]),
    ({**GOOD_CHILD, "address": LONG}, 422, ["address"]),
    ({**GOOD_CHILD, "description": "x" * 2001}, 422, ["description"]),
    ({**GOOD_CHILD, "parent": "a"}, 422, ["parent"]),
    ({**GOOD_CHILD, "path": "/1/"}, 422, ["path"]),
    # the slug may be left out (it is made from the name); one given must still be a valid one
    ({"name": "No kind", "slug": "Not A Slug"}, 422, ["slug", "kind"]),
    ({"name": "No kind"}, 422, ["kind"]),
    ({**GOOD_CHILD, "slug": "a-s2"}, 409, ["slug"]),
    ({**GOOD_CHILD, "slug": "b-s1"}, 409, ["slug"]),
]


@pytest.mark.parametrize("body,status,fields", CHILD_CASES)
def test_create_child_refuses_bad_input(body, status, fields, world, api):
    before = snapshot()
    assert_refused(send(api(world["boss"]), "POST", "/api/v1/tenants/a-s1/children", body), status, *fields)
    assert snapshot() == before


def test_no_child_under_an_archived_union(world, api):
    """No field of the body is at fault: the detail says why."""
    before = snapshot()
    client = api(world["boss"])
    response = client.open("POST", "/api/v1/tenants/a-s2/children", json=GOOD_CHILD, headers={"Accept-Language": "en"})
    problem = assert_refused(response, 409)
    assert "archived" in problem["detail"]
    assert snapshot() == before


PATCH_CASES = [
    ({"name": ""}, 422, ["name"]),
    ({"name": "x" * 121}, 422, ["name"]),
    ({"name": 3}, 422, ["name"]),
    ({"status": "deleted"}, 422, ["status"]),
    ({"slug": "renamed"}, 422, ["slug"]),
    ({"kind": "street"}, 422, ["kind"]),
    ({"contact_email": "@"}, 422, ["contact_email"]),
    ({"contact_name": LONG}, 422, ["contact_name"]),
    ({"status": "archived"}, 409, ["status"]),  # a-s1 has an active sub-union
]


@pytest.mark.parametrize("body,status,fields", PATCH_CASES)
def test_patch_refuses_bad_input(body, status, fields, world, api):
    before = snapshot()
    assert_refused(send(api(world["boss"]), "PATCH", "/api/v1/tenants/a-s1", body), status, *fields)
    assert snapshot() == before


def test_a_federation_cannot_be_archived_by_its_admin(world, api):
    before = snapshot()
    assert_refused(send(api(world["boss"]), "PATCH", "/api/v1/tenants/a", {"status": "archived"}), 409, "status")
    assert snapshot() == before


def test_restoring_under_an_archived_parent_is_refused(world, api):
    before = snapshot()
    assert_refused(send(api(world["boss"]), "PATCH", "/api/v1/tenants/a-s3-c1", {"status": "active"}), 409,
                   "status")
    assert snapshot() == before


MOVE_CASES = [
    # (mover, union moved, body, status, fields)
    ("boss", "a-s1", {"parent": "no-such-union"}, 422, ["parent"]),
    ("boss", "a-s1", {"parent": "A-S2"}, 422, ["parent"]),
    ("boss", "a-s1", {"parent": "a s2"}, 422, ["parent"]),
    ("boss", "a-s1", {"parent": 12}, 422, ["parent"]),
    ("boss", "a-s1", {"parent": None}, 422, ["parent"]),
    ("boss", "a-s1", {}, 422, ["parent"]),
    ("boss", "a-s1", {"parent": "a", "keep": True}, 422, ["keep"]),
    ("boss", "a-s1", {"parent": "a-s1"}, 409, ["parent"]),  # into itself
    ("boss", "a-s1", {"parent": "a-s1-c1"}, 409, ["parent"]),  # into its own subtree
    ("boss", "a-s1", {"parent": "b-s1"}, 422, ["parent"]),  # another federation, where boss has no rights
    ("both", "a-s1", {"parent": "b-s1"}, 409, ["parent"]),  # another federation, though both are theirs
    ("both", "a-s1", {"parent": "b"}, 409, ["parent"]),
    ("boss", "a-s1-c1", {"parent": "a-s2"}, 409, ["parent"]),  # an archived parent
    ("boss", "a", {"parent": "a-s1"}, 409, []),  # a federation does not move (the detail says so)
    ("street", "a-s1-c1", {"parent": "a-s2"}, 422, ["parent"]),  # no rights at the new parent
]


@pytest.mark.parametrize("mover,slug,body,status,fields", MOVE_CASES)
def test_move_refuses_bad_input(mover, slug, body, status, fields, world, api):
    before = snapshot()
    assert_refused(send(api(world[mover]), "POST", f"/api/v1/tenants/{slug}/move", body), status, *fields)
    assert snapshot() == before


FEDERATION_CASES = [
    ({"slug": "New Fed", "name": "New", "admin_username": "plain"}, 422, ["slug"]),
    ({"slug": "newfed", "name": "", "admin_username": "plain"}, 422, ["name"]),
    ({"slug": "newfed", "name": "New", "admin_username": 4}, 422, ["admin_username"]),
    ({"slug": "newfed", "name": "New", "admin_username": "plain", "kind": "street"}, 422, ["kind"]),
    ({"slug": "newfed", "name": "New", "admin_username": LONG}, 422, ["admin_username"]),
    ({"slug": "newfed", "name": "New"}, 422, ["admin_username"]),
    ({"slug": "a-s1", "name": "New", "admin_username": "plain"}, 409, ["slug"]),
    ({"slug": "newfed", "name": "New", "admin_username": "nobody"}, 404, ["admin_username"]),
]


@pytest.mark.parametrize("body,status,fields", FEDERATION_CASES)
def test_create_federation_refuses_bad_input(body, status, fields, world, api):
    before = snapshot()
    assert_refused(send(api(world["operator"]), "POST", "/api/v1/admin/federations", body), status, *fields)
    assert snapshot() == before


TENANT_WRITES = [
    ("boss", "POST", "/api/v1/tenants/a-s1/children"),
    ("boss", "PATCH", "/api/v1/tenants/a-s1"),
    ("boss", "POST", "/api/v1/tenants/a-s1/move"),
    ("operator", "POST", "/api/v1/admin/federations"),
    ("boss", "POST", "/api/v1/tenants/a-s1/grants"),
]


@pytest.mark.parametrize("caller,method,path", TENANT_WRITES)
@pytest.mark.parametrize("body", MALFORMED + NOT_AN_OBJECT, ids=repr)
def test_writes_refuse_malformed_bodies(caller, method, path, body, world, api):
    before = snapshot()
    problem = assert_refused(send(api(world[caller]), method, path, body), 422)
    assert problem["errors"], problem
    assert snapshot() == before


# --- Grants -----------------------------------------------------------------------------------------

GRANT_CASES = [
    ({"username": "plain", "role": "no_such_role"}, 422, ["role"]),
    ({"username": "plain", "role": "partner_staff"}, 422, ["role"]),  # not at a street
    ({"username": "plain", "role": ""}, 422, ["role"]),
    ({"username": "plain", "role": LONG}, 422, ["role"]),
    ({"username": "plain", "role": ["union_admin"]}, 422, ["role"]),
    ({"username": 1, "role": "union_officer"}, 422, ["username"]),
    ({"username": LONG, "role": "union_officer"}, 422, ["username"]),
    ({"username": "plain", "role": "union_officer", "tenant": "a"}, 422, ["tenant"]),
    ({"username": "plain", "role": "union_officer", "expires_at": "2030-01-01T00:00:00Z"}, 422, ["expires_at"]),
    ({"role": "union_officer"}, 422, ["username"]),
    ({"username": "nobody", "role": "union_officer"}, 404, ["username"]),
    ({"username": "street", "role": "union_admin"}, 409, ["username"]),  # already holds it here
]


@pytest.mark.parametrize("body,status,fields", GRANT_CASES)
def test_grant_refuses_bad_input(body, status, fields, world, api):
    before = snapshot()
    assert_refused(send(api(world["boss"]), "POST", "/api/v1/tenants/a-s1/grants", body), status, *fields)
    assert snapshot() == before


QUERY_CASES = [
    ("/api/v1/tenants/a-s1/grants?include=everything", ["include"]),
    ("/api/v1/tenants/a-s1/grants?per_page=201", ["per_page"]),
    ("/api/v1/tenants/a-s1/grants?per_page=0", ["per_page"]),
    ("/api/v1/tenants/a-s1/grants?page=first", ["page"]),
    ("/api/v1/tenants/a-s1/audit?page=0", ["page"]),
    ("/api/v1/tenants/a-s1/children?per_page=-1", ["per_page"]),
    ("/api/v1/tenants/a-s1/access/explain?username=street", ["permission"]),
    ("/api/v1/tenants/a-s1/access/explain?username=street&permission=fly", ["permission"]),
    ("/api/v1/tenants/a-s1/access/explain?permission=member.view", ["username"]),
]


@pytest.mark.parametrize("path,fields", QUERY_CASES)
def test_queries_refuse_bad_arguments(path, fields, world, api):
    before = snapshot()
    assert_refused(api(world["boss"]).get(path), 422, *fields)
    assert snapshot() == before


def test_revoking_twice_finds_nothing_the_second_time(world, api, db_session):
    from union_saas.access.models import Grant

    grant_id = db_session.scalar(sa.select(Grant.id).where(Grant.user_id == world["street"].id))
    client = api(world["boss"])
    assert client.delete(f"/api/v1/grants/{grant_id}").status_code == 204
    before = snapshot()
    assert_refused(client.delete(f"/api/v1/grants/{grant_id}"), 404)
    assert_refused(client.delete(f"/api/v1/grants/{2**31}"), 404)
    assert snapshot() == before


# --- NUL characters (PostgreSQL cannot store or even compare them: they used to answer 500) ------------

NUL_CASES = [
    ("boss", "GET", "/api/v1/tenants/a%00b", None, 404, []),
    ("boss", "GET", "/api/v1/tenants/a%00b/children", None, 404, []),
    ("boss", "POST", "/api/v1/tenants/a-s1%00/grants", {"username": "plain", "role": "union_officer"}, 404, []),
    ("boss", "GET", "/api/v1/jobs/a%00b", None, 404, []),
    (None, "POST", "/api/v1/auth/token", {"username": "pl\x00ain", "password": "x"}, 422, ["username"]),
    (None, "POST", "/api/v1/auth/register", {**GOOD_REGISTRATION, "display_name": "New\x00"}, 422, ["display_name"]),
    ("boss", "GET", "/api/v1/tenants/a/access/explain?username=a%00b&permission=member.view", None, 422,
     ["username"]),
    ("boss", "POST", "/api/v1/tenants/a/grants", {"username": "pl\x00ain", "role": "union_officer"}, 422,
     ["username"]),
    ("boss", "POST", "/api/v1/tenants/a-s1/move", {"parent": "a\x00"}, 422, ["parent"]),
    ("boss", "PATCH", "/api/v1/tenants/a-s1", {"name": "Renamed\x00"}, 422, ["name"]),
    ("boss", "POST", "/api/v1/tenants/a-s1/children", {**GOOD_CHILD, "address": "\x00"}, 422, ["address"]),
    ("operator", "POST", "/api/v1/admin/federations", {"slug": "nf", "name": "N", "admin_username": "\x00"}, 422,
     ["admin_username"]),
]


@pytest.mark.parametrize("caller,method,path,body,status,fields", NUL_CASES)
def test_nul_characters_are_refused(caller, method, path, body, status, fields, world, api):
    before = snapshot()
    client = api(world[caller] if caller else None)
    assert_refused(client.open(method, path, json=body), status, *fields)
    assert snapshot() == before


def test_pages_refuse_nul_characters_too(world, client):
    before = snapshot()
    response = client.post("/login", data={"username": "pl\x00ain", "password": "x"})
    assert response.status_code == 422
    assert client.get("/t/a%00").status_code == 404
    assert snapshot() == before


def test_ids_beyond_an_integer_column_name_nothing(world, api, app):
    """2**31 and above: 404 like any unknown id, for every method of a path (not 405, not 500)."""
    from union_saas.core.web import IdConverter

    assert app.url_map.converters["int"] is IdConverter
    client = api(world["boss"])
    before = snapshot()
    for grant_id in (2**31, 10**30):
        assert_refused(client.delete(f"/api/v1/grants/{grant_id}"), 404)
    assert snapshot() == before
