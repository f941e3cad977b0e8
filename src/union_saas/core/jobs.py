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
function takes the session, may submit jobs, and is enqueued on its schedule by RQ's cron scheduler
(``rq.cron.CronScheduler``), which runs as a process of its own, ``flask jobs scheduler`` (``flask jobs
schedule`` lists what runs when).

The record is the outbox: it is committed with the work that needs it, and a job recorded is a job done.
When Redis does not take it at once, the request answers as usual and the record waits, ``queued``; every
minute ``sweep`` hands to RQ the records still queued a minute after they were recorded, and those left
``started`` by a worker that died (RQ's abandoned-job handling says so). A worker claims a record before
running it (queued -> started, in one UPDATE), so a job handed on twice runs once; jobs are idempotent, so
one retried after its worker died mid-way creates nothing twice.
"""
import importlib
import logging
import os
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, g, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.orm.attributes import set_committed_value

from union_saas.core import files
from union_saas.core.db import Base, created_at_column, database_unavailable, utcnow

log = logging.getLogger(__name__)

QUEUES = ("default", "imports", "fanout")

# How the job page names the keys of a job's result; each domain adds the keys its jobs return.
# What the job page shows of a job's result (keys without a label are for programs: ids, lists).
RESULT_LABELS = {
    "created": _l("Created"),
    "updated": _l("Updated"),
    "total": _l("Rows read"),
    "rows": _l("Rows"),
    "addressed": _l("Unions addressed"),
    "activities": _l("Activities"),
    "reminded": _l("People reminded"),
    "queued": _l("Queued"),
    "already_queued": _l("Queued already"),
    "deleted": _l("Deleted"),
}
STATUSES = ("queued", "started", "finished", "failed")
JOB_TIMEOUT = 3600  # seconds a job may run before RQ stops it
MAX_ATTEMPTS = 3  # runs a job gets when its worker keeps dying under it


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
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    # The file the job produced, for its owner (loaded with the record: its name, type and size)
    file_id: Mapped[int | None] = files.file_column(nullable=True, ondelete="SET NULL")

    file = relationship(files.StoredFile, lazy="joined")
    # Runs begun: a worker that died under the job leaves it started, and the sweeper queues it again.
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")

    # What the sweeper reads every minute: the unfinished records, oldest first.
    __table_args__ = (sa.Index("ix_job_record_status_created_at", "status", "created_at"),)

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

        It is committed with the job's end. Only its owner downloads it, once the job has finished, while
        they still hold the job's ``file_permission`` at its tenant, and until it expires (``JOB_FILES_KEPT``).
        """
        if self.tenant_id is not None and not getattr(_function(self.kind), "file_permission", None):
            raise RuntimeError(f"{self.kind}: declare @job(file_permission=...), the permission its file needs")
        old = self.file_id
        self.file = files.save(session, data, filename=filename, content_type=mimetype)
        session.flush()
        files.delete(session, old)
        return self.file


def files_kept():
    """How long a job's file may be downloaded (``JOB_FILES_KEPT``); older ones are gone."""
    return current_app.config.get("JOB_FILES_KEPT") or timedelta(days=1)


def file_expiry_cutoff():
    return utcnow() - files_kept()


_registry = {}


def job(queue="default", *, file_permission=None, title=None):
    """Declare a job function; ``fn.name`` is what the record stores. A job that attaches a file to a job
    with a tenant names ``file_permission``: the permission its owner must still hold at that tenant to
    download it (what is in the file is what that permission shows). ``title`` (a lazy string) heads its
    page, /jobs/<id>."""
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}")

    def decorate(fn):
        fn.job_name = f"{fn.__module__}:{fn.__qualname__}"
        fn.job_queue = queue
        fn.file_permission = file_permission
        fn.job_title = title
        _registry[fn.job_name] = fn
        return fn

    return decorate


_places = []


def place(fn):
    """Register ``fn(record, user) -> dict | None``: where a job's page is shown, by the domain that knows the
    job's tenant (core imports no domain). The first answer that is not None gives the page's ``template`` and
    its context (e.g. the tenant and the link ``back``); none leaves the plain job page."""
    _places.append(fn)
    return fn


def place_of(record, user):
    for fn in _places:
        found = fn(record, user)
        if found is not None:
            return found
    return None


def submit(session, fn, *args, owner=None, tenant=None):
    """Record a job in this transaction; it runs once the transaction commits."""
    record = JobRecord(kind=fn.job_name, queue=fn.job_queue, args=list(args),
                       owner_id=getattr(owner, "id", owner), tenant_id=getattr(tenant, "id", tenant))
    session.add(record)
    session.flush()
    g.setdefault("pending_jobs", []).append(record.id)
    return record


def dispatch_pending():
    """Hand the jobs recorded (and now committed) by this request or job to RQ, or run them here.

    Here means: jobs inline (tests), or in development while no Redis answers or no RQ worker is registered
    (the log says which). When Redis does not take a job, it stays queued for the sweeper."""
    from union_saas.extensions import db

    pending = g.pop("pending_jobs", [])
    if not pending:
        return
    connection = redis_connection()
    inline = "JOBS_INLINE" if connection is None else _inline_reason(connection)
    for job_id in pending:
        record = db.session.get(JobRecord, job_id)
        if record is None:
            continue
        if inline:
            log.info("job %s (%s) runs inline: %s", job_id, record.kind, inline)
            execute(job_id)
        elif not enqueue(connection, record.queue, job_id):
            break  # Redis is away: the others wait for the sweeper too


def _inline_reason(connection):
    """In development, why a job should run in the process rather than wait for a worker (or None)."""
    from redis.exceptions import RedisError
    from rq import Worker

    if not current_app.config.get("JOBS_INLINE_FALLBACK"):
        return None
    try:
        if not Worker.count(connection=connection):
            return "no RQ worker is registered (start one with `make worker`)"
    except RedisError:
        return f"no Redis answers at {current_app.config['REDIS_URL']}"
    return None


def enqueue(connection, queue, job_id):
    """Put a recorded job on its RQ queue; False (and a warning) when Redis does not answer."""
    from redis.exceptions import RedisError
    from rq import Queue

    try:
        Queue(queue, connection=connection).enqueue("union_saas.core.jobs.execute", job_id, job_id=job_id,
                                                    job_timeout=JOB_TIMEOUT)
    except RedisError as error:
        log.warning("Redis did not take job %s (%s): it stays queued, and the sweeper hands it on once Redis "
                    "answers", job_id, error)
        return False
    return True


def _function(kind):
    if kind not in _registry:
        module, _, _ = kind.partition(":")
        importlib.import_module(module)
    return _registry[kind]


@contextmanager
def fresh_state():
    """Run a job (or a periodic function) with nothing left over from what ran before it in this process.

    A worker runs job after job in one app context: whatever was cached on ``g`` (the access engine's
    subjects, that is the grants of a user as they were, the signed-in user, the locale, jobs pending)
    would outlive the job that cached it. Each job gets its own app context (an empty ``g``) and, with
    it, its own database session. Tests keep their session (it holds their transaction): there, ``g`` is
    emptied for the job and given back afterwards.
    """
    if current_app.config.get("JOBS_FRESH_SESSION", True):
        with current_app.app_context():
            yield
        return
    saved = dict(vars(g))
    for name in saved:
        g.pop(name, None)
    try:
        yield
    finally:
        for name in list(vars(g)):
            g.pop(name, None)
        vars(g).update(saved)


_in_work_horse = False  # set in the process RQ's worker forks for each job


def execute(job_id):
    """Run one recorded job (in a worker, or inline), keeping its record up to date."""
    if not has_app_context():
        from union_saas import create_app

        with create_app().app_context():
            return execute(job_id)
    from union_saas.extensions import db

    with fresh_state():
        try:
            return _execute(job_id)
        finally:
            # A worker starts each job with a fresh session (tests keep theirs: it holds their transaction).
            if current_app.config.get("JOBS_FRESH_SESSION", True):
                db.session.remove()
                if _in_work_horse:
                    db.engine.dispose()  # the forked process ends after this job: say goodbye to the server


def claim(session, job_id):
    """Take a queued record for this run (queued -> started, one UPDATE, committed); False if another run
    has it, or it is done."""
    taken = session.execute(
        sa.update(JobRecord).where(JobRecord.id == job_id, JobRecord.status == "queued")
        .values(status="started", started_at=utcnow(), attempts=JobRecord.attempts + 1)
        .execution_options(synchronize_session=False)).rowcount
    session.commit()
    return taken == 1


def _execute(job_id):
    from union_saas.extensions import db

    session = db.session
    if not claim(session, job_id):
        return None
    record = session.get(JobRecord, job_id)
    try:
        result = _function(record.kind)(record, *record.args)
    except Exception as error:
        session.rollback()
        g.pop("pending_jobs", None)  # jobs it submitted were rolled back with it
        if database_unavailable(error):
            # Not the job's fault: it stays started, RQ records the failure, and the sweeper runs it again.
            log.warning("job %s lost the database (%s); it will be run again", job_id, error)
            raise
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
    """The Redis connection requests use (short timeouts: an unreachable Redis costs a request a second at
    most), or None when jobs run inline. Nothing is sent until it is used."""
    app = current_app
    if app.config.get("JOBS_INLINE"):
        return None
    state = app.extensions.setdefault("union_saas.jobs", {})
    if "redis" not in state:
        from redis import Redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        # One retry (a pooled connection that a restart of Redis closed), not redis-py's ten with backoff.
        state["redis"] = Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=1, socket_timeout=2,
                                        retry=Retry(NoBackoff(), 1))
    return state["redis"]


def worker_connection():
    """A Redis connection for a worker or the scheduler: it waits on the queues, so it has no read timeout."""
    from redis import Redis

    return Redis.from_url(current_app.config["REDIS_URL"], socket_connect_timeout=5, health_check_interval=30)


def get_queue(name="default"):
    from rq import Queue

    connection = redis_connection()
    return None if connection is None else Queue(name, connection=connection)


def _forget_inherited_connections():
    """In the process RQ forks for a job: leave the parent's pooled database connections alone."""
    global _in_work_horse
    _in_work_horse = True
    from union_saas.extensions import db

    db.engine.dispose(close=False)


_fork_hook = []


def run_worker(burst=False, wait=5):
    """Work the queues (``make worker``, ``flask jobs worker``) with RQ's forking worker: each job runs in a
    process of its own, watched by this one (its heartbeat tells RQ the job is still alive). SIGTERM stops
    it once the job at hand is done (warm shutdown); a second SIGTERM stops the job too. When Redis goes
    away, RQ's worker gives up: a new one starts once Redis answers again."""
    from redis.exceptions import RedisError
    from rq import Queue, Worker
    from rq.exceptions import StopRequested

    class StoppableWorker(Worker):
        stopping = False

        def request_stop(self, signum, frame):
            self.stopping = True  # told to stop, by a signal: no new worker after this one
            super().request_stop(signum, frame)

    if current_app.config.get("JOBS_INLINE"):
        raise RuntimeError("jobs run inline (JOBS_INLINE): there is no queue to work")
    connection = worker_connection()
    if not _fork_hook:
        os.register_at_fork(after_in_child=_forget_inherited_connections)
        _fork_hook.append(True)
    if not burst:
        _stop_on_signals()  # until RQ's worker installs its own
    try:
        while True:
            worker = StoppableWorker([Queue(name, connection=connection) for name in QUEUES], connection=connection)
            try:
                worked = worker.work(burst=burst)
            except RedisError as error:
                log.warning("the worker lost Redis (%s)", error)
            else:
                if burst or worker.stopping:
                    return worked
            log.warning("a new worker starts once Redis answers")
            _wait_for_redis(connection, wait)
    except StopRequested:  # a signal while waiting for Redis
        return False


# --- the outbox sweeper ------------------------------------------------------------------------------

LIVE_IN_RQ = ("queued", "started", "deferred", "scheduled")
SWEEP_BATCH = 500


def sweep(session):
    """Hand on what RQ does not hold: records still queued a while (``JOBS_SWEEP_AFTER`` seconds) after they
    were recorded, and records left started by a worker that died. Flushes; the caller commits, then the
    records are handed on (``dispatch_pending``)."""
    from rq import Queue
    from rq.job import Job

    connection = redis_connection()
    if connection is None:
        return {"handed_on": 0, "queued_again": 0, "given_up": 0}
    # RQ's abandoned-job handling, now rather than at a worker's next maintenance: a job whose worker
    # stopped sending heartbeats is marked failed.
    for name in QUEUES:
        Queue(name, connection=connection).started_job_registry.cleanup()
    cutoff = utcnow() - timedelta(seconds=current_app.config.get("JOBS_SWEEP_AFTER", 60))
    rows = session.execute(
        sa.select(JobRecord.id, JobRecord.status, JobRecord.attempts)
        .where(sa.or_(sa.and_(JobRecord.status == "queued", JobRecord.created_at < cutoff),
                      sa.and_(JobRecord.status == "started", JobRecord.started_at < cutoff)))
        .order_by(JobRecord.created_at).limit(SWEEP_BATCH)).all()
    if not rows:
        return {"handed_on": 0, "queued_again": 0, "given_up": 0}
    rq_jobs = Job.fetch_many([row.id for row in rows], connection=connection)
    waiting, died, exhausted = [], [], []
    for row, rq_job in zip(rows, rq_jobs, strict=True):
        if rq_job is not None and rq_job.get_status(refresh=False) in LIVE_IN_RQ:
            continue  # RQ has it: it waits for a worker, or runs
        if rq_job is not None:
            rq_job.delete()  # what RQ kept of a run that ended without finishing the record
        if row.status == "queued":
            waiting.append(row.id)
        elif row.attempts < MAX_ATTEMPTS:
            died.append(row.id)
        else:
            exhausted.append(row.id)
    if died:
        session.execute(sa.update(JobRecord).where(JobRecord.id.in_(died), JobRecord.status == "started")
                        .values(status="queued").execution_options(synchronize_session=False))
    if exhausted:
        session.execute(sa.update(JobRecord).where(JobRecord.id.in_(exhausted), JobRecord.status == "started")
                        .values(status="failed", finished_at=utcnow(),
                                error=f"Its worker stopped while running it, {MAX_ATTEMPTS} times.")
                        .execution_options(synchronize_session=False))
    session.flush()
    g.setdefault("pending_jobs", []).extend(waiting + died)
    if waiting or died or exhausted:
        log.warning("sweep: %d queued jobs handed on again, %d whose worker died queued again, %d given up",
                    len(waiting), len(died), len(exhausted))
    return {"handed_on": len(waiting), "queued_again": len(died), "given_up": len(exhausted)}


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
        return f"every {self.every} s" if self.every else f"cron {self.cron} (the scheduler's local time)"


_periodic: dict[str, Periodic] = {}


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


@periodic(every=60)
def sweep_outbox(session):
    """Hand on the jobs Redis lost or whose worker died (every minute)."""
    return sweep(session)


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
    with fresh_state():
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
            if current_app.config.get("JOBS_FRESH_SESSION", True):
                db.session.remove()
                if _in_work_horse:
                    db.engine.dispose()


@periodic(cron="7 * * * *")
def delete_expired_job_files(session):
    """Job files are kept for ``JOB_FILES_KEPT`` (a day unless set), then deleted (hourly, at :07)."""
    expired = list(session.scalars(sa.select(JobRecord.file_id).join(files.StoredFile, files.StoredFile.id ==
                                                                    JobRecord.file_id)
                                   .where(files.StoredFile.created_at < file_expiry_cutoff())))
    if expired:
        session.execute(sa.update(JobRecord).where(JobRecord.file_id.in_(expired)).values(file_id=None)
                        .execution_options(synchronize_session=False))
        files.delete(session, *expired)
    return {"deleted": len(expired)}


def scheduler_for(connection):
    """RQ's cron scheduler with every periodic job registered (not started)."""
    from rq.cron import CronScheduler

    class Scheduler(CronScheduler):
        stopping = False

        def _request_stop(self, signum, frame):
            self.stopping = True  # told to stop, by a signal (not a lost Redis)
            super()._request_stop(signum, frame)

    scheduler = Scheduler(connection)
    for entry in periodic_jobs():
        scheduler.register(run_periodic, entry.queue, args=(entry.name,), interval=entry.every, cron=entry.cron,
                           name=entry.name, job_timeout=JOB_TIMEOUT)
    return scheduler


def other_schedulers(connection, scheduler):
    """The cron schedulers RQ's registry holds alive (a heartbeat in the last two minutes), but this one."""
    from rq.cron import CronScheduler

    return [other for other in CronScheduler.all(connection)
            if (other.hostname, other.pid) != (scheduler.hostname, scheduler.pid)]


def _stop_on_signals():
    """SIGTERM and SIGINT raise ``StopRequested`` (as RQ's own handlers do once its loop runs)."""
    import signal

    from rq.exceptions import StopRequested

    def stop(signum, frame):
        raise StopRequested()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)


def _wait_for_redis(connection, wait):
    from redis.exceptions import RedisError

    while True:
        time.sleep(wait)
        try:
            connection.ping()
            return
        except RedisError:
            continue


def run_scheduler(wait=10):
    """Keep the schedule (``flask jobs scheduler``): RQ's cron scheduler, one process for the whole platform.

    It waits while another scheduler is registered alive (say, during a deploy that starts the new one
    before stopping the old), and while Redis does not answer: what fell due meanwhile is enqueued once it
    answers again. SIGTERM or SIGINT stops it."""
    from redis.exceptions import RedisError
    from rq import cron_scheduler_registry
    from rq.exceptions import SchedulerNotFound, StopRequested

    _stop_on_signals()
    connection = worker_connection()
    scheduler = scheduler_for(connection)
    try:
        while True:
            try:
                waiting_for = None
                while others := other_schedulers(connection, scheduler):
                    names = ", ".join(sorted(other.name for other in others))
                    if names != waiting_for:
                        log.warning("another scheduler keeps the schedule (%s): waiting until it stops", names)
                        waiting_for = names
                    time.sleep(wait)
                scheduler.start()  # until SIGTERM or SIGINT
                return
            except (RedisError, SchedulerNotFound) as error:
                if scheduler.stopping:
                    return  # stopped, and Redis had forgotten it (a restart without persistence)
                log.warning("the scheduler lost Redis (%s): it goes on once Redis answers", error)
            _wait_for_redis(connection, wait)
            try:
                cron_scheduler_registry.unregister(scheduler)  # if Redis kept it, to register it again
            except (RedisError, SchedulerNotFound):
                pass
    except (StopRequested, KeyboardInterrupt):
        return


@periodic(cron="30 3 * * *")
def sweep_files(session):
    """Delete the stored files that no record points at any more (daily, at 03:30)."""
    return {"deleted": files.sweep(session)}
