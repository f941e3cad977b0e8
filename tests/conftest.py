"""Fixtures: the app, a database whose writes each test discards, factories, clients, query counts.

SQLite by default; PostgreSQL and Redis when TEST_DATABASE_URL / TEST_REDIS_URL are set (CI sets both).

Under pytest-xdist (``make test`` runs ``-n auto``) each worker has a database of its own: a SQLite file
in its own tmp folder; on PostgreSQL ``<name>_gw0``, ``<name>_gw1``... made next to TEST_DATABASE_URL's
database (created at the start of the session and dropped at its end); on Redis the db number of
TEST_REDIS_URL plus the worker's index. Uploads and other instance/ files go to the session's tmp folder.
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

# Flask-Limiter's one ``limiter`` counts in the storage of the last app it was initialised with: an app a test
# makes with the production settings (rate limits in REDIS_URL, Redis db 0) would move every later test's
# counters there, shared by the xdist workers (whose users have the same ids) and with every other run on
# that Redis. Apps made in tests count in their own process.
os.environ.setdefault("RATELIMIT_STORAGE_URI", "memory://")

REPO = Path(__file__).resolve().parents[1]  # the repository (tests, bench and docs live beside the package)
PASSWORD = "correct horse battery staple"
_ids = itertools.count(1)


def pytest_xdist_auto_num_workers(config):
    """``-n auto``: one worker a CPU on SQLite (CPU-bound); on PostgreSQL one and a half a CPU (at least a
    CPU and one), never more than the Redis dbs from TEST_REDIS_URL's number up.

    On PostgreSQL one worker alone keeps about 0.65 of a CPU busy (itself and its server process; the rest
    of the time it waits for round trips). Measured on 2 CPUs (whole suite, runs made back to back): 2
    workers 524 s, 3 workers 562-568 s, 4 workers 547-579 s, 6 workers 761 s, on a machine that other
    runs kept busy; every worker added costs 15-25 s of CPU (its own collection, app and caches), so past
    the point where the CPUs are full more workers only slow the run down.
    """
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    workers = max(cpus + 1, cpus * 3 // 2) if is_postgres() else cpus
    left = _redis_dbs_left()
    return max(1, min(workers, left if left is not None else workers))


def _redis_dbs_left(url=None):
    """How many Redis dbs there are from ``url``'s (TEST_REDIS_URL's) number up; None: no Redis, or it
    does not say."""
    from urllib.parse import urlsplit

    url = url or os.environ.get("TEST_REDIS_URL")
    if not url:
        return None
    from redis import Redis
    from redis.exceptions import RedisError

    parts = urlsplit(url)
    connection = Redis.from_url(parts._replace(path="/0").geturl(), socket_connect_timeout=1)
    try:
        count = int(connection.config_get("databases").get("databases", 0))
    except (RedisError, ValueError):  # no Redis, or CONFIG switched off
        return None
    finally:
        connection.close()
    return count - int(parts.path.strip("/") or 0)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """Browser tests share one worker (its server thread, its browser and the screenshots folder); so do the
    fault tests (one stack of gunicorn, workers and a Redis of their own, started once)."""
    for item in items:
        if item.get_closest_marker("xdist_group"):
            continue
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.xdist_group("browser"))
        elif "/tests/faults/" in str(item.path):
            item.add_marker(pytest.mark.xdist_group("faults"))


def pytest_collection_finish(session):
    """pytest-xdist runs two tests of one id as one: refuse such a collection (pytest 9.2 builds ids from the
    function's name alone, so schemathesis's tests, one per API operation, would share one)."""
    from collections import Counter

    twice = [nodeid for nodeid, n in Counter(item.nodeid for item in session.items).items() if n > 1]
    if twice:
        raise pytest.UsageError(f"{len(twice)} test ids name several tests each, e.g. {twice[0]}")


def xdist_worker():
    """The pytest-xdist worker running this session ("gw0", "gw1"...), or None without workers."""
    return os.environ.get("PYTEST_XDIST_WORKER")


def worker_index():
    worker = xdist_worker()
    return int(worker.removeprefix("gw")) if worker else 0


def postgres_admin_engine(url):
    return sa.create_engine("postgresql+psycopg://" + url.split("://", 1)[1], isolation_level="AUTOCOMMIT",
                            poolclass=sa.pool.NullPool)


@pytest.fixture(scope="session")
def database(tmp_path_factory):
    """The URL of this session's database, used by nobody else at the same time.

    SQLite: a file in the session's (the worker's) tmp folder. PostgreSQL: TEST_DATABASE_URL itself, or
    under pytest-xdist a database of the worker's own beside it (``test_gw0``), made anew and dropped
    at the end.
    """
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        yield "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.db")
        return
    if not xdist_worker() or not is_postgres():
        yield url
        return
    base = sa.engine.make_url(url)
    name = f"{base.database}_{xdist_worker()}"
    admin = postgres_admin_engine(url)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE template0')
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def redis_url():
    """TEST_REDIS_URL, with the worker's index added to its db number under pytest-xdist."""
    url = os.environ.get("TEST_REDIS_URL")
    if not url or not xdist_worker():
        return url
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{base + worker_index()}"))


@pytest.fixture(scope="session", autouse=True)
def instance_folder(tmp_path_factory):
    """The apps made by the tests keep their files (uploads, ...) in the session's tmp folder, not in the
    repository's instance/ that workers and other runs share."""
    folder = tmp_path_factory.mktemp("instance")
    before = os.environ.get("UNION_SAAS_INSTANCE")
    os.environ["UNION_SAAS_INSTANCE"] = str(folder)
    yield folder
    if before is None:
        os.environ.pop("UNION_SAAS_INSTANCE", None)
    else:
        os.environ["UNION_SAAS_INSTANCE"] = before


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
def app(database, instance_folder):
    overrides = {"DATABASE_URL": database}
    redis = redis_url()
    if redis:
        overrides.update(REDIS_URL=redis, JOBS_INLINE=False)
    app = create_app("testing", **overrides)
    app.test_client_class = CommittingClient
    if redis:
        from redis import Redis

        _check_redis_db(redis)
        Redis.from_url(redis).flushdb()  # a test database of its own
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


def _check_redis_db(url):
    """A worker's db number past the server's last one is an error that names the way out."""
    from urllib.parse import urlsplit

    db = int(urlsplit(url).path.strip("/") or 0)
    left = _redis_dbs_left(url)
    if left is not None and left <= 0:
        pytest.fail(f"{url}: Redis has no db {db}; under pytest-xdist each worker adds its index to "
                    f"TEST_REDIS_URL's db number: choose a lower one, or fewer workers (-n)", pytrace=False)


class ConnectionBoundSession(FlaskSession):
    """Flask-SQLAlchemy's session picks an engine even when bound to a connection: honour the binding."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        return bind or self.bind or super().get_bind(mapper, clause, bind, **kwargs)


@contextmanager
def session_bound_to(connection):
    """``db.session`` bound to ``connection`` (commits become savepoints) while the block runs."""
    original = db.session
    db.session = db._make_scoped_session({"bind": connection, "join_transaction_mode": "create_savepoint",
                                          "class_": ConnectionBoundSession})
    limiter.reset()
    try:
        yield db.session
    finally:
        db.session.remove()
        db.session = original
        g.pop("access_subjects", None)


@contextmanager
def rolled_back_connection(app):
    """A connection inside one transaction, rolled back (and closed) when the block ends."""
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        try:
            yield connection
        finally:
            outer.rollback()
            connection.close()


@pytest.fixture(autouse=True)
def db_session(app):
    """Each test runs inside one outer transaction, rolled back at the end; commits become savepoints."""
    with rolled_back_connection(app) as connection, session_bound_to(connection) as session:
        yield session


@contextmanager
def savepoint_session(app, connection):
    """``db.session`` in a savepoint of ``connection`` (one a module's world lives in), rolled back at the end:
    for test modules that build their world once (``module_world``) and run each test above it."""
    with app.app_context():
        savepoint = connection.begin_nested()
        try:
            with session_bound_to(connection) as session:
                yield session
        finally:
            if savepoint.is_active:
                savepoint.rollback()


@contextmanager
def module_world(app, connection, build):
    """Run ``build(session)`` once, in ``connection``'s transaction (kept until the module's end): what it
    returns, with the rows it made committed for the module's tests (each in a ``savepoint_session``)."""
    with app.app_context(), session_bound_to(connection) as session:
        built = build(session)
        session.commit()
    yield built


@pytest.fixture
def client(app):
    return app.test_client()


def module_fixtures(build):
    """The fixtures of a module whose tests share one world, built once by ``build(session)``: ``seeded``
    (its connection and what ``build`` returned), the world itself, and the module's ``db_session`` (each
    test in a savepoint above the world). In the module: ``seeded, world, db_session = module_fixtures(build)``
    (the first must be called ``seeded``: the others ask for it by that name)."""

    @pytest.fixture(scope="module")
    def seeded(app):
        with rolled_back_connection(app) as connection, module_world(app, connection, build) as built:
            yield connection, built

    @pytest.fixture
    def world(seeded):
        return seeded[1]

    @pytest.fixture(autouse=True)
    def db_session(app, seeded):
        with savepoint_session(app, seeded[0]) as session:
            yield session

    return seeded, world, db_session


def module_seed(slug, domains):
    """``module_fixtures`` for a module whose tests read one federation of ``flask demo seed`` (small scale):
    ``seeded, built, db_session = module_seed("actseed", ("activities",))``."""
    from union_saas.demo_seed import SCALES, seed

    return module_fixtures(lambda session: seed(session, SCALES["small"], slug=slug,
                                                password_hash=_password_hash(), domains=domains))


def user_maker(session):
    def make(username=None, *, display_name=None, operator=False, **fields):
        username = username or f"user{next(_ids)}"
        user = User(username=username, display_name=display_name or username.title(), is_operator=operator,
                    password_hash=_password_hash(), **fields)
        session.add(user)
        session.flush()
        return user

    return make


@pytest.fixture
def make_user(db_session):
    return user_maker(db_session)


_HASH = []


def _password_hash():
    if not _HASH:
        from werkzeug.security import generate_password_hash

        _HASH.append(generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000"))
    return _HASH[0]


KIND_BY_DEPTH = {0: "federation", 1: "street", 2: "community"}


def tree_maker(db_session):
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
def make_tree(db_session):
    return tree_maker(db_session)


def granter(session):
    def give(user, role, tenant, granted_by=None):
        row = Grant(user_id=user.id, role=role, tenant_id=tenant.id, root_id=tenant.root_id,
                    granted_by_id=granted_by.id if granted_by else None)
        session.add(row)
        session.flush()
        engine.forget()
        return row

    return give


@pytest.fixture
def grant(db_session):
    return granter(db_session)


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
