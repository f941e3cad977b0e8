"""Commands people type: ``flask users ...``, ``flask tenants ...``, ``flask jobs worker|scheduler``, ``flask demo ...``."""
import json
from pathlib import Path

import click
import sqlalchemy as sa
import yaml
from flask import current_app
from flask.cli import AppGroup

from union_saas.extensions import db

users = AppGroup("users", help="Accounts.")
tenants = AppGroup("tenants", help="The tenant tree.")
jobs_cli = AppGroup("jobs", help="Background jobs.")
demo = AppGroup("demo", help="Demo data.")


def register(app):
    for group in (users, tenants, jobs_cli, demo):
        app.cli.add_command(group)


@users.command("create-operator")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--name", "display_name", default=None, help="Name shown to others.")
def create_operator(username, password, display_name):
    """Create a platform operator (or make an existing user one)."""
    from union_saas.accounts.models import User
    from union_saas.accounts.services import normalise_username, register
    from union_saas.core.errors import DomainError

    user = db.session.scalar(sa.select(User).where(User.username == normalise_username(username)))
    try:
        if user is None:
            user = register(db.session, username=username, password=password, display_name=display_name or username,
                            hash_method=current_app.config["PASSWORD_HASH_METHOD"])
    except DomainError as error:
        raise click.ClickException(f"{error.detail or ''} {json.dumps(error.errors, ensure_ascii=False)}") from None
    user.is_operator = True
    db.session.commit()
    click.echo(f"{user.username} is a platform operator.")


@tenants.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--under", default=None, help="Slug of an existing tenant: the file lists its sub-unions.")
def load(file, under):
    """Load a tenant tree from a YAML file (tenants/*.yaml); loading it again changes nothing."""
    from union_saas.core.errors import DomainError
    from union_saas.tenancy import services

    data = yaml.safe_load(file.read_text(encoding="utf-8"))
    parent = services.get_by_slug(db.session, under) if under else None
    with click.progressbar(length=100, label="tenants") as bar:
        last = [0]

        def progress(done, total):
            percent = int(done * 100 / max(total, 1))
            bar.update(percent - last[0])
            last[0] = percent

        try:
            result = services.import_tree(db.session, None, data, under=parent, progress=progress)
        except DomainError as error:
            db.session.rollback()
            raise click.ClickException(f"{error.detail} {json.dumps(error.errors, ensure_ascii=False)}") from None
        bar.update(100 - last[0])
    db.session.commit()
    click.echo(f"{result['root']}: {result['created']} created, {result['updated']} updated.")


@tenants.command("export")
@click.argument("slug")
@click.option("-o", "--output", type=click.File("w", encoding="utf-8"), default="-")
def export(slug, output):
    """Write the subtree at SLUG as YAML, the shape ``tenants load`` reads."""
    from union_saas.tenancy import services

    tree = services.export_tree(db.session, services.get_by_slug(db.session, slug))
    yaml.safe_dump(tree, output, allow_unicode=True, sort_keys=False)


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
def worker(burst):
    """Work the RQ queues (as many workers as needed); SIGTERM stops one once its job is done."""
    from union_saas.core.jobs import run_worker

    run_worker(burst=burst)


@jobs_cli.command("scheduler")
def scheduler():
    """Enqueue the periodic jobs on time (RQ's cron scheduler): run one for the whole platform."""
    from union_saas.core.jobs import run_scheduler

    run_scheduler()


@jobs_cli.command("schedule")
def schedule():
    """List the periodic jobs the scheduler enqueues, and when."""
    from union_saas.core.jobs import periodic_jobs

    for entry in periodic_jobs():
        doc = (entry.fn.__doc__ or "").strip().splitlines()
        click.echo(f"{entry.name}  [{entry.queue}]  {entry.when}  {doc[0] if doc else ''}")


@jobs_cli.command("sweep")
def sweep():
    """Hand on now the jobs Redis lost or whose worker died (the scheduler does it every minute)."""
    from union_saas.core.jobs import run_periodic, sweep_outbox

    result = run_periodic(sweep_outbox.periodic_name)
    click.echo(", ".join(f"{key.replace('_', ' ')}: {value}" for key, value in result.items()))


@demo.command("ensure")
def ensure():
    """On first start: load the demo district and create the demo accounts; print them."""
    from union_saas.demo import ensure_demo

    for line in ensure_demo(db.session, current_app):
        click.echo(line)
    db.session.commit()


@demo.command("seed")
@click.option("--scale", "scale_name", type=click.Choice(["small", "large"]), default="small", show_default=True,
              help="small: a few hundred unions, a few thousand users; large: a district (5,000 unions, 500,000 users).")
@click.option("--slug", default=None, help="Slug of the federation to build (default: qingyang).")
@click.option("--vacuum/--no-vacuum", default=True, show_default=True,
              help="On PostgreSQL, VACUUM (ANALYZE) the loaded tables afterwards, as autovacuum would.")
def seed(scale_name, slug, vacuum):
    """Build a realistic federation with bulk inserts (see union_saas/demo_seed.py); prints its accounts."""
    import time

    from werkzeug.security import generate_password_hash

    from union_saas import DOMAINS
    from union_saas.demo_seed import DEFAULT_SLUG, PASSWORD, SCALES
    from union_saas.demo_seed import seed as build

    started = time.monotonic()

    def progress(label, total):
        return click.progressbar(length=total, label=f"{label:<12}", show_pos=True)

    try:
        ctx = build(db.session, SCALES[scale_name], slug=slug or DEFAULT_SLUG, domains=DOMAINS, progress=progress,
                    password_hash=generate_password_hash(PASSWORD, method=current_app.config["PASSWORD_HASH_METHOD"]))
    except ValueError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    db.session.commit()
    if vacuum and db.engine.dialect.name == "postgresql":
        # As autovacuum would leave them, at once: the visibility map set (index-only scans) and fresh statistics.
        # Without it the first queries of a benchmark plan sequential scans of the bulk-loaded tables.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("SET lock_timeout = '10s'")
            try:
                for table in ctx.counts:
                    connection.exec_driver_sql(f'VACUUM (ANALYZE) "{table}"')
            except sa.exc.OperationalError:
                click.echo("VACUUM skipped: the tables are in use (autovacuum will do it).")
    counts = ", ".join(f"{n:,} {table}" for table, n in ctx.counts.items())
    click.echo(f"{ctx.slug} ({scale_name}) built in {time.monotonic() - started:.1f} s: {counts}.")
    click.echo(f"Every account's password is {PASSWORD}. Federation administrator: {ctx.usernames[ctx.admins['federation_admin'][0][0]]}"
               f" (/manage/{ctx.slug}); street administrators: {ctx.slug}-s01-admin ... "
               f"{ctx.slug}-s{ctx.scale.streets:02d}-admin; members: {ctx.slug}-000000 ...")
