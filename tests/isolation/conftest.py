"""The isolation matrix runs thousands of requests in one world: built once per module, inside a transaction
that is rolled back at its end; each test runs in a savepoint of it (what a case changes, it changes alone)."""
import pytest
from sqlalchemy.orm import Session

from tests.conftest import session_bound_to
from tests.isolation.world import World, build_world_in
from union_saas.extensions import db


@pytest.fixture(scope="module")
def world_connection(app):
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        try:
            yield connection
        finally:
            outer.rollback()
            connection.close()


@pytest.fixture(scope="module")
def world_ids(app, world_connection):
    """The world's tenants and callers, made once for the module (ids only: each test loads its own)."""
    with app.app_context():
        session = Session(bind=world_connection, join_transaction_mode="create_savepoint")
        try:
            world = build_world_in(session)
            ids = ({slug: t.id for slug, t in world.tenants.items()}, {name: u.id for name, u in world.users.items()})
            session.commit()
        finally:
            session.close()
    return ids


@pytest.fixture(autouse=True)
def db_session(app, world_connection):
    """This package's tests run in a savepoint of the module's world, rolled back after each."""
    with app.app_context():
        savepoint = world_connection.begin_nested()
        try:
            with session_bound_to(world_connection) as session:
                yield session
        finally:
            if savepoint.is_active:
                savepoint.rollback()


@pytest.fixture
def world(db_session, world_ids):
    from union_saas.accounts.models import User
    from union_saas.tenancy.models import Tenant

    tenant_ids, user_ids = world_ids
    return World({slug: db_session.get(Tenant, tid) for slug, tid in tenant_ids.items()},
                 {name: db_session.get(User, uid) for name, uid in user_ids.items()})
