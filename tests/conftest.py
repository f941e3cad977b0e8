"""Fixtures: the app, a database whose writes each test discards, factories, clients, query counts.

SQLite by default; PostgreSQL and Redis when TEST_DATABASE_URL / TEST_REDIS_URL are set (CI sets both).
"""
import itertools
import os
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import g, has_app_context
from flask.testing import FlaskClient
from flask_sqlalchemy.session import Session as FlaskSession

from union_saas import create_app
from union_saas.access import engine
from union_saas.access.models import Grant
from union_saas.accounts.models import User
from union_saas.accounts.services import issue_token
from union_saas.extensions import db, limiter
from union_saas.tenancy import services as tenancy
from union_saas.tenancy.models import Tenant

REPO = Path(__file__).resolve().parents[1]  # the repository (tests, bench and docs live beside the package)
PASSWORD = "correct horse battery staple"
_ids = itertools.count(1)


def database_url(tmp_path_factory):
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.db")


class CommittingClient(FlaskClient):
    """Commits what the test wrote before each request, as a real client would only see committed data.

    (Commits are savepoint releases inside the test's outer transaction, rolled back at the end; without
    this, a request that fails and rolls back would also undo the test's own setup.)
    """

    def open(self, *args, **kwargs):
        if has_app_context():  # a thread of a concurrency test has none, and nothing of the test's to commit
            db.session.commit()
        return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    overrides = {"DATABASE_URL": database_url(tmp_path_factory)}
    if os.environ.get("TEST_REDIS_URL"):
        overrides.update(REDIS_URL=os.environ["TEST_REDIS_URL"], JOBS_INLINE=False)
    app = create_app("testing", **overrides)
    app.test_client_class = CommittingClient
    if os.environ.get("TEST_REDIS_URL"):
        from redis import Redis

        Redis.from_url(os.environ["TEST_REDIS_URL"]).flushdb()  # a test database of its own
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


class ConnectionBoundSession(FlaskSession):
    """Flask-SQLAlchemy's session picks an engine even when bound to a connection: honour the binding."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        return bind or self.bind or super().get_bind(mapper, clause, bind, **kwargs)


@pytest.fixture(autouse=True)
def db_session(app):
    """Each test runs inside one outer transaction, rolled back at the end; commits become savepoints."""
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        db.session = db._make_scoped_session({"bind": connection, "join_transaction_mode": "create_savepoint",
                                              "class_": ConnectionBoundSession})
        limiter.reset()
        try:
            yield db.session
        finally:
            db.session.remove()
            db.session = original
            outer.rollback()
            connection.close()
            g.pop("access_subjects", None)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_user(db_session):
    def make(username=None, *, display_name=None, operator=False, **fields):
        username = username or f"user{next(_ids)}"
        user = User(username=username, display_name=display_name or username.title(), is_operator=operator,
                    password_hash=_password_hash(), **fields)
        db_session.add(user)
        db_session.flush()
        return user

    return make


_HASH = []


def _password_hash():
    if not _HASH:
        from werkzeug.security import generate_password_hash

        _HASH.append(generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000"))
    return _HASH[0]


KIND_BY_DEPTH = {0: "federation", 1: "street", 2: "community"}


@pytest.fixture
def make_tree(db_session):
    """``make_tree("fed/street/community", "fed/other")``: slug -> Tenant, parents created once."""

    def make(*paths, kinds=None):
        kinds = kinds or {}
        made = {}
        for path in paths:
            parent = None
            for depth, slug in enumerate(path.split("/")):
                tenant = made.get(slug) or db_session.scalar(sa.select(Tenant).where(Tenant.slug == slug))
                if tenant is None:
                    kind = kinds.get(slug) or KIND_BY_DEPTH.get(depth, "enterprise")
                    if parent is None:
                        tenant = tenancy.create_federation(db_session, None, slug=slug, name=slug.title())
                    else:
                        tenant = tenancy.create_child(db_session, None, parent, slug=slug, name=slug.title(), kind=kind)
                made[slug] = parent = tenant
        return made

    return make


@pytest.fixture
def grant(db_session):
    def give(user, role, tenant, granted_by=None):
        row = Grant(user_id=user.id, role=role, tenant_id=tenant.id, root_id=tenant.root_id,
                    granted_by_id=granted_by.id if granted_by else None)
        db_session.add(row)
        db_session.flush()
        engine.forget()
        return row

    return give


class ApiClient:
    """A test client that sends a bearer token for ``user`` (or none)."""

    def __init__(self, app, user=None):
        self.client = app.test_client()
        self.headers = {}
        if user is not None:
            token, _ = issue_token(db.session, user, 3600)
            db.session.commit()  # the token's row, for requests in other threads too
            self.headers["Authorization"] = f"Bearer {token}"

    def open(self, method, path, **kwargs):
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return self.client.open(path, method=method, headers=headers, **kwargs)

    def get(self, path, **kw):
        return self.open("GET", path, **kw)

    def post(self, path, **kw):
        return self.open("POST", path, **kw)

    def patch(self, path, **kw):
        return self.open("PATCH", path, **kw)

    def delete(self, path, **kw):
        return self.open("DELETE", path, **kw)


@pytest.fixture
def api(app):
    return lambda user=None: ApiClient(app, user)


@pytest.fixture
def login(app):
    """A page client signed in as ``user`` (through the sign-in form)."""

    def sign_in(user):
        client = app.test_client()
        response = client.post("/login", data={"username": user.username, "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client

    return sign_in


class QueryCounter:
    def __init__(self):
        self.statements = []

    @property
    def count(self):
        return len(self.statements)

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
            self.statements.append(statement)


@pytest.fixture
def count_queries(app):
    @contextmanager
    def counting():
        counter = QueryCounter()
        sa.event.listen(db.engine, "before_cursor_execute", counter)
        try:
            yield counter
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", counter)

    return counting


@pytest.fixture
def queries_of(count_queries):
    """``queries_of(call, ...)``: each call must answer 200; returns how many statements each issued."""

    def measure(*calls):
        counts = []
        for call in calls:
            with count_queries() as counter:
                response = call()
                assert response.status_code == 200, response.get_data(as_text=True)[:300]
            counts.append(counter.count)
        return counts

    return measure


def is_postgres():
    return os.environ.get("TEST_DATABASE_URL", "").startswith("postgres")


@pytest.fixture
def make_member(db_session):
    """``make_member(user, tenant, status="active")``: a membership row, as the members domain keeps them."""
    from union_saas.members.models import Membership

    def make(user, tenant, status="active"):
        row = Membership(user_id=user.id, tenant_id=tenant.id, root_id=tenant.root_id, status=status)
        db_session.add(row)
        db_session.flush()
        return row

    return make


@pytest.fixture
def run_jobs(app):
    """Run the jobs queued so far: on Redis with an in-process RQ worker, or (inline mode) nothing to do."""

    def drain():
        from rq import SimpleWorker

        from union_saas.core.jobs import QUEUES, get_queue, redis_connection

        connection = redis_connection()
        if connection is None:
            return
        SimpleWorker([get_queue(name) for name in QUEUES], connection=connection).work(burst=True)

    return drain


@pytest.fixture
def committed(app, db_session):
    """For threads that need real commits: ``db.session`` (and ``committed.session``) commits for real, in every
    thread, instead of the test's rolled-back one; every row that refers to a tenant under ``committed.roots``
    or a user in ``committed.users`` is deleted afterwards, whatever table it is in."""
    from types import SimpleNamespace

    test_session = db.session
    db.session = session = db._make_scoped_session({})
    made = SimpleNamespace(session=session, roots=[], users=[])
    try:
        yield made
    finally:
        session.rollback()
        tenant_ids = list(session.scalars(sa.select(Tenant.id).where(Tenant.root_id.in_(made.roots or [0]))))
        refs = {"tenant": tenant_ids, "user": made.users}
        for table in reversed(db.metadata.sorted_tables):
            clauses = [column.in_(refs[fk.column.table.name]) for column in table.columns for fk in column.foreign_keys
                       if fk.column.table.name in refs and refs[fk.column.table.name] and table.name not in refs]
            if clauses:
                session.execute(table.delete().where(sa.or_(*clauses)))
        session.execute(sa.update(Tenant).where(Tenant.id.in_(tenant_ids or [0])).values(parent_id=None, root_id=None))
        session.execute(sa.delete(Tenant).where(Tenant.id.in_(tenant_ids or [0])))
        session.execute(sa.delete(User).where(User.id.in_(made.users or [0])))
        session.commit()
        session.remove()
        db.session = test_session
