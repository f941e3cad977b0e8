"""Contests (entries, approval, jury), bursts, annulment, the export, the home section and "我的"."""
import io
from datetime import timedelta

import sqlalchemy as sa
from openpyxl import load_workbook

from union_saas.core.db import utcnow
from union_saas.core.inbox import Notification
from union_saas.polls.models import PollEntry, PollOption, PollVoter

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def contest(make_poll, tenant, **fields):
    return make_poll(tenant, labels=(), kind="contest", scope="subtree", **fields)


def test_members_submit_entries_organisers_approve_them_into_options(api, world, verified, make_poll, db_session):
    poll = contest(make_poll, world["street"])
    member = verified(world["community"])
    r = api(member).post(f"/api/v1/polls/{poll.id}/entries", json={"label": "Mapo tofu", "detail": "Spicy",
                                                                    "link": "https://example.com/v/1"})
    assert r.status_code == 201 and r.json["status"] == "pending"
    entry_id = r.json["id"]
    photo = api(member).post(f"/api/v1/poll-entries/{entry_id}/photo",
                             data={"file": (io.BytesIO(PNG), "dish.png")}, content_type="multipart/form-data")
    assert photo.status_code == 200 and photo.json["photo_url"]
    assert api(world["organiser"]).get(f"/api/v1/polls/{poll.id}/entries?status=pending").json["total"] == 1
    # not yet an option: nobody votes on it
    assert api(member).get(f"/api/v1/polls/{poll.id}").json["options"] == []
    ok = api(world["organiser"]).post(f"/api/v1/poll-entries/{entry_id}/approve")
    assert ok.status_code == 200 and ok.json["label"] == "Mapo tofu" and ok.json["image_url"]
    assert api(world["organiser"]).post(f"/api/v1/poll-entries/{entry_id}/approve").status_code == 409
    options = api(member).get(f"/api/v1/polls/{poll.id}").json["options"]
    assert [o["id"] for o in options] == [ok.json["id"]]
    assert api(member).post(f"/api/v1/polls/{poll.id}/votes", json={"choices": [ok.json["id"]]}).status_code == 201
    told = db_session.scalars(sa.select(Notification.kind).where(Notification.user_id == member.id)).all()
    assert "poll.entry_approved" in told


def test_a_rejected_entry_never_becomes_an_option(api, world, verified, make_poll, db_session):
    poll = contest(make_poll, world["street"])
    member = verified(world["street"])
    entry_id = api(member).post(f"/api/v1/polls/{poll.id}/entries", json={"label": "Dup"}).json["id"]
    r = api(world["organiser"]).post(f"/api/v1/poll-entries/{entry_id}/reject", json={"reason": "Twice"})
    assert r.status_code == 200 and r.json["status"] == "rejected" and r.json["reason"] == "Twice"
    assert db_session.scalar(sa.select(sa.func.count()).select_from(PollOption)) == 0


def test_a_contest_entry_outside_the_window_is_refused(api, world, verified, make_poll, db_session):
    for opens, closes in ((2, 5), (-5, -1)):
        poll = contest(make_poll, world["street"], opens=opens, closes=closes)
        r = api(verified(world["street"])).post(f"/api/v1/polls/{poll.id}/entries", json={"label": "Late"})
        assert r.status_code == 409
    assert db_session.scalar(sa.select(sa.func.count()).select_from(PollEntry)) == 0


def test_entries_need_a_verified_member_in_scope_of_a_contest(api, world, verified, make_poll, db_session):
    poll = contest(make_poll, world["street"])
    assert api(world["organiser"]).post(f"/api/v1/polls/{poll.id}/entries", json={"label": "X"}).status_code == 403
    assert api(verified(world["other"])).post(f"/api/v1/polls/{poll.id}/entries", json={"label": "X"}).status_code == 404
    plain = make_poll(world["street"])
    assert api(verified(world["street"])).post(f"/api/v1/polls/{plain.id}/entries",
                                               json={"label": "X"}).status_code == 409
    bad = api(verified(world["street"])).post(f"/api/v1/polls/{poll.id}/entries", json={"label": "", "link": "ftp://x"})
    assert bad.status_code == 422 and set(bad.json["errors"]) == {"label", "link"}
    assert db_session.scalar(sa.select(sa.func.count()).select_from(PollEntry)) == 0


def test_the_jury_formula_applies_to_the_published_counts(api, world, verified, make_poll, db_session):
    poll = make_poll(world["street"], labels=("Chef A", "Chef B"), kind="contest", jury_weight=30)
    a, b = poll.option_ids
    for choice in (a, a, a, b):
        api(verified(world["street"])).post(f"/api/v1/polls/{poll.id}/votes", json={"choices": [choice]})
    r = api(world["organiser"]).open("PUT", f"/api/v1/polls/{poll.id}/jury", json={"scores": [
        {"option": a, "score": 20}, {"option": b, "score": 100}]})
    assert r.status_code == 200, r.json
    by_id = {o["id"]: o for o in r.json["options"]}
    # public points: 100 × votes ÷ the most votes; score = 70% public + 30% jury
    assert by_id[a]["public_points"] == 100.0 and by_id[b]["public_points"] == 33.33
    assert by_id[a]["score"] == 76.0 and by_id[b]["score"] == round(0.7 * 33.33 + 30, 2)
    assert r.json["jury_weight"] == 30 and r.json["public_weight"] == 70 and "70%" in r.json["formula"]
    bad = api(world["organiser"]).open("PUT", f"/api/v1/polls/{poll.id}/jury", json={"scores": [{"option": a, "score": 101}]})
    assert bad.status_code == 422
    unknown = api(world["organiser"]).open("PUT", f"/api/v1/polls/{poll.id}/jury", json={"scores": [
        {"option": 999999, "score": 5}]})
    assert unknown.status_code == 422
    assert db_session.get(PollOption, a).jury_score == 20


def test_bursts_of_votes_from_new_memberships_are_flagged(api, world, verified, make_poll):
    poll = make_poll(world["street"])
    long_ago = utcnow() - timedelta(days=400)
    for _ in range(3):
        api(verified(world["street"], created_at=long_ago)).post(
            f"/api/v1/polls/{poll.id}/votes", json={"choices": [poll.option_ids[0]]})
    assert api(world["organiser"]).get(f"/api/v1/polls/{poll.id}/bursts").json["items"] == []
    for _ in range(10):
        api(verified(world["street"])).post(f"/api/v1/polls/{poll.id}/votes", json={"choices": [poll.option_ids[1]]})
    items = api(world["organiser"]).get(f"/api/v1/polls/{poll.id}/bursts").json["items"]
    assert sum(i["new_members"] for i in items) == 10 and items[0]["new_members"] >= 1


def test_annulment_needs_a_reason_and_tells_every_voter(api, world, verified, make_poll, db_session):
    poll = make_poll(world["street"])
    voters = [verified(world["street"]) for _ in range(3)]
    for user in voters:
        api(user).post(f"/api/v1/polls/{poll.id}/votes", json={"choices": [poll.option_ids[0]]})
    assert api(world["organiser"]).post(f"/api/v1/polls/{poll.id}/annul", json={"reason": ""}).status_code == 422
    r = api(world["organiser"]).post(f"/api/v1/polls/{poll.id}/annul", json={"reason": "Bought votes"})
    assert r.status_code == 200 and r.json["told"] == 3
    told = db_session.scalars(sa.select(Notification.user_id).where(Notification.kind == "poll.annulled")).all()
    assert sorted(told) == sorted(u.id for u in voters)
    assert db_session.scalar(sa.select(Notification.body).where(Notification.kind == "poll.annulled")) == "Bought votes"
    assert api(world["organiser"]).post(f"/api/v1/polls/{poll.id}/annul", json={"reason": "Again"}).status_code == 409
    doc = api(voters[0]).get(f"/api/v1/polls/{poll.id}").json
    assert doc["annulled"] is True and doc["status"] == "closed" and doc["annul_reason"] == "Bought votes"
    late = api(verified(world["street"])).post(f"/api/v1/polls/{poll.id}/votes", json={"choices": [poll.option_ids[0]]})
    assert late.status_code == 409
    # votes are never removed
    assert db_session.scalar(sa.select(sa.func.count()).select_from(PollVoter)) == 3


def test_members_may_not_annul_see_bursts_or_approve(api, world, verified, make_poll):
    poll = make_poll(world["street"])
    member = verified(world["street"])
    assert api(member).post(f"/api/v1/polls/{poll.id}/annul", json={"reason": "x"}).status_code == 404
    assert api(member).get(f"/api/v1/polls/{poll.id}/bursts").status_code == 404


def test_the_export_has_results_and_receipts(api, world, verified, make_poll, db_session, run_jobs):
    poll = make_poll(world["street"])
    receipt = api(verified(world["street"])).post(f"/api/v1/polls/{poll.id}/votes",
                                                  json={"choices": [poll.option_ids[0]]}).json["receipt"]
    poll.closes_at = utcnow() - timedelta(minutes=1)
    db_session.flush()
    client = api(world["organiser"])
    job = client.post(f"/api/v1/polls/{poll.id}/export").json["job"]
    run_jobs()
    status = client.get(f"/api/v1/jobs/{job}").json
    assert status["status"] == "finished", status
    data = client.get(f"/api/v1/jobs/{job}/file").data
    book = load_workbook(io.BytesIO(data))
    sheets = {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in book.worksheets}
    results = next(v for k, v in sheets.items() if k in ("Results", "结果"))
    assert results[1][:2] == ["Tea", 1]
    receipts = next(v for k, v in sheets.items() if k in ("Receipts", "回执"))
    assert receipts[1] == [receipt]


def test_the_home_section_offers_one_tap_votes_and_my_votes_counts_what_waits(login_en, world, verified, make_poll,
                                                                              app):
    from union_saas.tenancy import sections

    poll = make_poll(world["street"], scope="subtree")
    member = verified(world["community"], username="home-member")
    client = login_en(member)
    home = client.get("/t/community").get_data(as_text=True)
    assert poll.title in home and f'action="/polls/{poll.id}/vote"' in home
    with app.test_request_context():
        from union_saas.polls import services

        assert services.waiting_count(__import__("union_saas.extensions").extensions.db.session, member) == 1
        assert sections.ME_ENTRIES["my_votes"].url(member) == "/me/votes"
        assert sections.SERVICES["polls"].url(member) == "/polls"
    assert client.post(f"/polls/{poll.id}/vote", data={"choices": str(poll.option_ids[0])}).status_code == 200
    with app.test_request_context():
        from union_saas.extensions import db
        from union_saas.polls import services

        assert services.waiting_count(db.session, member) == 0
    assert poll.title in client.get("/me/votes").get_data(as_text=True)


def test_the_organisers_pages(login_en, world, verified, make_poll, api):
    poll = contest(make_poll, world["street"], jury_weight=40)
    member = verified(world["street"], username="entrant")
    page = login_en(member)
    r = page.post(f"/polls/{poll.id}/entries/new", data={"label": "Noodles", "photo": (io.BytesIO(PNG), "n.png")},
                  content_type="multipart/form-data")
    assert r.status_code == 302
    bad = page.post(f"/polls/{poll.id}/entries/new", data={"label": "", "link": "nope"})
    assert bad.status_code == 422 and "nope" in bad.get_data(as_text=True)
    org = login_en(world["organiser"])
    queue = org.get("/manage/street/poll-entries").get_data(as_text=True)
    assert "Noodles" in queue
    manage = org.get("/manage/street/polls").get_data(as_text=True)
    assert poll.title in manage and 'class="badge red"' in manage  # the tab's badge: one entry waits
    entry = api(world["organiser"]).get(f"/api/v1/polls/{poll.id}/entries").json["items"][0]
    assert org.post(f"/manage/poll-entries/{entry['id']}/approve", data={"back": "queue"}).status_code == 302
    detail = org.get(f"/manage/polls/{poll.id}").get_data(as_text=True)
    assert "Noodles" in detail and "Jury scores" in detail and "60%" in detail
    option_id = api(world["organiser"]).get(f"/api/v1/polls/{poll.id}").json["options"][0]["id"]
    bad_score = org.post(f"/manage/polls/{poll.id}/jury", data={f"score-{option_id}": "300"})
    assert bad_score.status_code == 422
    assert org.post(f"/manage/polls/{poll.id}/jury", data={f"score-{option_id}": "80"}).status_code == 302
    no_reason = org.post(f"/manage/polls/{poll.id}/annul", data={"reason": ""})
    assert no_reason.status_code == 422 and "Say why" in no_reason.get_data(as_text=True)
    assert org.post(f"/manage/polls/{poll.id}/export").status_code == 302


def test_an_author_sees_their_entries_and_replaces_a_pending_photo(login_en, world, verified, make_poll, api,
                                                                   db_session):
    poll = contest(make_poll, world["street"])
    member = verified(world["street"], username="author")
    entry_id = api(member).post(f"/api/v1/polls/{poll.id}/entries", json={"label": "Hotpot"}).json["id"]
    page = login_en(member)
    assert "Hotpot" in page.get(f"/polls/{poll.id}").get_data(as_text=True)
    bad = page.post(f"/poll-entries/{entry_id}/photo", data={"file": (io.BytesIO(b"GIF89a"), "x.gif")},
                    content_type="multipart/form-data")
    assert bad.status_code == 422 and db_session.get(PollEntry, entry_id).photo_id is None
    ok = page.post(f"/poll-entries/{entry_id}/photo", data={"file": (io.BytesIO(PNG), "x.png")},
                   content_type="multipart/form-data")
    assert ok.status_code == 302
    db_session.expire_all()
    assert db_session.get(PollEntry, entry_id).photo_id is not None
    other = login_en(verified(world["street"], username="not-author"))
    assert other.post(f"/poll-entries/{entry_id}/photo", data={"file": (io.BytesIO(PNG), "x.png")},
                      content_type="multipart/form-data").status_code == 404
