"""The Alembic migrations build exactly the tables the models describe, on SQLite and PostgreSQL."""
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from union_saas import create_app
from union_saas.extensions import db


@pytest.fixture
def fresh_database(tmp_path, database):
    url = database
    if url.startswith("postgres"):
        # a schema of its own inside the session's (the worker's) test database, dropped afterwards
        engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA IF EXISTS migration_check CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA migration_check"))
        yield url + ("&" if "?" in url else "?") + "options=-csearch_path%3Dmigration_check"
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA IF EXISTS migration_check CASCADE"))
        engine.dispose()
    else:
        yield "sqlite:///" + str(tmp_path / "migrated.db")


def test_migrations_build_the_models_and_go_back_down(fresh_database):
    app = create_app("testing", DATABASE_URL=fresh_database)
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        downgrade(revision="base")
        with db.engine.connect() as conn:
            assert set(sa.inspect(conn).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()
