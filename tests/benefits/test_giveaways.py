"""Giveaways through the API: publish, take part once per person, first-come limits, the draw, claim, pass-on,
redeem (API.md, Benefits)."""
import hashlib
from datetime import timedelta

import sqlalchemy as sa

from tests.benefits.conftest import new_giveaway, now
from union_saas.benefits import services
from union_saas.benefits.models import Entry, Giveaway, Ticket
from union_saas.core.inbox import Notification


def body(**fields):
    t = now()
    data = {"title": "League match: 2 tickets", "description": "Sunday **15:00**.", "quantity": 2,
            "method": "lottery", "scope": "subtree", "opens_at": t.isoformat(),
            "closes_at": (t + timedelta(days=2)).isoformat()}
    data.update(fields)
    return data


def test_a_lottery_shows_its_commitment_never_its_secret(api, union, db_session):
    tenants, admin = union
    r = api(admin).post("/api/v1/tenants/fed-s/giveaways", json=body())
    assert r.status_code == 201, r.get_json()
    doc = r.get_json()
    g = db_session.get(Giveaway, doc["id"])
    assert doc["commitment"] == hashlib.sha256(g.secret).hexdigest()
    assert doc["status"] == "open" and doc["method"] == "lottery"
    assert g.secret.hex() not in r.get_data(as_text=True)
    first_come = api(admin).post("/api/v1/tenants/fed-s/giveaways", json=body(method="first_come")).get_json()
    assert first_come["commitment"] is None


def test_bad_giveaways_are_refused_with_field_errors(api, union, db_session):
    tenants, admin = union
    t = now()
    cases = [
        ({"closes_at": (t - timedelta(hours=1)).isoformat()}, "closes_at"),
        ({"quantity": 0}, "quantity"),
        ({"method": "raffle"}, "method"),
        ({"claim_by": (t + timedelta(days=1)).isoformat()}, "claim_by"),  # before the close
        ({"description": "<script>alert(1)</script>"}, "description"),
        ({"scope": "platform"}, "scope"),  # only the federation's managers give to the whole federation
    ]
    before = db_session.scalar(sa.select(sa.func.count()).select_from(Giveaway))
    for change, field in cases:
        r = api(admin).post("/api/v1/tenants/fed-s/giveaways", json=body(**change))
        assert r.status_code == 422, (change, r.get_json())
        assert field in r.get_json()["errors"], (change, r.get_json())
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Giveaway)) == before


def test_first_come_gives_tickets_while_any_remain_then_409(api, union, make_user, verified, make_giveaway):
    tenants, _ = union
    g = make_giveaway(tenants["fed-s"], method="first_come", quantity=2, scope="subtree")
    people = [make_user(f"w{i}") for i in range(3)]
    for i, u in enumerate(people):
        verified(u, tenants["fed-s-c"], n=100 + i)
    answers = [api(u).post(f"/api/v1/giveaways/{g.id}/entries?lang=en") for u in people]
    assert [a.status_code for a in answers] == [201, 201, 409]
    assert answers[0].get_json()["status"] == "won" and answers[0].get_json()["ticket"]["code"]
    assert "None left" in answers[2].get_json()["detail"]
    doc = api(people[0]).get(f"/api/v1/giveaways/{g.id}").get_json()
    assert doc["winners_count"] == 2 and doc["entries_count"] == 2 and doc["remaining"] == 0


def test_one_entry_per_person_whatever_the_account(api, union, make_user, verified, make_giveaway, db_session):
    tenants, _ = union
    g = make_giveaway(tenants["fed-s"], scope="subtree")
    first, second = make_user("zhang"), make_user("zhang-again")
    verified(first, tenants["fed-s"], n=7)
    db_session.flush()
    assert api(first).post(f"/api/v1/giveaways/{g.id}/entries").status_code == 201
    assert api(first).post(f"/api/v1/giveaways/{g.id}/entries").status_code == 409
    # The same person (same verified ID) under a second account, after the first left the union:
    from union_saas.members.models import Membership

    db_session.execute(sa.update(Membership).where(Membership.user_id == first.id).values(status="closed"))
    verified(second, tenants["fed-s-c"], n=7)
    r = api(second).post(f"/api/v1/giveaways/{g.id}/entries")
    assert r.status_code == 409, r.get_json()
    assert db_session.scalar(sa.select(sa.func.count()).where(Entry.giveaway_id == g.id)) == 1


def test_who_may_enter_and_when(api, union, make_user, verified, make_giveaway, make_member, db_session):
    tenants, admin = union
    g = make_giveaway(tenants["fed-s-c"], scope="tenant")
    outsider, unverified, member = make_user("outsider"), make_user("unverified"), make_user("member")
    verified(outsider, tenants["fed-s"])  # above the community: a tenant-scoped giveaway does not reach them
    make_member(unverified, tenants["fed-s-c"], status="pending")
    verified(member, tenants["fed-s-c"])
    assert api(outsider).post(f"/api/v1/giveaways/{g.id}/entries").status_code == 404
    # The street's admin sees it (manages it) but is no member inside its scope: 404 as well.
    assert api(admin).post(f"/api/v1/giveaways/{g.id}/entries").status_code == 404
    assert api(unverified).post(f"/api/v1/giveaways/{g.id}/entries").status_code == 404  # no home: not reached
    later = make_giveaway(tenants["fed-s-c"], opens=2, closes=5)
    over = make_giveaway(tenants["fed-s-c"], opens=-5, closes=-1)
    assert api(member).post(f"/api/v1/giveaways/{later.id}/entries").status_code == 409
    assert api(member).post(f"/api/v1/giveaways/{over.id}/entries").status_code == 409
    assert db_session.scalar(sa.select(sa.func.count()).where(Entry.user_id == member.id)) == 0


def test_visible_but_not_verified_is_403(api, union, make_user, make_giveaway, db_session):
    tenants, _ = union
    from union_saas.members.models import Membership

    g = make_giveaway(tenants["fed-s"], scope="subtree")
    u = make_user("no-id")
    db_session.add(Membership(user_id=u.id, tenant_id=tenants["fed-s"].id, root_id=tenants["fed-s"].root_id,
                              status="active"))  # an active membership without a verified ID
    db_session.flush()
    assert api(u).post(f"/api/v1/giveaways/{g.id}/entries").status_code == 403


def _enter_people(api, make_user, verified, tenant, g, n, start=0):
    people = []
    for i in range(start, start + n):
        u = make_user(f"p{i}")
        verified(u, tenant, n=1000 + i)
        r = api(u).post(f"/api/v1/giveaways/{g.id}/entries")
        assert r.status_code == 201, r.get_json()
        assert r.get_json()["status"] == "entered" and r.get_json()["ticket"] is None
        people.append((u, r.get_json()["entry_code"]))
    return people


def test_the_draw_is_published_checkable_and_run_once(api, union, make_user, verified, make_giveaway, db_session):
    tenants, admin = union
    g = make_giveaway(tenants["fed-s"], scope="subtree", quantity=2)
    people = _enter_people(api, make_user, verified, tenants["fed-s-c"], g, 5)
    assert api(admin).post(f"/api/v1/giveaways/{g.id}/draw").status_code == 409  # still open
    assert api(people[0][0]).get(f"/api/v1/giveaways/{g.id}/draw").status_code == 409  # not drawn yet
    assert api(people[0][0]).get(f"/api/v1/giveaways/{g.id}/entries/me").get_json()["status"] == "entered"
    g.closes_at = now() - timedelta(minutes=1)
    g.opens_at = now() - timedelta(hours=2)
    db_session.flush()
    r = api(admin).post(f"/api/v1/giveaways/{g.id}/draw")
    assert r.status_code == 200, r.get_json()
    published = api(people[0][0]).get(f"/api/v1/giveaways/{g.id}/draw").get_json()
    assert published == r.get_json()
    seed = bytes.fromhex(published["seed"])
    codes = [c for _, c in people]
    assert hashlib.sha256(seed).hexdigest() == published["commitment"] == g.commitment
    assert published["entries_hash"] == hashlib.sha256("\n".join(sorted(codes)).encode()).hexdigest()
    assert published["ranking"] == sorted(codes, key=lambda c: hashlib.sha256(seed + c.encode()).hexdigest())
    assert published["winners"] == published["ranking"][:2]
    # A second draw changes nothing.
    assert api(admin).post(f"/api/v1/giveaways/{g.id}/draw").status_code == 409
    assert api(people[0][0]).get(f"/api/v1/giveaways/{g.id}/draw").get_json() == published
    by_code = dict((c, u) for u, c in people)
    winner, reserve = by_code[published["ranking"][0]], by_code[published["ranking"][2]]
    won = api(winner).get(f"/api/v1/giveaways/{g.id}/entries/me").get_json()
    assert won["status"] == "won" and won["ticket"]["code"]  # no claim deadline: held at once
    assert api(reserve).get(f"/api/v1/giveaways/{g.id}/entries/me").get_json()["status"] == "lost"
    kinds = dict(db_session.execute(sa.select(Notification.user_id, Notification.kind)
                                    .where(Notification.subject_id == g.id)).all())
    assert kinds[winner.id] == "giveaway.won" and kinds[reserve.id] == "giveaway.lost"
    assert api(winner).post(f"/api/v1/giveaways/{g.id}/claim").status_code == 409  # held already
    assert db_session.scalar(sa.select(sa.func.count()).where(Ticket.giveaway_id == g.id)) == 2


def test_claim_then_pass_on_to_the_reserve(api, union, make_user, verified, make_giveaway, db_session):
    tenants, admin = union
    g = make_giveaway(tenants["fed-s"], scope="subtree", quantity=2, claim_by=48)
    people = _enter_people(api, make_user, verified, tenants["fed-s"], g, 5)
    g.opens_at, g.closes_at = now() - timedelta(hours=3), now() - timedelta(hours=1)
    db_session.flush()
    published = api(admin).post(f"/api/v1/giveaways/{g.id}/draw").get_json()
    by_code = dict((c, u) for u, c in people)
    first, second, third, fourth = (by_code[c] for c in published["ranking"][:4])
    me = api(third).get(f"/api/v1/giveaways/{g.id}/entries/me").get_json()
    assert me["status"] == "reserve" and me["rank"] == 3
    assert api(third).post(f"/api/v1/giveaways/{g.id}/claim").status_code == 409  # not a winner
    r = api(first).post(f"/api/v1/giveaways/{g.id}/claim")
    assert r.status_code == 200 and r.get_json()["ticket"]["code"]
    assert api(first).post(f"/api/v1/giveaways/{g.id}/claim").status_code == 409  # claimed
    # The deadline passes: the second never claimed, so the first of the reserve gets the ticket.
    g.claim_by = now() - timedelta(minutes=1)
    db_session.flush()
    assert api(second).post(f"/api/v1/giveaways/{g.id}/claim").status_code == 409
    assert services.pass_on(db_session, g.id) == 1
    assert services.pass_on(db_session, g.id) == 0  # idempotent
    db_session.expire_all()
    assert api(second).get(f"/api/v1/giveaways/{g.id}/entries/me").get_json()["status"] == "lost"
    passed = api(third).get(f"/api/v1/giveaways/{g.id}/entries/me").get_json()
    assert passed["status"] == "won" and passed["ticket"]["code"]
    assert api(fourth).get(f"/api/v1/giveaways/{g.id}/entries/me").get_json()["status"] == "lost"
    assert db_session.scalar(sa.select(Notification.kind).where(Notification.user_id == third.id,
                                                                Notification.kind == "giveaway.passed_on"))
    assert db_session.scalar(sa.select(sa.func.count()).where(Ticket.giveaway_id == g.id)) == 2
    assert db_session.get(Giveaway, g.id).tickets_count == 2


def test_redeem_once_then_says_when(api, union, make_user, verified, make_giveaway, make_tree, grant, db_session):
    tenants, admin = union
    g = make_giveaway(tenants["fed-s"], method="first_come", quantity=1, scope="subtree")
    u = make_user("holder")
    verified(u, tenants["fed-s-c"])
    code = api(u).post(f"/api/v1/giveaways/{g.id}/entries").get_json()["ticket"]["code"]
    other = make_tree("other/other-s")["other-s"]
    stranger = make_user("other-admin")
    grant(stranger, "union_admin", other)
    assert api(stranger).post("/api/v1/tickets/redeem", json={"code": code}).status_code == 404
    assert api(u).post("/api/v1/tickets/redeem", json={"code": code}).status_code == 404  # the holder is no staff
    assert api(admin).post("/api/v1/tickets/redeem", json={"code": code + "x"}).status_code == 422  # forged
    assert api(admin).post("/api/v1/tickets/redeem", json={"code": ""}).status_code == 422
    r = api(admin).post("/api/v1/tickets/redeem", json={"code": f"https://x/tickets/redeem?code={code}"})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["name_masked"] == "H****r"  # the display name, masked, when no real name is known
    again = api(admin).post("/api/v1/tickets/redeem?lang=en", json={"code": code})
    assert again.status_code == 409 and "Used already" in again.get_json()["detail"]


def test_lists_are_bounded_in_queries(api, union, make_user, verified, make_giveaway, queries_of):
    tenants, admin = union
    u = make_user("reader")
    verified(u, tenants["fed-s-c"])
    calls = [lambda: api(u).get("/api/v1/giveaways?upcoming=1"), lambda: api(u).get("/api/v1/me/giveaway-entries"),
             lambda: api(admin).get("/api/v1/tenants/fed-s/giveaways")]
    g = make_giveaway(tenants["fed-s"], scope="subtree", method="first_come", quantity=3)
    api(u).post(f"/api/v1/giveaways/{g.id}/entries")
    few = queries_of(*calls)
    for i in range(6):
        g = make_giveaway(tenants["fed-s"], scope="subtree", method="first_come", quantity=3)
        api(u).post(f"/api/v1/giveaways/{g.id}/entries")
    assert queries_of(*calls) == few
