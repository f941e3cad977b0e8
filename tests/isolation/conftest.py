"""The isolation matrix runs thousands of requests in one world: built once per module, inside a transaction
that is rolled back at its end; each test runs in a savepoint of it (what a case changes, it changes alone)."""
from collections.abc import Mapping

import pytest

from tests.conftest import module_fixtures
from tests.isolation.world import World, build_world_in
from union_saas.extensions import db


def _world_ids(session):
    """The world's tenants and callers (ids only: each test loads what it names)."""
    world = build_world_in(session)
    return {slug: t.id for slug, t in world.tenants.items()}, {name: u.id for name, u in world.users.items()}


# made once for the module, each test in a savepoint of it
seeded, world_ids, db_session = module_fixtures(_world_ids)


def world_in(session, world_ids, extra=None):
    """The world as ``session`` sees it (its rows loaded when a case names them)."""
    from union_saas.accounts.models import User
    from union_saas.tenancy.models import Tenant

    tenant_ids, user_ids = world_ids
    return World(Loaded(session, Tenant, tenant_ids), Loaded(session, User, user_ids), dict(extra or {}))


@pytest.fixture
def world(db_session, world_ids):
    return world_in(db_session, world_ids)


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
def login(app):
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
            _row, credential = services.open_session(db.session, user, "page", remember_seconds())
            identifier = _create_identifier()
        with client.session_transaction() as session:
            session.update(_user_id=credential, _fresh=True, _id=identifier)
        return client

    return sign_in
