"""Benchmark: import a 100,000-row roster (.xlsx and .csv), then the same file again.

    .venv/bin/python bench/roster_import.py                       # SQLite file in a temporary folder
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench .venv/bin/python bench/roster_import.py

The database named by BENCH_DATABASE_URL is emptied (tables dropped and created): never point it at real data.
Times the whole job body (read, check every row, hash, encrypt, write, match, report), as the RQ job runs it.
"""
import io
import os
import platform
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # config/ of the repository

ROWS = int(os.environ.get("BENCH_ROWS", "100000"))


def make_rows(n, seed=7):
    from union_saas.members.identity import make_id

    rng = random.Random(seed)
    surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    given = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红"
    seen = set()
    rows = []
    while len(rows) < n:
        born = f"{rng.randint(1960, 2004)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        number = make_id(f"510{rng.randint(100, 199)}{born}{rng.randint(0, 999):03d}")
        if number in seen:
            continue
        seen.add(number)
        name = rng.choice(surnames) + "".join(rng.choice(given) for _ in range(rng.randint(1, 2)))
        rows.append((name, number, f"1{rng.choice('3578')}{rng.randint(0, 999999999):09d}",
                     f"第{rng.randint(1, 40)}车间", f"M{len(rows):06d}"))
    return rows


def xlsx_file(rows):
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("名册")
    sheet.append(["姓名", "身份证号", "手机号", "工作单位", "会员编号"])
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_file(rows):
    lines = ["姓名,身份证号,手机号,工作单位,会员编号"] + [",".join(r) for r in rows]
    return ("\r\n".join(lines) + "\r\n").encode("gbk")


def run(url, rows_wanted=ROWS, echo=print):
    """Import each file twice into the database ``url`` (its tables are dropped and created): a list of
    ``{file, attempt, wall_s, cpu_s, imported, unchanged, rejected}``, and the files' sizes."""
    from union_saas import create_app
    from union_saas.accounts.models import User
    from union_saas.extensions import db
    from union_saas.members import importer
    from union_saas.tenancy import services as tenancy

    app = create_app("testing", DATABASE_URL=url)
    rows = make_rows(rows_wanted)
    files = {"xlsx": xlsx_file(rows), "csv": csv_file(rows)}
    results = []
    with app.test_request_context("/?lang=en"):
        db.drop_all()
        db.create_all()
        session = db.session
        fed = tenancy.create_federation(session, None, slug="bench", name="Bench federation")
        actor = User(username="bench", display_name="Bench", password_hash="x")
        session.add(actor)
        session.flush()
        for kind, content in files.items():
            union = tenancy.create_child(session, None, fed, slug=f"bench-{kind}", name=f"Bench {kind}",
                                         kind="enterprise")
            session.commit()
            for attempt in ("first", "again"):
                started, cpu = time.perf_counter(), time.process_time()
                result = importer.import_roster(session, actor, union, content, kind)
                session.commit()
                seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
                results.append({"file": kind, "attempt": attempt, "wall_s": round(seconds, 1), "cpu_s": round(cpu, 1),
                                **{k: result[k] for k in ("imported", "unchanged", "rejected")}})
                echo(f"{kind:4} {attempt:5} {seconds:6.1f} s wall {cpu:6.1f} s cpu  imported {result['imported']:6}  "
                      f"unchanged {result['unchanged']:6}  rejected {result['rejected']}", flush=True)
        db.drop_all()
    return results, {k: len(v) for k, v in files.items()}


def main():
    url = os.environ.get("BENCH_DATABASE_URL") or "sqlite:///" + os.path.join(tempfile.mkdtemp(), "bench.db")
    results, files = run(url)
    sizes = ", ".join(f"{k} {v / 1e6:.1f} MB" for k, v in files.items())
    backend = url.split(":", 1)[0]
    load = os.getloadavg()[0]
    print(f"\n{ROWS} rows ({sizes}) on {backend}; {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores (load average {load:.1f}), Python {sys.version.split()[0]}")
    return results


if __name__ == "__main__":
    main()
