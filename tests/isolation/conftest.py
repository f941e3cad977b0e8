"""The isolation matrix runs thousands of requests in one world: built once per module, inside a transaction
that is rolled back at its end; each test runs in a savepoint of it (what a case changes, it changes alone)."""
from collections.abc import Mapping

import pytest

from tests.conftest import module_world, rolled_back_connection, savepoint_session
from tests.isolation.world import World, build_world_in


@pytest.fixture(scope="module")
def world_connection(app):
    with rolled_back_connection(app) as connection:
        yield connection


def _world_ids(session):
    world = build_world_in(session)
    return {slug: t.id for slug, t in world.tenants.items()}, {name: u.id for name, u in world.users.items()}


@pytest.fixture(scope="module")
def world_ids(app, world_connection):
    """The world's tenants and callers, made once for the module (ids only: each test loads its own)."""
    with module_world(app, world_connection, _world_ids) as ids:
        yield ids


@pytest.fixture(autouse=True)
def db_session(app, world_connection):
    """This package's tests run in a savepoint of the module's world, rolled back after each."""
    with savepoint_session(app, world_connection) as session:
        yield session


@pytest.fixture
def world(db_session, world_ids):
    from union_saas.accounts.models import User
    from union_saas.tenancy.models import Tenant

    tenant_ids, user_ids = world_ids
    return World(Loaded(db_session, Tenant, tenant_ids), Loaded(db_session, User, user_ids))


class Loaded(Mapping):
    """The world's rows by name, each loaded when a case first asks for it: a case names two or three of the
    fifty, and loading them all took as long as the request itself."""

    def __init__(self, session, model, ids):
        self.session, self.model, self.ids, self.rows = session, model, ids, {}

    def __getitem__(self, name):
        if name not in self.rows:
            self.rows[name] = self.session.get(self.model, self.ids[name])
        return self.rows[name]

    def __iter__(self):
        return iter(self.ids)

    def __len__(self):
        return len(self.ids)


@pytest.fixture
def login(app, db_session):
    """A page client signed in as ``user``, as ``accounts.auth.sign_in`` leaves a browser (a page session
    opened, its credential in the cookie session), without the sign-in form's request: the matrix makes
    thousands of page calls, and the form itself is tested in tests/accounts."""
    # what Flask-Login's "strong" session protection compares with the request's
    from flask_login.utils import _create_identifier

    from union_saas.accounts import services
    from union_saas.accounts.auth import remember_seconds

    def sign_in(user):
        client = app.test_client()
        with app.test_request_context(environ_base=client.environ_base):
            _row, credential = services.open_session(db_session, user, "page", remember_seconds())
            identifier = _create_identifier()
        with client.session_transaction() as session:
            session.update(_user_id=credential, _fresh=True, _id=identifier)
        return client

    return sign_in
