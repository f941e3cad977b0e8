"""Bench: the office rollups over a district of 5,051 unions (1 + 50 streets x 100 communities).

    .venv/bin/python bench/office_rollup.py                       # SQLite file in /tmp
    .venv/bin/python bench/office_rollup.py postgresql://...      # an empty PostgreSQL database (tables dropped!)

Measures the fan-out of one notice and one task to every union (the job's work), then the grouped
rollup queries (receipts under the root and under a street, task progress under the root), as the
median of repeated runs. Writes nothing outside the given database.
"""
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

STREETS, COMMUNITIES, RUNS = 50, 100, 20


def timed(fn, runs=RUNS):
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main(url):
    import sqlalchemy as sa

    from union_saas import create_app
    from union_saas.accounts.models import User
    from union_saas.core.db import utcnow
    from union_saas.extensions import db
    from union_saas.office import services
    from union_saas.office.models import NoticeReceipt
    from union_saas.tenancy import services as tenancy

    app = create_app("testing", DATABASE_URL=url, JOBS_INLINE=True)
    with app.app_context(), app.test_request_context():
        db.drop_all()
        db.create_all()
        session = db.session
        tree = {"slug": "bench", "name": "Bench", "kind": "federation", "children": [
            {"slug": f"s{i}", "name": f"Street {i}", "kind": "street", "children": [
                {"slug": f"s{i}-c{j}", "name": f"Community {i}-{j}", "kind": "community"}
                for j in range(COMMUNITIES)]} for i in range(STREETS)]}
        start = time.perf_counter()
        tenancy.import_tree(session, None, tree)
        session.commit()
        load_ms = (time.perf_counter() - start) * 1000
        root, street = tenancy.get_by_slug(session, "bench"), tenancy.get_by_slug(session, "s7")
        author = User(username="bench", display_name="Bench", password_hash="x")
        session.add(author)
        session.flush()
        notice = services.send_notice(session, author, root, {"title": "Bench", "to": "subtree"})
        start = time.perf_counter()
        services.fan_out_notice(session, notice)
        session.commit()
        fan_out_ms = (time.perf_counter() - start) * 1000
        task = services.create_task(session, author, root, {"title": "Bench", "to": "subtree",
                                                            "due_at": utcnow() + timedelta(days=2),
                                                            "fields": [{"name": "n", "kind": "number"}]})
        start = time.perf_counter()
        services.fan_out_task(session, task, root, "subtree", [])
        session.commit()
        task_fan_out_ms = (time.perf_counter() - start) * 1000
        # A third of the offices have read it.
        session.execute(sa.update(NoticeReceipt).where(NoticeReceipt.notice_id == notice.id,
                                                       NoticeReceipt.id % 3 == 0).values(read_at=utcnow()))
        session.commit()
        start = time.perf_counter()
        services.fan_out_notice(session, notice)
        session.commit()
        rerun_ms = (time.perf_counter() - start) * 1000

        def receipts(prefix):
            return session.execute(services.receipts_rollup_stmt(notice, prefix).limit(200)).all()

        results = {
            "tenants": 1 + STREETS * (1 + COMMUNITIES),
            "load tree (import_tree)": load_ms,
            "notice fan-out, 5,050 receipts": fan_out_ms,
            "notice fan-out re-run (creates nothing)": rerun_ms,
            "task fan-out, 5,050 assignments": task_fan_out_ms,
            "receipts rollup under the root (50 rows)": timed(lambda: receipts(root.path)),
            "receipts rollup under a street (100 rows)": timed(lambda: receipts(street.path)),
            "progress rollup under the root (50 rows)": timed(
                lambda: session.execute(services.progress_stmt(task, root.path).limit(200)).all()),
            "remind the unread under a street": timed(
                lambda: services.remind_unread(session, author, notice, street.path), runs=3),
        }
        session.rollback()
        db.drop_all()
    return results


if __name__ == "__main__":
    url = sys.argv[1] if len(sys.argv) > 1 else "sqlite:///" + tempfile.mktemp(suffix=".db")
    for name, value in main(url).items():
        print(f"{name:<45} {value:>10.1f}" + (" ms" if name != "tenants" else ""))
