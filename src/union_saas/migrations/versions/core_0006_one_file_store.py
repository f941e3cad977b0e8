"""one file store: ``stored_file`` holds every file, in the database; job files, member files, office attachments
and activity covers point at it, and the files on disk (``OFFICE_UPLOAD_DIR``, ``UPLOAD_DIR``) move in

Run the upgrade where the upload directories are complete (on several web machines, gather them first): a file
missing from its directory keeps its record (name, type, size) and answers 404, as it did; a missing cover is
dropped. The downgrade writes the files back to those directories.

Revision ID: core_0006
Revises: accounts_0004
Create Date: 2026-12-01 08:53:28.992338

"""
import logging
import os
import secrets

import sqlalchemy as sa
from alembic import op
from flask import current_app

import union_saas.core.db

# revision identifiers, used by Alembic.
revision = 'core_0006'
down_revision = 'accounts_0004'
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
IMAGES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp"}
OFFICE_TYPES = {"pdf": "pdf", "png": "png", "jpeg": "jpg", "docx": "wordprocessingml", "xlsx": "spreadsheetml",
                "pptx": "presentationml", "txt": "text/plain", "csv": "text/csv"}

stored_file = sa.table(
    "stored_file", sa.column("id", sa.Integer), sa.column("filename", sa.String), sa.column("content_type", sa.String),
    sa.column("size", sa.Integer), sa.column("cipher", sa.String), sa.column("content", sa.LargeBinary),
    sa.column("created_at", union_saas.core.db.UTCDateTime()))
job_file = sa.table(
    "job_file", sa.column("id", sa.Integer), sa.column("job_id", sa.String), sa.column("filename", sa.String),
    sa.column("mimetype", sa.String), sa.column("size", sa.Integer), sa.column("content", sa.LargeBinary),
    sa.column("created_at", union_saas.core.db.UTCDateTime()))
job_record = sa.table("job_record", sa.column("id", sa.String), sa.column("file_id", sa.Integer))
member_file = sa.table(
    "member_file", sa.column("id", sa.Integer), sa.column("file_id", sa.Integer), sa.column("filename", sa.String),
    sa.column("size", sa.Integer), sa.column("content", sa.LargeBinary),
    sa.column("created_at", union_saas.core.db.UTCDateTime()))
activity = sa.table("activity", sa.column("id", sa.Integer), sa.column("cover", sa.String),
                    sa.column("cover_id", sa.Integer), sa.column("created_at", union_saas.core.db.UTCDateTime()))


def attachments(name):
    return sa.table(name, sa.column("id", sa.Integer), sa.column("file_id", sa.Integer),
                    sa.column("filename", sa.String), sa.column("stored_name", sa.String),
                    sa.column("content_type", sa.String), sa.column("size", sa.Integer),
                    sa.column("created_at", union_saas.core.db.UTCDateTime()))


def office_dir():
    return current_app.config.get("OFFICE_UPLOAD_DIR") or os.path.join(current_app.instance_path, "office-uploads")


def covers_dir():
    return current_app.config.get("UPLOAD_DIR") or os.path.join(current_app.instance_path, "uploads", "activities")


def read_disk(directory, name):
    try:
        with open(os.path.join(directory, os.path.basename(name)), "rb") as handle:
            return handle.read()
    except (FileNotFoundError, IsADirectoryError):
        log.warning("core_0006: %s is missing from %s; its record stays, without its content", name, directory)
        return None


def write_disk(directory, name, content):
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name), "wb") as handle:
        handle.write(content)


def store(conn, **values):
    return conn.execute(stored_file.insert().values(**values).returning(stored_file.c.id)).scalar_one()


def ids(conn, table, *where):
    return list(conn.scalars(sa.select(table.c.id).where(*where).order_by(table.c.id)))


def stored(conn, file_id):
    return conn.execute(sa.select(stored_file).where(stored_file.c.id == file_id)).one()


def file_column(batch_op, table, column, ondelete, nullable=True):
    batch_op.add_column(sa.Column(column, sa.Integer(), nullable=nullable))
    batch_op.create_index(batch_op.f(f'ix_{table}_{column}'), [column], unique=False)
    batch_op.create_foreign_key(batch_op.f(f'fk_{table}_{column}_stored_file'), 'stored_file', [column], ['id'],
                                ondelete=ondelete)


def upgrade():
    conn = op.get_bind()
    op.create_table('stored_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=210), nullable=False),
    sa.Column('content_type', sa.String(length=120), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('cipher', sa.String(length=16), nullable=True),
    sa.Column('content', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', union_saas.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stored_file'))
    )

    # Job files: the record points at its file.
    with op.batch_alter_table('job_record', schema=None) as batch_op:
        file_column(batch_op, 'job_record', 'file_id', 'SET NULL')
    for row_id in ids(conn, job_file):
        row = conn.execute(sa.select(job_file).where(job_file.c.id == row_id)).one()
        file_id = store(conn, filename=row.filename[:210], content_type=row.mimetype[:120], size=row.size,
                        content=row.content, created_at=row.created_at)
        conn.execute(job_record.update().where(job_record.c.id == row.job_id).values(file_id=file_id))
    op.drop_table('job_file')

    # Member files: already encrypted with the PII key (the "pii" cipher), moved as they are.
    with op.batch_alter_table('member_file', schema=None) as batch_op:
        batch_op.add_column(sa.Column('file_id', sa.Integer(), nullable=True))
    for row_id in ids(conn, member_file):
        row = conn.execute(sa.select(member_file).where(member_file.c.id == row_id)).one()
        content_type = "text/csv" if row.filename.endswith(".csv") else XLSX
        file_id = store(conn, filename=row.filename, content_type=content_type, size=row.size, cipher="pii",
                        content=row.content, created_at=row.created_at)
        conn.execute(member_file.update().where(member_file.c.id == row_id).values(file_id=file_id))
    with op.batch_alter_table('member_file', schema=None) as batch_op:
        batch_op.alter_column('file_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f('ix_member_file_file_id'), ['file_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_member_file_file_id_stored_file'), 'stored_file', ['file_id'],
                                    ['id'], ondelete='CASCADE')
        batch_op.drop_column('content')
        batch_op.drop_column('filename')
        batch_op.drop_column('size')

    # Office attachments: from OFFICE_UPLOAD_DIR.
    directory = office_dir()
    for name in ('office_attachment', 'office_notice_attachment'):
        table = attachments(name)
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.add_column(sa.Column('file_id', sa.Integer(), nullable=True))
        for row_id in ids(conn, table):
            row = conn.execute(sa.select(table).where(table.c.id == row_id)).one()
            file_id = store(conn, filename=row.filename, content_type=row.content_type, size=row.size,
                            content=read_disk(directory, row.stored_name), created_at=row.created_at)
            conn.execute(table.update().where(table.c.id == row_id).values(file_id=file_id))
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.alter_column('file_id', existing_type=sa.Integer(), nullable=False)
            batch_op.drop_constraint(batch_op.f(f'uq_{name}_stored_name'), type_='unique')
            batch_op.create_index(batch_op.f(f'ix_{name}_file_id'), ['file_id'], unique=False)
            batch_op.create_foreign_key(batch_op.f(f'fk_{name}_file_id_stored_file'), 'stored_file', ['file_id'],
                                        ['id'], ondelete='CASCADE')
            batch_op.drop_column('stored_name')
            batch_op.drop_column('filename')
            batch_op.drop_column('size')
            batch_op.drop_column('content_type')

    # Activity covers: from UPLOAD_DIR.
    with op.batch_alter_table('activity', schema=None) as batch_op:
        file_column(batch_op, 'activity', 'cover_id', 'SET NULL')
    directory = covers_dir()
    for row_id in ids(conn, activity, activity.c.cover.is_not(None)):
        row = conn.execute(sa.select(activity).where(activity.c.id == row_id)).one()
        content = read_disk(directory, row.cover)
        if content is not None:
            ext = row.cover.rsplit(".", 1)[-1].lower()
            file_id = store(conn, filename=f"cover.{ext}", content_type=IMAGES.get(ext, "application/octet-stream"),
                            size=len(content), content=content, created_at=row.created_at)
            conn.execute(activity.update().where(activity.c.id == row_id).values(cover_id=file_id))
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.drop_column('cover')


def extension(filename, content_type):
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if ext.isalnum() and len(ext) <= 8:
        return ext
    return next((e for e, t in OFFICE_TYPES.items() if t in content_type), "bin")


def downgrade():
    conn = op.get_bind()
    # Activity covers: back to UPLOAD_DIR.
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cover', sa.VARCHAR(length=120), nullable=True))
    directory = covers_dir()
    for row_id in ids(conn, activity, activity.c.cover_id.is_not(None)):
        file_id = conn.scalar(sa.select(activity.c.cover_id).where(activity.c.id == row_id))
        row = stored(conn, file_id)
        if row.content is not None:
            name = f"{row_id}-{secrets.token_urlsafe(8)}.{extension(row.filename, row.content_type)}"
            write_disk(directory, name, row.content)
            conn.execute(activity.update().where(activity.c.id == row_id).values(cover=name))
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_activity_cover_id_stored_file'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_activity_cover_id'))
        batch_op.drop_column('cover_id')

    # Office attachments: back to OFFICE_UPLOAD_DIR.
    directory = office_dir()
    for name in ('office_notice_attachment', 'office_attachment'):
        table = attachments(name)
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.add_column(sa.Column('content_type', sa.VARCHAR(length=100), nullable=True))
            batch_op.add_column(sa.Column('size', sa.INTEGER(), nullable=True))
            batch_op.add_column(sa.Column('filename', sa.VARCHAR(length=200), nullable=True))
            batch_op.add_column(sa.Column('stored_name', sa.VARCHAR(length=80), nullable=True))
        for row_id in ids(conn, table):
            row = stored(conn, conn.scalar(sa.select(table.c.file_id).where(table.c.id == row_id)))
            stored_name = f"{secrets.token_hex(16)}.{extension(row.filename, row.content_type)}"
            if row.content is not None:
                write_disk(directory, stored_name, row.content)
            conn.execute(table.update().where(table.c.id == row_id).values(
                filename=row.filename[:200], stored_name=stored_name, content_type=row.content_type[:100],
                size=row.size))
        with op.batch_alter_table(name, schema=None) as batch_op:
            for column, kind in (('content_type', sa.VARCHAR(length=100)), ('size', sa.INTEGER()),
                                 ('filename', sa.VARCHAR(length=200)), ('stored_name', sa.VARCHAR(length=80))):
                batch_op.alter_column(column, existing_type=kind, nullable=False)
            batch_op.drop_constraint(batch_op.f(f'fk_{name}_file_id_stored_file'), type_='foreignkey')
            batch_op.drop_index(batch_op.f(f'ix_{name}_file_id'))
            batch_op.create_unique_constraint(batch_op.f(f'uq_{name}_stored_name'), ['stored_name'])
            batch_op.drop_column('file_id')

    # Member files: the ciphertext goes back as it is.
    with op.batch_alter_table('member_file', schema=None) as batch_op:
        batch_op.add_column(sa.Column('size', sa.INTEGER(), nullable=True))
        batch_op.add_column(sa.Column('filename', sa.VARCHAR(length=200), nullable=True))
        batch_op.add_column(sa.Column('content', sa.LargeBinary(), nullable=True))
    for row_id in ids(conn, member_file):
        row = stored(conn, conn.scalar(sa.select(member_file.c.file_id).where(member_file.c.id == row_id)))
        conn.execute(member_file.update().where(member_file.c.id == row_id).values(
            filename=row.filename[:200], size=row.size, content=row.content))
    with op.batch_alter_table('member_file', schema=None) as batch_op:
        batch_op.alter_column('size', existing_type=sa.INTEGER(), nullable=False)
        batch_op.alter_column('filename', existing_type=sa.VARCHAR(length=200), nullable=False)
        batch_op.alter_column('content', existing_type=sa.LargeBinary(), nullable=False)
        batch_op.drop_constraint(batch_op.f('fk_member_file_file_id_stored_file'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_member_file_file_id'))
        batch_op.drop_column('file_id')

    # Job files.
    op.create_table('job_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.String(length=36), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('mimetype', sa.String(length=255), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', union_saas.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['job_record.id'], name=op.f('fk_job_file_job_id_job_record'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_file')),
    sa.UniqueConstraint('job_id', name=op.f('uq_job_file_job_id'))
    )
    for job_id, file_id in conn.execute(sa.select(job_record.c.id, job_record.c.file_id)
                                        .where(job_record.c.file_id.is_not(None)).order_by(job_record.c.id)).all():
        row = stored(conn, file_id)
        conn.execute(job_file.insert().values(job_id=job_id, filename=row.filename, mimetype=row.content_type,
                                              size=row.size, content=row.content or b"", created_at=row.created_at))
    with op.batch_alter_table('job_record', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_job_record_file_id_stored_file'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_job_record_file_id'))
        batch_op.drop_column('file_id')

    op.drop_table('stored_file')
