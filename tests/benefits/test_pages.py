"""The benefits pages: every API operation has its page; bad input shows the form again with what was typed;
lists do a bounded number of queries; the home, "我的" and the services grid link here."""
from datetime import timedelta

import sqlalchemy as sa

from tests.benefits.conftest import now
from tests.benefits.test_subsidies import ended_activity
from union_saas.benefits.models import Entry, Giveaway, SubsidyClaim


def local(t):
    return t.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%dT%H:%M")


def test_publish_from_the_form_and_bad_input_shown_again(login_en, union, db_session):
    tenants, admin = union
    page = login_en(admin)
    assert page.get("/manage/fed-s/giveaways/new").status_code == 200
    t = now() + timedelta(hours=1)
    bad = page.post("/manage/fed-s/giveaways/new", data={
        "title": "Dance festival", "quantity": "0", "method": "lottery", "scope": "tenant",
        "opens_at": local(t), "closes_at": local(t - timedelta(hours=2))})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422 and 'value="Dance festival"' in text and "At least 1." in text
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Giveaway)) == 0
    bad = page.post("/manage/fed-s/giveaways/new", data={
        "title": "Dance festival", "quantity": "5", "method": "lottery", "scope": "tenant",
        "opens_at": local(t), "closes_at": local(t - timedelta(hours=2))})
    assert bad.status_code == 422 and "The entry window must close after it opens." in bad.get_data(as_text=True)
    ok = page.post("/manage/fed-s/giveaways/new", data={
        "title": "Dance festival", "quantity": "5", "method": "lottery", "scope": "subtree",
        "opens_at": local(t), "closes_at": local(t + timedelta(days=1)), "claim_by": local(t + timedelta(days=2))})
    assert ok.status_code == 302, ok.get_data(as_text=True)[:500]
    g = db_session.scalar(sa.select(Giveaway))
    assert g.quantity == 5 and g.claim_by is not None
    detail = page.get(ok.headers["Location"]).get_data(as_text=True)
    assert g.commitment in detail and "Run the draw" not in detail  # still open


def test_take_part_claim_and_see_the_ticket_from_the_pages(login_en, union, make_user, verified, make_giveaway,
                                                         db_session):
    tenants, admin = union
    g = make_giveaway(tenants["fed-s"], method="first_come", quantity=1, scope="subtree")
    member, late = make_user("m1"), make_user("m2")
    verified(member, tenants["fed-s-c"])
    verified(late, tenants["fed-s-c"])
    page = login_en(member)
    assert "Take a ticket" in page.get(f"/giveaways/{g.id}").get_data(as_text=True)
    r = page.post(f"/giveaways/{g.id}/enter")
    assert r.status_code == 302
    detail = page.get(f"/giveaways/{g.id}").get_data(as_text=True)
    assert "Your ticket" in detail and "<svg" in detail
    again = page.post(f"/giveaways/{g.id}/enter")
    assert again.status_code == 409 and "You have taken part already" in again.get_data(as_text=True)
    none_left = login_en(late).post(f"/giveaways/{g.id}/enter")
    assert none_left.status_code == 409 and "None left" in none_left.get_data(as_text=True)
    mine = page.get("/me/giveaways").get_data(as_text=True)
    assert g.title in mine and "<svg" in mine
    # The ticket's QR leads its holder to the giveaway, and the staff to their scanner.
    code = db_session.scalar(sa.select(Entry).where(Entry.user_id == member.id))
    from union_saas.benefits.models import Ticket

    ticket = db_session.scalar(sa.select(Ticket).where(Ticket.entry_id == code.id))
    assert page.get(f"/tickets/redeem?code={ticket.code}").headers["Location"].endswith(f"/giveaways/{g.id}")
    assert f"/manage/fed-s/redeem?code={ticket.code}" in login_en(admin).get(
        f"/tickets/redeem?code={ticket.code}").headers["Location"]


def test_the_scanner_page_valid_once_then_says_when(login_en, union, make_user, verified, make_giveaway, api):
    tenants, admin = union
    g = make_giveaway(tenants["fed-s"], method="first_come", quantity=1, scope="subtree")
    member = make_user("m1")
    verified(member, tenants["fed-s"])
    code = api(member).post(f"/api/v1/giveaways/{g.id}/entries").get_json()["ticket"]["code"]
    staff = login_en(admin)
    scanner = staff.get(f"/manage/fed-s/redeem?code={code}").get_data(as_text=True)
    assert "qr-scan.js" in scanner and f'value="{code}"' in scanner and "<video" in scanner
    first = staff.post("/manage/fed-s/redeem", data={"code": code})
    assert first.status_code == 200 and "Valid: welcome!" in first.get_data(as_text=True)
    second = staff.post("/manage/fed-s/redeem", data={"code": code})
    assert second.status_code == 409 and "Used already, at" in second.get_data(as_text=True)
    forged = staff.post("/manage/fed-s/redeem", data={"code": "not-a-ticket"})
    assert forged.status_code == 422 and 'value="not-a-ticket"' in forged.get_data(as_text=True)


def test_draw_from_the_organiser_page(login_en, union, make_user, verified, make_giveaway, db_session, api):
    tenants, admin = union
    g = make_giveaway(tenants["fed-s"], scope="subtree", quantity=1)
    u = make_user("m1")
    verified(u, tenants["fed-s"])
    api(u).post(f"/api/v1/giveaways/{g.id}/entries")
    staff = login_en(admin)
    early = staff.post(f"/manage/giveaways/{g.id}/draw")
    assert early.status_code == 409 and "still open" in early.get_data(as_text=True)
    g.opens_at, g.closes_at = now() - timedelta(hours=2), now() - timedelta(minutes=1)
    db_session.flush()
    assert "Run the draw" in staff.get(f"/manage/giveaways/{g.id}").get_data(as_text=True)
    assert staff.post(f"/manage/giveaways/{g.id}/draw").status_code == 302
    second = staff.post(f"/manage/giveaways/{g.id}/draw")
    assert second.status_code == 409 and "Drawn already" in second.get_data(as_text=True)


def test_subsidy_pages_claim_decide_and_bad_input(login_en, union, make_user, make_tree, grant, db_session):
    tenants, admin = union  # admin: union_admin of fed-s
    district = make_user("district")
    grant(district, "federation_admin", tenants["fed"])
    a = ended_activity(db_session, tenants["fed-s"], make_user=make_user)
    street = login_en(admin)
    assert "Tea talk" in street.get("/manage/fed-s/subsidies/claimable").get_data(as_text=True)
    form = street.get(f"/manage/activities/{a.id}/subsidy").get_data(as_text=True)
    assert "3 confirmed, 2 checked in" in form
    bad = street.post(f"/manage/activities/{a.id}/subsidy", data={"amount_requested": "12.345", "note": "hall"})
    assert bad.status_code == 422 and 'value="12.345"' in bad.get_data(as_text=True)
    ok = street.post(f"/manage/activities/{a.id}/subsidy", data={"amount_requested": "500"})
    assert ok.status_code == 302
    claim = db_session.scalar(sa.select(SubsidyClaim))
    own = street.post(f"/manage/subsidy-claims/{claim.id}/approve", data={"amount_granted": "500"})
    assert own.status_code == 403
    office = login_en(district)
    listing = office.get("/manage/fed/subsidies").get_data(as_text=True)
    assert "Tea talk" in listing and "500.00" in listing
    too_much = office.post(f"/manage/subsidy-claims/{claim.id}/approve", data={"amount_granted": "600"})
    assert too_much.status_code == 422 and 'value="600"' in too_much.get_data(as_text=True)
    no_reason = office.post(f"/manage/subsidy-claims/{claim.id}/reject", data={"reason": ""})
    assert no_reason.status_code == 422
    assert office.post(f"/manage/subsidy-claims/{claim.id}/approve", data={"amount_granted": "450"}).status_code == 302
    db_session.expire_all()
    assert db_session.get(SubsidyClaim, claim.id).amount_granted == 450
    assert "450.00" in office.get("/manage/fed/subsidies").get_data(as_text=True)


def test_home_me_and_services_link_here(app, login_en, union, make_user, verified, make_giveaway):
    from flask_login import login_user  # noqa: F401

    from union_saas.tenancy import sections

    tenants, admin = union
    g = make_giveaway(tenants["fed-s"], scope="subtree")
    u = make_user("m1")
    verified(u, tenants["fed-s-c"])
    home = login_en(u).get("/t/fed-s-c").get_data(as_text=True)
    assert g.title in home and "Free tickets and giveaways" in home
    assert "my_tickets" in sections.ME_ENTRIES and "giveaways" in sections.SERVICES
    with app.test_request_context():
        assert sections.ME_ENTRIES["my_tickets"].url(u) == "/me/giveaways"
        assert sections.ME_ENTRIES["my_tickets"].count(u) == 0
        assert sections.SERVICES["giveaways"].url(u) == "/t/fed-s-c/giveaways"
    assert any(t.endpoint == "benefits.subsidies" and t.count for t in sections.MANAGE_TABS)


def test_list_pages_are_bounded_in_queries(login_en, union, make_user, verified, make_giveaway, queries_of, api,
                                           db_session):
    tenants, admin = union
    u = make_user("m1")
    verified(u, tenants["fed-s-c"])
    member, staff = login_en(u), login_en(admin)
    calls = [lambda: member.get("/t/fed-s/giveaways"), lambda: member.get("/me/giveaways"),
             lambda: member.get("/t/fed-s-c"), lambda: staff.get("/manage/fed-s/giveaways"),
             lambda: staff.get("/manage/fed-s/subsidies")]

    def more(n):
        for _ in range(n):
            g = make_giveaway(tenants["fed-s"], scope="subtree", method="first_come", quantity=2)
            api(u).post(f"/api/v1/giveaways/{g.id}/entries")
            a = ended_activity(db_session, tenants["fed-s-c"], make_user=make_user, confirmed=1, checked_in=0,
                               title=f"T{g.id}")
            api(admin).post(f"/api/v1/activities/{a.id}/subsidy-claims", json={"amount_requested": "10"})

    more(1)
    few = queries_of(*calls)
    more(5)
    assert queries_of(*calls) == few
