"""The worker's own place: the home, 我的, the e-member card and an officer's check of it."""
import time

import pytest
import sqlalchemy as sa

from union_saas.core import inbox
from union_saas.members.models import Follow
from union_saas.portal import services

SECRET = "test-secret"


@pytest.fixture
def en(login):
    def sign_in(user):
        client = login(user)
        client.set_cookie("locale", "en")
        return client
    return sign_in


# --- the card's code -----------------------------------------------------------------------------------

def test_a_card_code_reads_back_until_it_expires_and_not_after():
    now = time.time()
    code, expires_at = services.card_code(SECRET, 1234, now)
    assert services.read_code(SECRET, code, now + 10) == 1234
    assert services.read_code(SECRET, code.lower().replace("-", "-"), now + 10) == 1234  # typed in lower case
    assert abs(expires_at.timestamp() - (int(now) + services.CARD_MAX_AGE)) < 1
    assert services.read_code(SECRET, code, now + services.CARD_MAX_AGE + 1) is None
    assert services.read_code("another secret", code, now) is None


@pytest.mark.parametrize("forge", [
    lambda c: c[:-1] + ("0" if c[-1] != "0" else "1"),  # signature changed
    lambda c: "2" + c[1:] if not c.startswith("2") else "3" + c[1:],  # another membership
    lambda c: c.replace("-", ""),
    lambda c: "",
    lambda c: "<script>",
    lambda c: "A-B-C",
    lambda c: "Z" * 40 + "-" + c,
])
def test_a_forged_code_reads_as_nothing(forge):
    code, _ = services.card_code(SECRET, 77)
    assert services.read_code(SECRET, forge(code)) is None


def test_masked_names_keep_only_the_first_character():
    assert services.mask_name("张三") == "张*"
    assert services.mask_name("欧阳娜娜") == "欧***"
    assert services.mask_name(None) == "—"


# --- the card and its check (API.md, Accounts) ----------------------------------------------------------

def member_with_card(tree, make_user, make_member, name="王小明"):
    user = make_user()
    membership = make_member(user, tree["comm"])
    membership.real_name = name
    return user, membership


def test_a_member_gets_a_card_whose_code_an_officer_of_their_union_verifies(tree, make_user, make_member, grant,
                                                                              api):
    user, _m = member_with_card(tree, make_user, make_member)
    card = api(user).get("/api/v1/me/card")
    assert card.status_code == 200, card.json
    assert card.json["tenant"] == "comm" and card.json["name_masked"] == "王**"
    assert set(card.json) >= {"tenant", "name_masked", "member_since", "member_no", "code", "expires_at"}
    officer = make_user()
    grant(officer, "union_officer", tree["street"])  # member.view at the street: the community below too
    check = api(officer).post("/api/v1/member-cards/verify", json={"code": card.json["code"]})
    assert check.status_code == 200
    assert check.json["valid"] is True and check.json["tenant"] == "comm" and check.json["name_masked"] == "王**"


def test_without_an_active_membership_there_is_no_card(tree, make_user, make_member, api, login):
    user = make_user()
    make_member(user, tree["comm"], status="pending")
    assert api(user).get("/api/v1/me/card").status_code == 404
    assert login(user).get("/me/card").status_code == 404


@pytest.mark.parametrize("what", ["forged", "expired", "closed", "elsewhere", "garbage"])
def test_a_bad_card_is_not_valid_and_never_an_error(tree, make_user, make_member, grant, api, app, what):
    user, membership = member_with_card(tree, make_user, make_member)
    officer = make_user()
    grant(officer, "union_officer", tree["other"] if what == "elsewhere" else tree["fed"])
    secret = app.config["SECRET_KEY"]
    code = services.card_code(secret, membership.id, time.time() - (600 if what == "expired" else 0))[0]
    if what == "forged":
        code = services.card_code("not our secret", membership.id)[0]
    if what == "closed":
        membership.status = "closed"
    if what == "garbage":
        code = "x" * 5000
    check = api(officer).post("/api/v1/member-cards/verify", json={"code": code})
    assert check.status_code == 200, check.json
    assert check.json == {"valid": False, "tenant": None, "tenant_name": None, "name_masked": None}


def test_only_who_may_see_members_checks_cards(tree, make_user, make_member, api, login):
    user, membership = member_with_card(tree, make_user, make_member)
    code = api(user).get("/api/v1/me/card").json["code"]
    assert api(user).post("/api/v1/member-cards/verify", json={"code": code}).status_code == 404
    assert login(user).get(f"/member-cards/verify?code={code}").status_code == 404
    officer = make_user()
    assert api(officer).post("/api/v1/member-cards/verify", json={"code": code}).status_code == 404


def test_a_missing_code_is_a_field_error(tree, make_user, grant, api):
    officer = make_user()
    grant(officer, "union_officer", tree["fed"])
    response = api(officer).post("/api/v1/member-cards/verify", json={})
    assert response.status_code == 422 and "code" in response.json["errors"]


def test_the_card_page_shows_a_qr_that_opens_the_officers_check_and_refreshes_itself(tree, make_user, make_member,
                                                                                       grant, login, en):
    user, _m = member_with_card(tree, make_user, make_member)
    page = en(user).get("/me/card")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<svg" in html and "王**" in html
    assert 'data-refresh-url="/me/card/code"' in html and f'data-expires="{services.CARD_REFRESH}"' in html
    fragment = en(user).get("/me/card/code").get_data(as_text=True)
    assert 'id="card-code"' in fragment
    code = fragment.split("<code>")[1].split("</code>")[0]
    officer = make_user()
    grant(officer, "union_officer", tree["street"])
    opened = en(officer).get(f"/member-cards/verify?code={code}").get_data(as_text=True)
    assert "Valid member card" in opened and "王**" in opened
    typed = en(officer).post("/manage/street/member-cards", data={"code": code.lower()}).get_data(as_text=True)
    assert "Valid member card" in typed
    wrong = en(officer).post("/manage/street/member-cards", data={"code": "1-2-3"})
    assert wrong.status_code == 200 and "Not a valid card" in wrong.get_data(as_text=True)


# --- the home ------------------------------------------------------------------------------------------

def test_a_member_lands_on_their_own_home(tree, make_user, make_member, make_activity, en):
    user = make_user()
    make_member(user, tree["comm"])
    make_activity(tree["comm"], title="Community choir")
    make_activity(tree["fed"], title="District run", scope="subtree", category="sports")
    make_activity(tree["street2"], title="Elsewhere only", scope="tenant")
    html = en(user).get("/").get_data(as_text=True)
    assert "Community choir" in html and "District run" in html and "Elsewhere only" not in html
    assert "Member card" in html and "Comm" in html  # the services grid, the member's union
    assert 'class="tabbar"' in html


def test_a_follower_sees_the_federation_wide_activities_of_the_union_they_follow(tree, make_user, make_activity,
                                                                                  db_session, en):
    user = make_user()
    db_session.add(Follow(user_id=user.id, tenant_id=tree["o-street"].id, root_id=tree["o-street"].root_id))
    make_activity(tree["o-street"], title="Open riverside walk", scope="platform")
    make_activity(tree["o-street"], title="For its members", scope="tenant")
    db_session.flush()
    html = en(user).get("/").get_data(as_text=True)
    assert "From unions you follow" in html and "Open riverside walk" in html
    assert "For its members" not in html
    assert "Join your union" in html


def test_anonymous_visitors_see_what_is_open_to_everyone(tree, make_activity, app):
    make_activity(tree["street"], title="Open concert", scope="platform")
    make_activity(tree["street"], title="Members concert", scope="platform", members_only=True)
    make_activity(tree["street"], title="Union only", scope="tenant")
    client = app.test_client()
    client.set_cookie("locale", "en")
    html = client.get("/").get_data(as_text=True)
    assert "Open concert" in html and "Members concert" not in html and "Union only" not in html
    assert "Register" in html


def test_the_sign_in_page_says_why_a_visitor_was_sent_there(app):
    client = app.test_client()
    client.set_cookie("locale", "en")
    response = client.get("/me")
    assert response.status_code == 302 and "/login?next=" in response.headers["Location"]
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "This is your own page" in html
    html = client.get("/login?next=/activities/5").get_data(as_text=True)
    assert "sign in to see this one and sign up" in html
    assert "flash warning" not in client.get("/login").get_data(as_text=True)


def test_the_header_shows_the_unread_count_on_every_page(tree, make_user, db_session, en):
    user = make_user()
    inbox.notify(db_session, [user.id] * 1, next(iter(inbox.KINDS)), params={})
    inbox.notify(db_session, [user.id], next(iter(inbox.KINDS)), params={})
    client = en(user)
    for path in ("/", "/me", "/account", "/unions"):
        html = client.get(path).get_data(as_text=True)
        assert '<span class="count">2</span>' in html, path


def test_me_gathers_membership_card_sign_ups_messages_and_the_entries(tree, make_user, make_member, en):
    user, _m = member_with_card(tree, make_user, make_member)
    html = en(user).get("/me").get_data(as_text=True)
    for text in ("Membership", "E-member card", "My sign-ups", "My messages", "Account and security",
                 "Transfer to another union", "My sign-ups and tickets"):
        assert text in html, text


def test_the_home_and_me_cost_the_same_queries_however_many_activities_and_messages(
        tree, make_user, make_member, make_activity, db_session, login, count_queries):
    user = make_user()
    make_member(user, tree["comm"])
    db_session.add(Follow(user_id=user.id, tenant_id=tree["o-street"].id, root_id=tree["o-street"].root_id))
    make_activity(tree["comm"])
    client = login(user)
    kind = next(iter(inbox.KINDS))

    def count():
        counts = []
        for path in ("/", "/me"):
            with count_queries() as counter:
                assert client.get(path).status_code == 200
            counts.append(counter.count)
        return counts

    count()
    few = count()
    for i in range(12):
        make_activity(tree["fed"] if i % 2 else tree["o-street"], title=f"a{i}", scope="platform")
        inbox.notify(db_session, [user.id], kind, params={})
    assert count() == few
    assert max(few) <= 25, few


def test_the_activity_form_says_exactly_who_sees_and_who_may_sign_up(tree, make_user, grant, en):
    admin = make_user()
    grant(admin, "union_admin", tree["street"])
    html = en(admin).get("/manage/street/activities/new").get_data(as_text=True)
    assert "followers without a membership see only federation-wide activities" in html
