"""Office records made directly through the services (the fan-out run in place), for tests and the matrix."""
import io
from datetime import timedelta

import sqlalchemy as sa

from union_saas.accounts.models import User
from union_saas.core import files
from union_saas.core.db import utcnow
from union_saas.office import services
from union_saas.office.models import Assignment

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def author(session, tenant):
    user = session.scalar(sa.select(User).where(User.username == f"author-{tenant.slug}"))
    if user is None:
        user = User(username=f"author-{tenant.slug}", display_name="Author", password_hash="x")
        session.add(user)
        session.flush()
    return user


def send(session, sender, to="subtree", **fields):
    """A notice from ``sender``, with its receipts made (as the job would)."""
    data = {"title": "Notice", "body": "Read **this**", "to": to, **fields}
    notice = services.send_notice(session, author(session, sender), sender, data)
    services.fan_out_notice(session, notice)
    return notice


def assign(session, sender, to="subtree", fields=None, due=None, **extra):
    data = {"title": "Report your May Day activities", "instructions": "By Friday", "to": to,
            "due_at": due or utcnow() + timedelta(days=3), "fields": fields or [], **extra}
    task = services.create_task(session, author(session, sender), sender, data)
    services.fan_out_task(session, task, sender, task.target, task.target_ids)
    return task


def assignment_of(session, task, tenant):
    return session.scalar(sa.select(Assignment).where(Assignment.task_id == task.id,
                                                      Assignment.tenant_id == tenant.id))


def png():
    return {"file": (io.BytesIO(PNG), "photo.png")}


def stored_files(session):
    """How many files the file store holds."""
    return session.scalar(sa.select(sa.func.count()).select_from(files.StoredFile))


def png_file(session, filename="photo.png"):
    """A PNG in the file store."""
    return files.save(session, PNG, filename=filename, content_type="image/png")
