"""The Alembic migrations build exactly the tables the models describe, on SQLite and PostgreSQL."""
from datetime import timedelta

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from union_saas import create_app
from union_saas.core.db import utcnow
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


def insert(conn, table_name, **values):
    """A row of ``table_name`` as it stands in the database: the given values, plain ones for the rest."""
    table = sa.Table(table_name, sa.MetaData(), autoload_with=conn)
    now = utcnow()
    for column in table.columns:
        if column.name in values or column.nullable or column.primary_key:
            continue
        kind = column.type
        values[column.name] = (now if isinstance(kind, sa.DateTime) else False if isinstance(kind, sa.Boolean)
                               else [] if isinstance(kind, sa.JSON) else 0 if isinstance(kind, sa.Integer) else "x")
    return conn.execute(table.insert().values(**values).returning(*table.primary_key.columns)).scalar_one()


def rows(conn, name, *columns):
    table = sa.Table(name, sa.MetaData(), autoload_with=conn)
    return [tuple(r) for r in conn.execute(sa.select(*(table.c[c] for c in columns)).order_by(table.c.id))]


def test_the_file_store_migration_moves_every_file_in_and_back_out(fresh_database, tmp_path):
    """core_0006: job files, encrypted member files, office files and covers on disk all reach ``stored_file``; a
    file already missing from its disk keeps its record; the downgrade puts every file back; no sign-up is lost
    when SQLite copies the activity table."""
    from union_saas.core import files
    from union_saas.core.jobs import JobRecord
    from union_saas.members import crypto
    from union_saas.members.models import MemberFile
    from union_saas.office.models import Attachment, NoticeAttachment

    office, covers = tmp_path / "office", tmp_path / "covers"
    office.mkdir()
    covers.mkdir()
    app = create_app("testing", DATABASE_URL=fresh_database, OFFICE_UPLOAD_DIR=str(office), UPLOAD_DIR=str(covers))
    png, pdf, report = b"\x89PNG\r\n\x1a\n" + bytes(range(256)), b"%PDF-1.7 plan", b"PK\x03\x04 roster report"
    with app.app_context():
        upgrade(revision="accounts_0004")
        with db.engine.begin() as conn:
            tenant = insert(conn, "tenant", path="/00000001/", depth=0, slug="fed", name="Fed", kind="federation",
                            status="active", timezone="Asia/Shanghai")
            user = insert(conn, "user", username="admin", display_name="Admin", password_hash="x", is_operator=False,
                          active=True)
            insert(conn, "job_record", id="job-1", kind="k", queue="default", status="finished", owner_id=user,
                   args=[])
            insert(conn, "job_file", job_id="job-1", filename="out.xlsx", mimetype="application/x", size=3,
                   content=b"\x00\x01\x02")
            insert(conn, "member_file", kind="report", tenant_id=tenant, owner_id=user, filename="report.xlsx",
                   size=len(report), content=crypto.encrypt_file(report))
            notice = insert(conn, "office_notice", root_id=tenant, tenant_id=tenant, tenant_path="/00000001/",
                            priority="normal", audience="offices", target="children")
            insert(conn, "office_notice_attachment", notice_id=notice, filename="plan.pdf", stored_name="a1.pdf",
                   content_type="application/pdf", size=len(pdf))
            (office / "a1.pdf").write_bytes(pdf)
            task = insert(conn, "office_task", root_id=tenant, tenant_id=tenant, tenant_path="/00000001/",
                          target="children", fields=[])
            assignment = insert(conn, "office_assignment", task_id=task, root_id=tenant, tenant_id=tenant,
                                tenant_path="/00000001/", status="open")
            insert(conn, "office_attachment", assignment_id=assignment, field="Photos", filename="照片.png",
                   stored_name="b2.png", content_type="image/png", size=len(png))
            (office / "b2.png").write_bytes(png)
            insert(conn, "office_attachment", assignment_id=assignment, field="Photos", filename="lost.png",
                   stored_name="gone.png", content_type="image/png", size=10)
            starts = utcnow()
            activity = {}
            for name, cover in (("with", "1-abc.png"), ("lost", "2-gone.png"), ("none", None)):
                activity[name] = insert(conn, "activity", tenant_id=tenant, root_id=tenant, title=name, description="",
                                        description_html="", category="culture", scope="tenant", status="published",
                                        starts_at=starts, ends_at=starts + timedelta(hours=1), cover=cover)
            (covers / "1-abc.png").write_bytes(png)
            insert(conn, "activity_signup", activity_id=activity["with"], user_id=user, root_id=tenant, status="confirmed")

        upgrade(revision="core_0006")
        session = sa.orm.Session(db.engine)  # db.session is bound to the tests' own database
        job = session.get(JobRecord, "job-1")
        assert (job.file.filename, files.read(job.file)) == ("out.xlsx", b"\x00\x01\x02")
        member_file = session.scalar(sa.select(MemberFile))
        assert member_file.file.cipher == "pii" and files.read(member_file.file) == report
        assert files.read(session.scalar(sa.select(NoticeAttachment)).file) == pdf
        kept, lost = session.scalars(sa.select(Attachment).order_by(Attachment.id)).all()
        assert (kept.file.filename, kept.file.content_type, files.read(kept.file)) == ("照片.png", "image/png", png)
        assert lost.file.filename == "lost.png" and lost.file.size == 10 and lost.file.content is None
        with db.engine.connect() as conn:
            covers_now = dict(rows(conn, "activity", "title", "cover_id"))
            assert covers_now["lost"] is None and covers_now["none"] is None
            assert files.read(session.get(files.StoredFile, covers_now["with"])) == png
            assert len(rows(conn, "activity_signup", "id")) == 1
        session.close()

        downgrade(revision="accounts_0004")
        with db.engine.connect() as conn:
            assert rows(conn, "job_file", "job_id", "filename", "content") == [("job-1", "out.xlsx", b"\x00\x01\x02")]
            (content,), = rows(conn, "member_file", "content")
            assert crypto.decrypt_file(content) == report
            (stored_name,), = rows(conn, "office_notice_attachment", "stored_name")
            assert (office / stored_name).read_bytes() == pdf
            (name, stored_name), _lost = rows(conn, "office_attachment", "filename", "stored_name")
            assert name == "照片.png" and (office / stored_name).read_bytes() == png
            back = dict(rows(conn, "activity", "title", "cover"))
            assert back["lost"] is None and (covers / back["with"]).read_bytes() == png
            assert len(rows(conn, "activity_signup", "id")) == 1
        upgrade()
        downgrade(revision="base")
        db.engine.dispose()
