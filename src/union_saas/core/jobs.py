"""Background jobs: RQ on Redis, with their status and progress kept in the database.

A job is a plain function decorated with ``@job("queue")`` that takes a ``JobRecord`` first, then ids
only; it reloads what it needs and asks ``access`` again, since permissions may have changed since it
was queued. ``submit`` records the job in the caller's transaction; it is handed to RQ once that
transaction commits (or run inline when configured, or when no Redis answers in development).

A job that produces a file for the person who started it (an export, a report) attaches it with
``record.attach_file(session, filename, mimetype, data)``: the bytes go to the file store (``core.files``, in
the database), so that whichever machine runs the worker, the web serves the file (``/jobs/<id>/file``).

A job may ``submit`` further jobs: they are handed on once it has committed. Work that recurs (reminders,
the refresh of the figures) is declared with ``@periodic(every=seconds)`` or ``@periodic(cron="...")``: the
function takes the session, may submit jobs, and is run on its schedule by RQ's cron scheduler, which
``flask jobs worker`` starts in a thread; a lock in Redis lets one worker at a time hold the schedule, so
running several workers enqueues each run once (``flask jobs schedule`` lists what runs when).
"""
import importlib
import logging
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app, g, has_app_context, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.orm.attributes import set_committed_value

from union_saas.core import files
from union_saas.core.db import Base, created_at_column, utcnow

log = logging.getLogger(__name__)

QUEUES = ("default", "imports", "fanout")

# How the job page names the keys of a job's result; each domain adds the keys its jobs return.
RESULT_LABELS = {
    "created": _l("Created"),
    "updated": _l("Updated"),
    "total": _l("Rows read"),
    "root": _l("Where"),
}
STATUSES = ("queued", "started", "finished", "failed")


class JobRecord(Base):
    __tablename__ = "job_record"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=lambda: str(uuid.uuid4()))
    kind: Mapped[str] = mapped_column(sa.String(64))
    queue: Mapped[str] = mapped_column(sa.String(32), default="default")
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    tenant_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tenant.id"))
    status: Mapped[str] = mapped_column(sa.String(16), default="queued")
    progress: Mapped[int] = mapped_column(default=0)
    args: Mapped[list] = mapped_column(sa.JSON, default=list)
    result: Mapped[dict | None] = mapped_column(sa.JSON)
    error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = created_at_column()
    finished_at: Mapped[datetime | None]
    # The file the job produced, for its owner (loaded with the record: its name, type and size)
    file_id: Mapped[int | None] = files.file_column(nullable=True, ondelete="SET NULL")

    file = relationship(files.StoredFile, lazy="joined")

    def set_progress(self, session, done, total):
        """Record progress (0-100) and commit it so that the page's bar moves."""
        percent = 100 if not total else min(99, int(done * 100 / total))
        if percent != self.progress:
            self.progress = percent
            session.commit()

    def report_progress(self, session, done, total):
        """Record progress and leave the job's transaction open: for a job that streams rows from the database
        (``yield_per``), since PostgreSQL closes the cursor at a commit. There the bar moves through a
        connection of its own (the job has not written its record); elsewhere as ``set_progress``."""
        bind = session.get_bind()
        if bind.dialect.name != "postgresql":
            return self.set_progress(session, done, total)
        percent = 100 if not total else min(99, int(done * 100 / total))
        if percent != self.progress:
            with bind.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(sa.update(JobRecord).where(JobRecord.id == self.id).values(progress=percent))
            set_committed_value(self, "progress", percent)
        return None

    def attach_file(self, session, filename, mimetype, data: bytes) -> files.StoredFile:
        """Keep ``data`` as this job's output file (one per job: attaching again replaces it); flushes.

        It is committed with the job's end, and only its owner downloads it, once the job has finished.
        """
        old = self.file_id
        self.file = files.save(session, data, filename=filename, content_type=mimetype)
        session.flush()
        files.delete(session, old)
        return self.file


_registry = {}


def job(queue="default"):
    """Declare a job function; ``fn.name`` is what the record stores."""
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}")

    def decorate(fn):
        fn.job_name = f"{fn.__module__}:{fn.__qualname__}"
        fn.job_queue = queue
        _registry[fn.job_name] = fn
        return fn

    return decorate


def submit(session, fn, *args, owner=None, tenant=None):
    """Record a job in this transaction; it runs once the transaction commits."""
    record = JobRecord(kind=fn.job_name, queue=fn.job_queue, args=list(args),
                       owner_id=getattr(owner, "id", owner), tenant_id=getattr(tenant, "id", tenant))
    session.add(record)
    session.flush()
    g.setdefault("pending_jobs", []).append(record.id)
    return record


def dispatch_pending():
    """Hand the jobs recorded by this request to RQ, or run them here."""
    pending = g.pop("pending_jobs", [])
    for job_id in pending:
        queue = get_queue_for(job_id)
        if queue is None:
            execute(job_id)
        else:
            queue.enqueue("union_saas.core.jobs.execute", job_id, job_id=job_id, job_timeout=3600)


def _function(kind):
    if kind not in _registry:
        module, _, _ = kind.partition(":")
        importlib.import_module(module)
    return _registry[kind]


def execute(job_id):
    """Run one recorded job (in a worker, or inline), keeping its record up to date."""
    if not has_app_context():
        from union_saas import create_app

        with create_app().app_context():
            return execute(job_id)
    from union_saas.extensions import db

    try:
        return _execute(job_id)
    finally:
        # A worker starts each job with a fresh session (tests keep theirs: it holds their transaction).
        if not has_request_context() and current_app.config.get("JOBS_FRESH_SESSION", True):
            db.session.remove()


def _execute(job_id):
    from union_saas.extensions import db

    session = db.session
    record = session.get(JobRecord, job_id)
    if record is None or record.status in ("finished", "failed"):
        return None
    record.status = "started"
    session.commit()
    try:
        result = _function(record.kind)(record, *record.args)
    except Exception as error:
        session.rollback()
        g.pop("pending_jobs", None)  # jobs it submitted were rolled back with it
        record = session.get(JobRecord, job_id)
        record.status = "failed"
        record.error = getattr(error, "detail", None) or error.__class__.__name__
        record.finished_at = utcnow()
        session.commit()
        log.exception("job %s (%s) failed", job_id, record.kind)
        return None
    record.status, record.progress, record.result, record.finished_at = "finished", 100, result, utcnow()
    session.commit()
    dispatch_pending()  # the jobs it submitted, now that they are committed
    return result


def redis_connection():
    """The Redis connection, or None when jobs run inline."""
    app = current_app
    if app.config.get("JOBS_INLINE"):
        return None
    state = app.extensions.setdefault("union_saas.jobs", {})
    if "redis" not in state:
        from redis import Redis
        from redis.exceptions import RedisError

        connection = Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=1)
        try:
            connection.ping()
        except RedisError:
            if not app.config.get("JOBS_INLINE_FALLBACK"):
                raise
            app.logger.warning("no Redis answers at %s: jobs run inline, in the request", app.config["REDIS_URL"])
            connection = None
        state["redis"] = connection
    return state["redis"]


def get_queue(name="default"):
    from rq import Queue

    connection = redis_connection()
    return None if connection is None else Queue(name, connection=connection)


def get_queue_for(job_id):
    from union_saas.extensions import db

    record = db.session.get(JobRecord, job_id)
    return get_queue(record.queue)


def run_worker(burst=False, schedule=True):
    """Work the queues (``make worker``, ``flask jobs worker``); unless ``burst`` or told not to, also keep
    the schedule of the periodic jobs (in a thread, when this worker holds the scheduler's lock)."""
    from rq import SimpleWorker

    connection = redis_connection()
    if connection is None:
        raise RuntimeError("no Redis: set REDIS_URL to a running Redis to start a worker")
    if schedule and not burst:
        threading.Thread(target=keep_schedule, args=(connection,), name="union-saas-scheduler", daemon=True).start()
    # SimpleWorker runs jobs in this process, inside the app context the CLI command opened.
    return SimpleWorker([get_queue(name) for name in QUEUES], connection=connection).work(burst=burst)


# --- periodic jobs -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Periodic:
    name: str
    fn: object
    every: int | None
    cron: str | None
    queue: str

    @property
    def when(self):
        return f"every {self.every} s" if self.every else f"cron {self.cron} (the worker's local time)"


_periodic: dict[str, Periodic] = {}

SCHEDULER_LOCK = "union_saas:scheduler"
SCHEDULER_LOCK_SECONDS = 180  # RQ's scheduler wakes at least every 60 s and renews it


def periodic(*, every=None, cron=None, queue="default"):
    """Declare ``fn(session)`` to run every ``every`` seconds (first when the scheduler starts) or at the
    times of a ``cron`` expression. It should be short: queue jobs (``submit``) for long work. Its
    transaction is committed after it returns, then the jobs it submitted are handed on."""
    if (every is None) == (cron is None):
        raise ValueError("give either every= or cron=")
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}")

    def decorate(fn):
        name = f"{fn.__module__}:{fn.__qualname__}"
        _periodic[name] = Periodic(name, fn, every, cron, queue)
        fn.periodic_name = name
        return fn

    return decorate


def periodic_jobs():
    """The declared periodic jobs, by name."""
    return [_periodic[name] for name in sorted(_periodic)]


def run_periodic(name):
    """Run one periodic function (what the scheduler enqueues): commit, then hand on the jobs it submitted."""
    if not has_app_context():
        from union_saas import create_app

        with create_app().app_context():
            return run_periodic(name)
    from union_saas.extensions import db

    if name not in _periodic:
        importlib.import_module(name.partition(":")[0])
    session = db.session
    try:
        result = _periodic[name].fn(session)
        session.commit()
    except Exception:
        session.rollback()
        g.pop("pending_jobs", None)
        raise
    else:
        dispatch_pending()
        return result
    finally:
        if not has_request_context() and current_app.config.get("JOBS_FRESH_SESSION", True):
            db.session.remove()


def scheduler_for(connection, lock=None):
    """RQ's cron scheduler with every periodic job registered (not started). Given ``lock`` (a Redis lock
    held by this process), it renews the lock at each heartbeat and stops when it has lost it."""
    from redis.exceptions import LockError
    from rq.cron import CronScheduler
    from rq.exceptions import StopRequested

    class WorkerScheduler(CronScheduler):
        def _install_signal_handlers(self):
            pass  # it runs in a thread of the worker, whose own handlers stop the process

        def heartbeat(self):
            if lock is not None:
                try:
                    lock.reacquire()
                except LockError:
                    log.warning("the scheduler's lock was lost: another worker keeps the schedule")
                    raise StopRequested() from None
            super().heartbeat()

    scheduler = WorkerScheduler(connection)
    for entry in periodic_jobs():
        scheduler.register(run_periodic, entry.queue, args=(entry.name,), interval=entry.every, cron=entry.cron,
                           name=entry.name, job_timeout=3600)
    return scheduler


def keep_schedule(connection, stop=None, retry=60):
    """Hold the schedule whenever no other worker does: take the lock, run the scheduler until the lock is
    lost, then try again every ``retry`` seconds (a worker that died lets its lock expire)."""
    from redis.exceptions import LockError

    stop = stop or threading.Event()
    while not stop.is_set():
        lock = connection.lock(SCHEDULER_LOCK, timeout=SCHEDULER_LOCK_SECONDS)
        if lock.acquire(blocking=False):
            try:
                scheduler_for(connection, lock).start()
            except Exception:  # keep the worker's scheduler alive, whatever went wrong
                log.exception("the scheduler stopped")
            finally:
                try:
                    lock.release()
                except LockError:
                    pass
        stop.wait(retry)


@periodic(cron="30 3 * * *")
def sweep_files(session):
    """Delete the stored files that no record points at any more (daily, at 03:30)."""
    return {"deleted": files.sweep(session)}
