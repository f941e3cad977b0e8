"""Health for load balancers and orchestrators: /healthz (the process answers), /readyz (the database,
Redis and the migrations too), and what a request answers when the database goes away (503, not 500)."""
import pytest
import sqlalchemy as sa
from redis import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from union_saas.core import views
from union_saas.extensions import db


def away():
    """A Redis that does not answer (nothing listens on port 1)."""
    return Redis(host="127.0.0.1", port=1, socket_connect_timeout=1, retry=Retry(NoBackoff(), 0))


def unreachable_database():
    return sa.exc.OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"),
                                   connection_invalidated=True)


@pytest.fixture
def stamped(db_session):
    """The database says which migrations it has (the tests build their tables without Alembic)."""
    db_session.execute(sa.text("CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) NOT NULL)"))

    def stamp(*revisions):
        db_session.execute(sa.text("DELETE FROM alembic_version"))
        for revision in revisions:
            db_session.execute(sa.text("INSERT INTO alembic_version VALUES (:r)"), {"r": revision})
        db_session.commit()

    return stamp


@pytest.fixture
def redis_away(app, monkeypatch):
    """Redis does not answer (nothing listens on port 1)."""
    monkeypatch.setitem(app.config, "JOBS_INLINE", False)
    monkeypatch.setitem(app.extensions.setdefault("union_saas.jobs", {}), "redis",
                        away())


def test_healthz_answers_without_asking_anything(client, monkeypatch):
    monkeypatch.setattr(db.session, "execute", lambda *a, **k: pytest.fail("healthz asked the database"))
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_readyz_is_ready_when_the_database_is_at_the_migrations_head(client, stamped):
    stamped(*views.migration_heads())
    response = client.get("/readyz")
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"status": "ready",
                                   "checks": {"database": "ok", "migrations": "ok", "redis": "ok"}}


def test_readyz_is_unavailable_while_migrations_are_behind(client, stamped):
    stamped("core_0002")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["migrations"].startswith("at core_0002, head ")
    stamped()
    assert client.get("/readyz").get_json()["checks"]["migrations"] == "at none, head " + ", ".join(
        sorted(views.migration_heads()))


def test_readyz_is_unavailable_without_redis(client, stamped, redis_away):
    stamped(*views.migration_heads())
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"] == {"database": "ok", "migrations": "ok", "redis": "unreachable"}


def test_readyz_is_unavailable_without_the_database(client, monkeypatch):
    def fail(*args, **kwargs):
        raise unreachable_database()

    monkeypatch.setattr(db.session, "execute", fail)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["database"] == "unreachable"


def test_an_api_request_whose_database_went_away_answers_503_with_retry_after(make_user, api, monkeypatch):
    user = make_user()

    def fail(session, job_id):
        raise unreachable_database()

    monkeypatch.setattr(views, "load_job", fail)
    response = api(user).get("/api/v1/jobs/some-job")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.mimetype == "application/problem+json" and response.get_json()["status"] == 503


def test_a_page_whose_database_went_away_answers_503_without_asking_who_is_signed_in(make_user, login,
                                                                                     monkeypatch):
    from flask_login import current_user

    page = login(make_user("page-reader"))

    def fail(session, job_id):
        assert current_user.is_authenticated
        raise unreachable_database()

    monkeypatch.setattr(views, "load_job", fail)
    response = page.get("/jobs/some-job")
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    html = response.get_data(as_text=True)
    assert "503" in html and "page-reader" not in html.lower()  # rendered as for a visitor


def test_a_commit_cut_by_the_database_going_away_answers_503(make_tree, make_user, grant, api, monkeypatch):
    from flask import has_request_context

    t = make_tree("fed/s1")
    admin = make_user()
    grant(admin, "federation_admin", t["fed"])
    client = api(admin)
    commit = db.session.commit

    def commit_or_fail():
        if has_request_context():
            raise unreachable_database()
        commit()

    monkeypatch.setattr(db.session, "commit", commit_or_fail)
    response = client.post("/api/v1/tenants/fed/notices", json={"title": "Cut", "to": "children"})
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
