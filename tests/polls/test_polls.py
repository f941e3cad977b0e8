"""Polls: create, vote once per person, results, receipts, and every line of the issue's "Bad input"."""
from datetime import timedelta

import sqlalchemy as sa

from union_saas.core.db import utcnow
from union_saas.polls.models import Poll, PollBallot, PollBallotChoice, PollOption, PollVoter


def create_body(**fields):
    now = utcnow()
    data = {"title": "Next activity", "kind": "single", "options": [{"label": "Hiking"}, {"label": "Cinema"}],
            "opens_at": now.isoformat(), "closes_at": (now + timedelta(days=3)).isoformat(), "scope": "subtree"}
    data.update(fields)
    return data


def rows(db_session, model, **where):
    return db_session.scalar(sa.select(sa.func.count()).select_from(model).filter_by(**where))


# --- create ---------------------------------------------------------------------------------------

def test_an_organiser_creates_a_poll_with_its_options(api, world, db_session):
    r = api(world["organiser"]).post("/api/v1/tenants/street/polls", json=create_body())
    assert r.status_code == 201, r.json
    assert r.json["status"] == "open" and [o["label"] for o in r.json["options"]] == ["Hiking", "Cinema"]
    assert r.json["kind"] == "single" and r.json["max_choices"] == 1 and r.json["results"] == "live"


def test_creating_needs_poll_manage(api, world, make_user, grant):
    officer = make_user()
    grant(officer, "union_officer", world["street"])
    assert api(officer).post("/api/v1/tenants/street/polls", json=create_body()).status_code == 403


def test_a_poll_with_fewer_than_two_options_is_refused(api, world, db_session):
    r = api(world["organiser"]).post("/api/v1/tenants/street/polls", json=create_body(options=[{"label": "Only"}]))
    assert r.status_code == 422 and "options" in r.json["errors"]
    assert rows(db_session, Poll) == 0


def test_max_choices_beyond_the_options_is_refused(api, world, db_session):
    r = api(world["organiser"]).post("/api/v1/tenants/street/polls", json=create_body(kind="multiple", max_choices=3))
    assert r.status_code == 422 and "max_choices" in r.json["errors"]
    assert rows(db_session, Poll) == 0


def test_closing_before_opening_is_refused(api, world, db_session):
    now = utcnow()
    r = api(world["organiser"]).post("/api/v1/tenants/street/polls", json=create_body(
        opens_at=now.isoformat(), closes_at=(now - timedelta(hours=1)).isoformat()))
    assert r.status_code == 422 and "closes_at" in r.json["errors"]
    assert rows(db_session, Poll) == 0


def test_a_contest_may_start_without_options(api, world):
    r = api(world["organiser"]).post("/api/v1/tenants/street/polls", json=create_body(
        kind="contest", options=[], jury_weight=30))
    assert r.status_code == 201 and r.json["options"] == [] and r.json["jury_weight"] == 30
    assert "70%" in r.json["formula"] and "30%" in r.json["formula"]


# --- vote ----------------------------------------------------------------------------------------

def test_a_verified_member_votes_once_and_gets_a_receipt(api, world, verified, make_poll, db_session):
    poll = make_poll(world["street"], scope="subtree")
    member = verified(world["community"])
    client = api(member)
    r = client.post(f"/api/v1/polls/{poll.id}/votes", json={"choices": [poll.option_ids[1]]})
    assert r.status_code == 201 and len(r.json["receipt"]) == 19
    assert client.get(f"/api/v1/polls/{poll.id}").json["voted"] is True
    again = client.post(f"/api/v1/polls/{poll.id}/votes", json={"choices": [poll.option_ids[0]]})
    assert again.status_code == 409
    assert rows(db_session, PollVoter, poll_id=poll.id) == 1 and rows(db_session, PollBallot, poll_id=poll.id) == 1
    ballot = db_session.scalar(sa.select(PollBallot).where(PollBallot.poll_id == poll.id))
    assert ballot.receipt == r.json["receipt"]
    assert db_session.scalar(sa.select(PollBallotChoice.option_id)) == poll.option_ids[1]


def test_the_same_person_from_another_account_is_refused(api, world, verified, make_poll, db_session):
    """A person is their verified identity: their second account meets the same roll entry (409)."""
    from union_saas.members.models import Membership

    poll = make_poll(world["street"])
    first = verified(world["street"])
    assert api(first).post(f"/api/v1/polls/{poll.id}/votes", json={"choices": [poll.option_ids[0]]}).status_code == 201
    db_session.execute(sa.update(Membership).where(Membership.user_id == first.id).values(status="closed"))
    second = verified(world["street"], person=first.person)
    r = api(second).post(f"/api/v1/polls/{poll.id}/votes", json={"choices": [poll.option_ids[1]]})
    assert r.status_code == 409
    assert api(second).get(f"/api/v1/polls/{poll.id}").json["voted"] is True
    assert rows(db_session, PollBallot, poll_id=poll.id) == 1


def test_voting_before_the_window_is_refused(api, world, verified, make_poll, db_session):
    poll = make_poll(world["street"], opens=2, closes=5)
    r = api(verified(world["street"])).post(f"/api/v1/polls/{poll.id}/votes", json={"choices": [poll.option_ids[0]]})
    assert r.status_code == 409 and r.json["status"] == 409
    assert rows(db_session, PollVoter) == 0 and rows(db_session, PollBallot) == 0


def test_voting_after_the_window_is_refused(api, world, verified, make_poll, db_session):
    poll = make_poll(world["street"], opens=-5, closes=-1)
    r = api(verified(world["street"])).post(f"/api/v1/polls/{poll.id}/votes", json={"choices": [poll.option_ids[0]]})
    assert r.status_code == 409
    assert rows(db_session, PollVoter) == 0 and rows(db_session, PollBallot) == 0


def test_voting_outside_the_scope_is_a_404(api, world, verified, make_poll, db_session):
    poll = make_poll(world["street"], scope="tenant")
    r = api(verified(world["community"])).post(f"/api/v1/polls/{poll.id}/votes", json={"choices": [poll.option_ids[0]]})
    assert r.status_code == 404
    other = api(verified(world["other"])).post(f"/api/v1/polls/{poll.id}/votes", json={"choices": [poll.option_ids[0]]})
    assert other.status_code == 404
    assert rows(db_session, PollVoter) == 0


def test_an_organiser_outside_the_scope_may_see_but_not_vote(api, world, verified, make_poll, grant, db_session):
    poll = make_poll(world["community"], scope="tenant")
    member_above = verified(world["street"])
    grant(member_above, "union_admin", world["street"])
    client = api(member_above)
    assert client.get(f"/api/v1/polls/{poll.id}").status_code == 200
    assert client.post(f"/api/v1/polls/{poll.id}/votes", json={"choices": [poll.option_ids[0]]}).status_code == 404
    assert rows(db_session, PollVoter) == 0


def test_voting_without_verification_is_a_403(api, world, make_user, make_member, make_poll, db_session):
    poll = make_poll(world["street"], scope="platform")
    no_identity = make_user()
    make_member(no_identity, world["street"])  # active, but no real-name identity
    pending = make_user()
    make_member(pending, world["street"], status="pending")
    organiser = world["organiser"]  # sees the poll (manages it), holds no membership
    for user in (no_identity, pending, organiser):
        r = api(user).post(f"/api/v1/polls/{poll.id}/votes", json={"choices": [poll.option_ids[0]]})
        assert r.status_code in (403, 404), r.json
    assert api(organiser).post(f"/api/v1/polls/{poll.id}/votes",
                               json={"choices": [poll.option_ids[0]]}).status_code == 403
    assert api(no_identity).post(f"/api/v1/polls/{poll.id}/votes",
                                 json={"choices": [poll.option_ids[0]]}).status_code == 403
    assert rows(db_session, PollVoter) == 0


def test_too_many_choices_are_refused(api, world, verified, make_poll, db_session):
    poll = make_poll(world["street"], labels=("A", "B", "C"), kind="multiple", max_choices=2)
    r = api(verified(world["street"])).post(f"/api/v1/polls/{poll.id}/votes", json={"choices": poll.option_ids})
    assert r.status_code == 422 and "choices" in r.json["errors"]
    single = make_poll(world["street"])
    r = api(verified(world["street"])).post(f"/api/v1/polls/{single.id}/votes", json={"choices": single.option_ids})
    assert r.status_code == 422
    assert rows(db_session, PollVoter) == 0 and rows(db_session, PollBallot) == 0


def test_unknown_options_are_refused(api, world, verified, make_poll, db_session):
    poll = make_poll(world["street"])
    elsewhere = make_poll(world["street"], labels=("X", "Y"))
    client = api(verified(world["street"]))
    for choices in ([elsewhere.option_ids[0]], [999999], [], ["a"], "x"):
        r = client.post(f"/api/v1/polls/{poll.id}/votes", json={"choices": choices})
        assert r.status_code == 422, (choices, r.json)
        assert "choices" in r.json["errors"]
    assert rows(db_session, PollVoter) == 0 and rows(db_session, PollBallot) == 0


def test_a_multiple_choice_ballot_counts_each_choice(api, world, verified, make_poll):
    poll = make_poll(world["street"], labels=("A", "B", "C"), kind="multiple", max_choices=2)
    a, b, c = poll.option_ids
    api(verified(world["street"])).post(f"/api/v1/polls/{poll.id}/votes", json={"choices": [a, b]})
    api(verified(world["street"])).post(f"/api/v1/polls/{poll.id}/votes", json={"choices": [b]})
    res = api(world["organiser"]).get(f"/api/v1/polls/{poll.id}/results").json
    assert {o["id"]: o["votes"] for o in res["options"]} == {a: 1, b: 2, c: 0}
    assert res["voters"] == 2 and {o["id"]: o["share"] for o in res["options"]}[b] == 1.0


# --- results and receipts --------------------------------------------------------------------------

def test_results_show_counts_shares_and_voters_against_eligible(api, world, verified, make_poll, make_user,
                                                                make_member):
    poll = make_poll(world["street"], scope="subtree")
    voters = [verified(world["street"]), verified(world["community"]), verified(world["community"])]
    verified(world["street"])  # eligible, does not vote
    verified(world["other"])  # outside the scope
    make_member(make_user(), world["street"])  # no real-name identity: not eligible
    for user, choice in zip(voters, (0, 0, 1), strict=True):
        assert api(user).post(f"/api/v1/polls/{poll.id}/votes",
                              json={"choices": [poll.option_ids[choice]]}).status_code == 201
    res = api(voters[0]).get(f"/api/v1/polls/{poll.id}/results").json
    assert res["voters"] == 3 and res["eligible"] == 4 and res["turnout"] == 0.75
    assert [(o["label"], o["votes"], o["share"]) for o in res["options"]] == [("Tea", 2, 0.6667), ("Coffee", 1, 0.3333)]


def test_after_close_results_are_hidden_until_close_except_from_organisers(api, world, verified, make_poll,
                                                                           db_session):
    poll = make_poll(world["street"], results="after_close")
    member = verified(world["street"])
    api(member).post(f"/api/v1/polls/{poll.id}/votes", json={"choices": [poll.option_ids[0]]})
    assert api(member).get(f"/api/v1/polls/{poll.id}/results").status_code == 403
    assert api(world["organiser"]).get(f"/api/v1/polls/{poll.id}/results").json["voters"] == 1
    poll.closes_at = utcnow() - timedelta(minutes=1)
    db_session.flush()
    assert api(member).get(f"/api/v1/polls/{poll.id}/results").json["options"][0]["votes"] == 1


def test_receipts_are_listed_once_closed_and_match_the_voters(api, world, verified, make_poll, db_session):
    poll = make_poll(world["street"])
    receipts = {api(verified(world["street"])).post(f"/api/v1/polls/{poll.id}/votes", json={
        "choices": [poll.option_ids[i % 2]]}).json["receipt"] for i in range(5)}
    member = verified(world["street"])
    assert api(member).get(f"/api/v1/polls/{poll.id}/receipts").status_code == 403
    poll.closes_at = utcnow() - timedelta(minutes=1)
    db_session.flush()
    page = api(member).get(f"/api/v1/polls/{poll.id}/receipts").json
    assert page["total"] == 5 == api(member).get(f"/api/v1/polls/{poll.id}/results").json["voters"]
    listed = [item["receipt"] for item in page["items"]]
    assert set(listed) == receipts and listed == sorted(listed)


def test_no_column_ties_a_ballot_to_a_voter(app):
    """The ballots hold no person, no account, no serial id and no time; the roll holds no choice and no receipt."""
    ballot = {c.name for c in PollBallot.__table__.columns} | {c.name for c in PollBallotChoice.__table__.columns}
    assert ballot == {"receipt", "poll_id", "option_id"}
    roll = {c.name for c in PollVoter.__table__.columns}
    assert not roll & {"receipt", "option_id", "choice"}
    assert PollBallot.__table__.dialect_options["sqlite"]["with_rowid"] is False


def test_the_roll_keeps_the_minute_only(api, world, verified, make_poll, db_session):
    poll = make_poll(world["street"])
    api(verified(world["street"])).post(f"/api/v1/polls/{poll.id}/votes", json={"choices": [poll.option_ids[0]]})
    minute = db_session.scalar(sa.select(PollVoter.voted_minute))
    assert minute.second == 0 and minute.microsecond == 0


def test_my_votes_list_the_polls_never_the_choice(api, world, verified, make_poll):
    poll = make_poll(world["street"])
    make_poll(world["street"], title="Not voted")
    member = verified(world["street"])
    api(member).post(f"/api/v1/polls/{poll.id}/votes", json={"choices": [poll.option_ids[0]]})
    page = api(member).get("/api/v1/me/votes").json
    assert [item["poll"]["id"] for item in page["items"]] == [poll.id]
    assert "choices" not in page["items"][0] and "receipt" not in str(page)


def test_the_open_filter_lists_only_open_polls(api, world, verified, make_poll):
    open_poll = make_poll(world["street"])
    make_poll(world["street"], opens=-5, closes=-1, title="Closed")
    make_poll(world["street"], opens=3, closes=5, title="Later")
    member = verified(world["street"])
    assert [p["id"] for p in api(member).get("/api/v1/polls?open=1").json["items"]] == [open_poll.id]
    everything = api(member).get("/api/v1/polls").json["items"]
    assert len(everything) == 3 and everything[0]["id"] == open_poll.id
    assert {p["status"] for p in everything} == {"open", "closed", "scheduled"}
    assert api(verified(world["other"])).get("/api/v1/polls").json["items"] == []


def test_the_bars_and_receipt_pages(login_en, world, verified, make_poll, db_session):
    poll = make_poll(world["street"])
    member = verified(world["street"], username="bars-member")
    client = login_en(member)
    page = client.get(f"/polls/{poll.id}")
    assert page.status_code == 200 and 'name="choices"' in page.get_data(as_text=True)
    r = client.post(f"/polls/{poll.id}/vote", data={"choices": str(poll.option_ids[0])})
    text = r.get_data(as_text=True)
    assert r.status_code == 200 and "Thank you for voting" in text
    receipt = db_session.scalar(sa.select(PollBallot.receipt))
    assert receipt in text
    again = client.get(f"/polls/{poll.id}").get_data(as_text=True)
    assert "You voted in this poll" in again and 'data-progress="100"' in again
    twice = client.post(f"/polls/{poll.id}/vote", data={"choices": str(poll.option_ids[1])})
    assert twice.status_code == 409 and "voted in this poll already" in twice.get_data(as_text=True)
    poll.closes_at = utcnow() - timedelta(minutes=1)
    db_session.flush()
    found = client.get(f"/polls/{poll.id}/receipts?q={receipt.lower()}").get_data(as_text=True)
    assert "Your receipt is in the list" in found


def test_the_vote_page_shows_bad_choices_again(login_en, world, verified, make_poll, db_session):
    poll = make_poll(world["street"], labels=("A", "B", "C"), kind="multiple", max_choices=2)
    client = login_en(verified(world["street"], username="too-many"))
    r = client.post(f"/polls/{poll.id}/vote", data={"choices": [str(i) for i in poll.option_ids]})
    assert r.status_code == 422 and "Choose at most 2 options." in r.get_data(as_text=True)
    none = client.post(f"/polls/{poll.id}/vote", data={})
    assert none.status_code == 422
    assert rows(db_session, PollVoter) == 0


def test_the_create_form_shows_what_was_typed_with_the_errors(login_en, world, db_session):
    client = login_en(world["organiser"])
    assert client.get("/manage/street/polls/new").status_code == 200
    r = client.post("/manage/street/polls/new", data={"title": "Lonely", "kind": "single", "options": "Only one",
                                                      "opens_at": "2030-01-01T10:00", "closes_at": "2030-01-02T10:00",
                                                      "scope": "tenant", "results": "live", "max_choices": "1"})
    text = r.get_data(as_text=True)
    assert r.status_code == 422 and "A poll needs at least two options." in text and "Lonely" in text
    assert rows(db_session, Poll) == 0
    ok = client.post("/manage/street/polls/new", data={"title": "Pair", "kind": "single", "options": "A\nB",
                                                       "opens_at": "2030-01-01T10:00", "closes_at": "2030-01-02T10:00",
                                                       "scope": "tenant", "results": "live", "max_choices": "1"})
    assert ok.status_code == 302
    assert db_session.scalar(sa.select(sa.func.count()).select_from(PollOption)) == 2


def test_only_the_federations_organisers_poll_the_whole_federation(api, world, make_user, grant, db_session):
    r = api(world["organiser"]).post("/api/v1/tenants/street/polls", json=create_body(scope="platform"))
    assert r.status_code == 422 and "scope" in r.json["errors"]
    assert rows(db_session, Poll) == 0
    chief = make_user()
    grant(chief, "federation_admin", world["fed"])
    ok = api(chief).post("/api/v1/tenants/street/polls", json=create_body(scope="platform"))
    assert ok.status_code == 201 and ok.json["reach"] == "approved"
