"""The draw anyone can check: the page's script recomputes a real draw from its published data; the scheduler
draws by itself at the draw time and passes tickets on after the claim deadline, idempotently; the secret is
never shown or logged before the draw."""
import importlib.util
import json
import logging
import subprocess
import sys
from datetime import timedelta
from importlib import resources as package_files

import sqlalchemy as sa

from tests.benefits.conftest import now
from union_saas.benefits import services, tasks
from union_saas.benefits.models import Entry, Giveaway, Ticket
from union_saas.core.audit import AuditEntry
from union_saas.core.jobs import periodic_jobs

SCRIPT = package_files.files("union_saas.benefits").joinpath("static/check_draw.py")


def load_script():
    spec = importlib.util.spec_from_file_location("check_draw", str(SCRIPT))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def a_drawn_lottery(api, make_user, verified, tenants, admin, db_session, make_giveaway, n=7, quantity=3):
    g = make_giveaway(tenants["fed-s"], scope="subtree", quantity=quantity)
    people = []
    for i in range(n):
        u = make_user(f"d{i}")
        verified(u, tenants["fed-s-c"], n=500 + i)
        people.append((u, api(u).post(f"/api/v1/giveaways/{g.id}/entries").get_json()["entry_code"]))
    g.opens_at, g.closes_at = now() - timedelta(hours=3), now() - timedelta(minutes=5)
    db_session.flush()
    assert api(admin).post(f"/api/v1/giveaways/{g.id}/draw").status_code == 200
    return g, people


def test_the_pages_script_checks_a_real_draw(api, union, make_user, verified, make_giveaway, db_session, login_en,
                                            tmp_path):
    tenants, admin = union
    g, people = a_drawn_lottery(api, make_user, verified, tenants, admin, db_session, make_giveaway)
    me, my_code = people[0]
    # What a member downloads from the draw page, run through the script the page shows.
    published = login_en(me).get(f"/giveaways/{g.id}/draw.json")
    assert published.status_code == 200
    data = json.loads(published.get_data(as_text=True))
    results, place = load_script().check(data, my_code)
    assert all(ok for _, ok in results) and len(results) == 4, results
    assert data["ranking"][place - 1] == my_code
    # The same script, run as anyone would run it, from the command line.
    path = tmp_path / "draw.json"
    path.write_text(json.dumps(data))
    out = subprocess.run([sys.executable, str(SCRIPT), str(path), my_code], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.count("OK ") == 4, out.stdout + out.stderr
    assert f"place {place} of 7" in out.stdout
    # A tampered ranking, or a seed that does not match the commitment, is caught.
    forged = dict(data, ranking=list(reversed(data["ranking"])))
    assert not all(ok for _, ok in load_script().check(forged)[0])
    forged = dict(data, seed="00" * 32)
    assert not load_script().check(forged)[0][0][1]
    # The page shows the script itself, and explains it in both languages.
    page = login_en(me).get("/giveaways/how-draws-work").get_data(as_text=True)
    assert "def check(draw, my_code=None)" in page and "commitment" in page
    zh = login_en(me)
    zh.set_cookie("locale", "zh")
    assert "如何核验抽签" in zh.get("/giveaways/how-draws-work").get_data(as_text=True)


def test_the_draw_page_finds_my_code(api, union, make_user, verified, make_giveaway, db_session, login_en):
    tenants, admin = union
    g, people = a_drawn_lottery(api, make_user, verified, tenants, admin, db_session, make_giveaway)
    me, code = people[2]
    page = login_en(me).get(f"/giveaways/{g.id}/draw").get_data(as_text=True)
    assert g.seed in page and g.entries_hash in page and g.commitment in page
    for _, c in people:
        assert c in page
    assert 'class="winner mine"' in page or 'class=" mine"' in page
    found = login_en(me).get(f"/giveaways/{g.id}/draw?code=NOPE").get_data(as_text=True)
    assert "NOPE is not among the entries" in found


def test_secret_is_never_shown_nor_logged_before_the_draw(api, union, make_user, verified, db_session, login_en,
                                                         caplog):
    tenants, admin = union
    caplog.set_level(logging.DEBUG)
    t = now()
    r = api(admin).post("/api/v1/tenants/fed-s/giveaways", json={
        "title": "Show", "quantity": 1, "method": "lottery", "scope": "subtree", "opens_at": t.isoformat(),
        "closes_at": (t + timedelta(days=1)).isoformat()})
    g = db_session.get(Giveaway, r.get_json()["id"])
    secret = g.secret.hex()
    u = make_user("looker")
    verified(u, tenants["fed-s"])
    seen = [r.get_data(as_text=True), api(u).get(f"/api/v1/giveaways/{g.id}").get_data(as_text=True),
            api(u).get("/api/v1/giveaways").get_data(as_text=True),
            api(u).get(f"/api/v1/giveaways/{g.id}/draw").get_data(as_text=True),
            login_en(u).get(f"/giveaways/{g.id}").get_data(as_text=True),
            login_en(u).get(f"/giveaways/{g.id}/draw").get_data(as_text=True),
            login_en(admin).get(f"/manage/giveaways/{g.id}").get_data(as_text=True)]
    audit = [json.dumps(row.detail) for row in db_session.scalars(sa.select(AuditEntry))]
    assert not any(secret in text for text in seen + audit + [caplog.text])


def test_the_scheduler_draws_at_the_draw_time_once(app, api, union, make_user, verified, make_giveaway, db_session):
    from union_saas.core import jobs

    tenants, admin = union
    assert "union_saas.benefits.tasks:due_giveaways" in {p.name for p in periodic_jobs()}
    g = make_giveaway(tenants["fed-s"], scope="subtree", quantity=1)
    open_one = make_giveaway(tenants["fed-s"], scope="subtree", quantity=1)
    u = make_user("auto")
    verified(u, tenants["fed-s"])
    code = api(u).post(f"/api/v1/giveaways/{g.id}/entries").get_json()["entry_code"]
    g.opens_at, g.closes_at = now() - timedelta(hours=3), now() - timedelta(minutes=1)
    db_session.flush()
    g_id, open_id = g.id, open_one.id
    tasks.due_giveaways(db_session)  # what the scheduler runs every minute: it queues the draw
    queued = db_session.scalar(sa.select(jobs.JobRecord).where(jobs.JobRecord.kind.like("%draw_due")))
    assert queued is not None
    assert jobs.execute(queued.id) == {"drawn": 1}
    again = jobs.submit(db_session, tasks.draw_due)
    assert jobs.execute(again.id) == {"drawn": 0}  # a doubled run changes nothing
    g = db_session.get(Giveaway, g_id)
    assert g.drawn_at is not None and g.seed and db_session.get(Giveaway, open_id).drawn_at is None
    first = services.published_draw(db_session, g)
    assert first["winners"] == [code]
    assert db_session.scalar(sa.select(sa.func.count()).where(Ticket.giveaway_id == g_id)) == 1


def test_the_scheduler_passes_on_after_the_claim_deadline(api, union, make_user, verified, make_giveaway,
                                                         db_session):
    tenants, admin = union
    g = make_giveaway(tenants["fed-s"], scope="subtree", quantity=1, claim_by=30)
    users = []
    for i in range(3):
        u = make_user(f"po{i}")
        verified(u, tenants["fed-s"], n=900 + i)
        api(u).post(f"/api/v1/giveaways/{g.id}/entries")
        users.append(u)
    g.opens_at, g.closes_at = now() - timedelta(hours=3), now() - timedelta(minutes=1)
    db_session.flush()
    services.draw(db_session, admin, g)
    assert list(db_session.scalars(services.due_pass_ons_stmt(now()))) == []  # not yet: the deadline is ahead
    g.claim_by = now() - timedelta(seconds=1)
    db_session.flush()
    due = list(db_session.scalars(services.due_pass_ons_stmt(now())))
    assert due == [g.id]
    assert [services.pass_on(db_session, i) for i in due] == [1]
    assert list(db_session.scalars(services.due_pass_ons_stmt(now()))) == []
    assert services.pass_on(db_session, g.id) == 0
    statuses = dict(db_session.execute(sa.select(Entry.rank, Entry.status).where(Entry.giveaway_id == g.id)).all())
    assert statuses == {1: "lost", 2: "won", 3: "reserve"}  # the third is shown as lost: the giveaway is over
    assert db_session.get(Giveaway, g.id).tickets_count == 1
